"""Setup claims: the paper profile's model, phases and intermediate tasks."""
from dataclasses import replace
from types import MappingProxyType

from repro.profiles import INTERMEDIATE_TASKS, PAPER, SMOKE
from repro.setup_checks import check_intermediate_tasks, check_model, check_phases

NINE = list(INTERMEDIATE_TASKS)


def test_the_paper_profile_starts_every_run_from_xlmr_large():
    assert check_model("FacebookAI/xlm-roberta-large")[0] == "reproduced"
    outcome, why = check_model("FacebookAI/xlm-roberta-base")
    assert outcome == "not_reproduced" and "not 'FacebookAI/xlm-roberta-base'" in why


def test_three_phases_and_a_tiny_model_is_not_the_paper():
    outcome, why = check_phases(3)
    assert outcome == "reproduced" and "baseline skips phase (ii)" in why
    assert check_phases(4)[0] == "not_reproduced"
    outcome, why = check_phases(3, SMOKE)  # the tiny model's chain starts from a built base model
    assert outcome == "not_reproduced" and "public checkpoint" in why
    assert check_phases(3, replace(PAPER, intermediate=MappingProxyType({})))[0] == "inconclusive"


def test_nine_intermediate_tasks_wait_for_the_engine(monkeypatch):
    outcome, why = check_intermediate_tasks(NINE)
    assert outcome == "inconclusive" and "8 are not yet trainable" in why and "mnli" not in why.split(":")[-1]
    other = replace(PAPER, intermediate_tasks=(*NINE[:8], "boolq"))
    assert check_intermediate_tasks(NINE, other) == ("not_reproduced",
                                                      "profile paper names ['boolq'] instead of ['sst2']")
    assert check_intermediate_tasks(NINE, replace(PAPER, intermediate_tasks=tuple(NINE[:8])))[0] == "not_reproduced"
    # every one trainable: reproduced (only MNLI is registered today, so stand it in for all nine)
    from repro.tasks import get_task
    fake = {t: get_task("mnli") for t in NINE}
    full = replace(PAPER, intermediate=MappingProxyType({t: PAPER.intermediate["mnli"] for t in NINE}))
    monkeypatch.setattr("repro.setup_checks.TASKS", fake)
    monkeypatch.setattr("repro.setup_checks.get_task", fake.__getitem__)
    assert check_intermediate_tasks(NINE, full)[0] == "reproduced"

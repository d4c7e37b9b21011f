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


def test_nine_intermediate_tasks_are_each_registered_and_configured():
    outcome, why = check_intermediate_tasks(NINE)
    assert outcome == "reproduced" and "sst2" in why
    other = replace(PAPER, intermediate_tasks=(*NINE[:8], "boolq"))
    assert check_intermediate_tasks(NINE, other) == ("not_reproduced",
                                                      "profile paper names ['boolq'] instead of ['sst2']")
    assert check_intermediate_tasks(NINE, replace(PAPER, intermediate_tasks=tuple(NINE[:8])))[0] == "not_reproduced"
    # named but without a training configuration: not reproduced, naming the task
    unconfigured = {t: c for t, c in PAPER.intermediate.items() if t != "ccg"}
    outcome, why = check_intermediate_tasks(NINE, replace(PAPER, intermediate=MappingProxyType(unconfigured)))
    assert outcome == "not_reproduced" and why.endswith(": ccg")


def test_a_setup_claim_may_name_only_a_check_that_exists():
    import pytest

    from repro.claims import Claim, ClaimError
    from repro.setup_checks import CHECKS

    def setup(check):
        return Claim(id="s", seed_claim=7, quote="q", source="s", kind="setup", margin_reason="r", check=check)
    for name in CHECKS:
        setup(name)._check("s.toml")
    with pytest.raises(ClaimError, match="unknown setup check 'weather'; one of " + ", ".join(CHECKS)):
        setup("weather")._check("s.toml")

"""The report's Methods section: every protocol choice with its source, deviations from the paper and XTREME."""
import json

import pytest

from repro.profiles import TYDIQA_TRAIN_ENV, XNLI_BATCH_ENV
from repro.protocol import CHOICES, PAPER, XTREME, Choice, deviations, methods
from repro.report import build_report
from tests.test_report import RECORDS, _record


def test_every_choice_has_a_source_and_every_deviation_a_reason():
    assert len({c.topic for c in CHOICES}) == len(CHOICES)
    for c in CHOICES:
        assert c.choice and c.source, c.topic
        assert not c.deviates_from or c.why, c.topic
    items = {c.item for c in CHOICES}
    assert {"4a", "4b", "4c", "4d", "24.6", "24.5", "4k"} <= items and {"4e", "4g", "4h", "4i", "4j"} <= items


def test_a_choice_must_name_what_it_deviates_from_and_why():
    with pytest.raises(ValueError, match="deviates_from takes 'paper' and 'XTREME', got \\['jiant'\\]"):
        Choice("t", "c", "s", deviates_from=("jiant",), why="w")
    with pytest.raises(ValueError, match="say why"):
        Choice("t", "c", "s", deviates_from=(PAPER,))


def test_tydiqa_s_deviation_follows_the_profile_setting():
    default = {r["topic"]: r for r in methods()}["TyDiQA-GoldP training data"]
    every = {r["topic"]: r for r in methods(tydiqa_train="all")}["TyDiQA-GoldP training data"]
    assert default["deviates_from"] == [] and "3,696" in default["choice"]
    assert every["deviates_from"] == [PAPER, XTREME]
    assert "TyDiQA-GoldP training data" in {r["topic"] for r in deviations(methods(tydiqa_train="all"), XTREME)}


def test_xnli_s_batch_is_a_declared_reading_and_the_literal_one_a_deviation():
    default = {r["topic"]: r for r in methods()}["XNLI batch size"]
    literal = {r["topic"]: r for r in methods(xnli_batch=4)}["XNLI batch size"]
    assert "effective batch of 32" in default["choice"] and "e_run_models.sh" in default["source"]
    assert default["deviates_from"] == [] and literal["deviates_from"] == [PAPER]


def test_the_report_has_a_methods_section_with_both_deviation_lists(tmp_path, monkeypatch):
    build_report(RECORDS, tmp_path)
    md = (tmp_path / "report.md").read_text()
    methods_part = md[md.index("## Methods"):md.index("## Figures")]
    assert "### Deviations from the paper" in methods_part and "### Deviations from XTREME" in methods_part
    assert "no_improvements_for_n_evals 30" in methods_part and "TyDiQA-GoldP training data" in methods_part
    payload = json.loads((tmp_path / "report.json").read_text())
    assert payload["methods"] == methods()
    build_report(payload["claims"], tmp_path / "again", previous=payload)  # rebuilt from its JSON alone
    assert "## Methods" in (tmp_path / "again" / "report.md").read_text()
    # a paper-profile record judged with every language's TyDiQA states it as a deviation from the paper
    monkeypatch.setenv(TYDIQA_TRAIN_ENV, "all")
    monkeypatch.setenv(XNLI_BATCH_ENV, "4")
    build_report([_record("a-claim") | {"profile": "paper"}], tmp_path / "all")
    every = json.loads((tmp_path / "all" / "report.json").read_text())["methods"]
    assert {"TyDiQA-GoldP training data", "XNLI batch size"} <= {r["topic"] for r in deviations(every, PAPER)}


def test_the_mixture_score_and_the_heads_are_declared_deviations_from_jiant():
    rows = {r["topic"]: r for r in deviations(methods(), PAPER)}
    assert "-perplexity" in rows["mixture early-stopping score"]["source"]
    assert "pooler" in rows["output heads"]["why"] and "heads.py" in rows["output heads"]["source"]

"""The report's Methods section: every protocol choice with its source, deviations from the paper and XTREME."""
import json

import pytest

from repro.profiles import TYDIQA_TRAIN_ENV
from repro.protocol import CHOICES, PAPER, XTREME, Choice, deviations, methods
from repro.report import build_report
from tests.test_report import RECORDS, _record


def test_every_choice_has_a_source_and_every_deviation_a_reason():
    assert len({c.topic for c in CHOICES}) == len(CHOICES)
    for c in CHOICES:
        assert c.choice and c.source, c.topic
        assert not c.deviates_from or c.why, c.topic
    items = {c.item for c in CHOICES}
    assert {"4a", "4b", "4c", "4d", "4f", "4k"} <= items and {"4e", "4g", "4h", "4i", "4j"} <= items


def test_a_choice_must_name_what_it_deviates_from_and_why():
    with pytest.raises(ValueError, match="deviates_from takes 'paper' and 'XTREME', got \\['jiant'\\]"):
        Choice("t", "c", "s", deviates_from=("jiant",), why="w")
    with pytest.raises(ValueError, match="say why"):
        Choice("t", "c", "s", deviates_from=(PAPER,))


def test_tydiqa_s_deviation_follows_the_profile_setting():
    default = {r["topic"]: r for r in methods()}["TyDiQA-GoldP training data"]
    english = {r["topic"]: r for r in methods(tydiqa_train="en")}["TyDiQA-GoldP training data"]
    assert default["deviates_from"] == [XTREME] and english["deviates_from"] == [PAPER]
    assert "TyDiQA-GoldP training data" in {r["topic"] for r in deviations(methods(), XTREME)}


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
    # a paper-profile record judged with English-only TyDiQA states it as a deviation from the paper
    monkeypatch.setenv(TYDIQA_TRAIN_ENV, "en")
    build_report([_record("a-claim") | {"profile": "paper"}], tmp_path / "en")
    en = json.loads((tmp_path / "en" / "report.json").read_text())["methods"]
    assert "TyDiQA-GoldP training data" in {r["topic"] for r in deviations(en, PAPER)}

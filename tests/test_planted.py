"""The planted world: its rules hold by construction, it stays out of the paper, and its breaks break."""
from pathlib import Path

import pytest
from scipy.stats import fisher_exact

from repro import plan, planted
from repro.claims import load_claims, select_claims
from repro.data import DataSource
from repro.fixtures import lexicon
from repro.fixtures.planted import MARKERS, null_rows, skill_rows, target_rows
from repro.profiles import PAPER, PROFILES
from repro.tasks import get_task
from repro.tasks.planted import INTERMEDIATE, NULL, SKILL, TARGET

ROOT = Path(__file__).resolve().parent.parent
PLANTED_NAMES = {SKILL, NULL, TARGET}


def _has_marker(text: str) -> bool:
    english = lexicon.words("en")
    return any(word in {english[m] for m in MARKERS} for word in text.split())


@pytest.mark.parametrize("lang", ["en", "de", "ru"])
def test_skill_and_target_labels_are_the_marker_rule(lang):
    assert all(row["label"] == _has_marker(row["sentence"]) for row in skill_rows("t", 300, lang))
    assert all(row["label"] == _has_marker(row["sentence1"] + " " + row["sentence2"])
               for row in target_rows("t", 300, lang))


def test_null_labels_say_nothing_about_markers_or_words():
    rows = null_rows("t", 2000, "en")
    table = [[sum(r["label"] == y and _has_marker(r["sentence"]) == m for r in rows) for y in (0, 1)]
             for m in (False, True)]
    assert min(min(row) for row in table) > 300  # markers in about half the rows, labels balanced
    assert fisher_exact(table).pvalue > 0.001  # independent of the rule the target needs


def test_target_sets_are_parallel_with_shared_markers():
    en, ru = target_rows("t", 200, "en"), target_rows("t", 200, "ru")
    assert [r["label"] for r in en] == [r["label"] for r in ru]
    english = {lexicon.words("en")[m] for m in MARKERS}
    for a, b in zip(en, ru):
        words_a = set((a["sentence1"] + " " + a["sentence2"]).split())
        words_b = set((b["sentence1"] + " " + b["sentence2"]).split())
        assert words_a & english == words_b & english  # the anchors are written alike
        assert len(words_a & words_b) == len(words_a & english)  # every other word is the language's own


def test_planted_tasks_stay_out_of_the_paper():
    for profile in PROFILES.values():
        assert not PLANTED_NAMES & {*profile.intermediate, *profile.target, *profile.intermediate_tasks}
    for claim in load_claims(ROOT / "claims"):
        assert not PLANTED_NAMES & {*claim.targets, *(t for c in claim.configurations_used() for t in c)}, claim.id
    runs = plan.planned_runs(select_claims(ROOT / "claims"), PAPER, DataSource("hub"))
    assert runs and not [r.name for r in runs if "planted" in r.name]


def test_planted_claims_cover_the_paper_kinds_on_planted_tasks_only():
    claims = load_claims(planted.CLAIMS_DIR)
    assert {c.kind for c in claims} >= {"magnitude", "improves", "no_benefit", "best"}
    for claim in claims:
        assert set(claim.targets) == {TARGET} and {t for c in claim.configurations_used() for t in c} <= set(INTERMEDIATE)
        assert planted.PROFILE.is_evidence and planted.PROFILE.name not in PROFILES


def test_an_unknown_break_is_named_with_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match="no known break.*skip-intermediate.*shuffle-target-labels"):
        planted.build(tmp_path, breaks="sabotage")


def _target(engine, config, seed=1):
    return plan.target_spec(engine.profile, engine.data, TARGET, intermediate=config, seed=seed)


def test_skipping_phase_two_reads_the_baseline_run(tmp_path, monkeypatch):
    engine = planted.build(tmp_path, breaks="skip-intermediate")
    seen = []
    monkeypatch.setattr(planted.Engine, "ensure", lambda self, spec: seen.append(spec))
    engine.ensure(_target(engine, (SKILL,)))
    assert seen[-1].key == _target(engine, None).key


def test_swapping_reads_the_other_tasks_run(tmp_path, monkeypatch):
    engine = planted.build(tmp_path, breaks="swap-intermediate")
    seen = []
    monkeypatch.setattr(planted.Engine, "ensure", lambda self, spec: seen.append(spec))
    for a, b in ((SKILL, NULL), (NULL, SKILL)):
        engine.ensure(_target(engine, (a,)))
        assert seen[-1].key == _target(engine, (b,)).key
    engine.ensure(_target(engine, None))
    assert seen[-1].key == _target(engine, None).key  # the baseline has no phase (ii) to swap


def test_shuffled_labels_break_only_the_targets_training_rows(tmp_path):
    intact, broken = planted.build(tmp_path, breaks="").data, planted.build(tmp_path, breaks="shuffle-target-labels").data
    assert broken.identity != intact.identity  # its runs are stored apart
    target = get_task(TARGET)
    good, bad = intact.load(target, "train"), broken.load(target, "train")
    assert good["sentence1"] == bad["sentence1"] and sorted(good["label"]) == sorted(bad["label"])
    agree = sum(a == b for a, b in zip(good["label"], bad["label"])) / len(good)
    assert 0.4 < agree < 0.6  # a permutation of balanced labels agrees about half the time
    assert intact.load(target, "validation")["label"] == broken.load(target, "validation")["label"]
    assert intact.load(get_task(SKILL), "train")["label"] == broken.load(get_task(SKILL), "train")["label"]

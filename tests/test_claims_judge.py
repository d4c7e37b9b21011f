"""Judging claim kinds on the engine source, with synthetic per-unit outcomes of known effect."""
import zlib
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest

from repro.claims import Claim, ClaimError
from repro.judging import judge
from repro.data import DataSource
from repro.profiles import SMOKE
from repro.report.schema import claim_record
from repro.stats import CellOutcomes

N_UNITS = 3000
# accuracy (0-1) per configuration and target, on dev ("validation") and test
BASE = 0.60
EFFECTS = {(): (0.0, 0.0), ("mnli",): (0.08, 0.01), ("squad",): (0.01, 0.06), ("mnli", "squad"): (0.12, 0.10)}


class FakeEngine:
    """An engine whose runs are specs and whose outcomes are drawn with the effects above."""

    def __init__(self, profile):
        self.profile, self.data = profile, DataSource("fixture", fixture_sizes=profile.fixture_sizes)
        self.ensured = []

    def ensure(self, spec):
        self.ensured.append(spec)
        return spec


READS: list = []  # (spec, split) of every outcome read, cleared by the fixture


def fake_outcomes(spec, split):
    """Unit i of a cell is correct when u_i < p: the same u for every run (paired, as shared test items)."""
    READS.append((spec, split))
    config = tuple(spec.parent.tasks) if spec.parent is not None and spec.parent.kind == "intermediate" else ()
    effect = EFFECTS[config][("xnli", "pawsx").index(spec.eval_task)]
    p = BASE + effect + np.random.default_rng(zlib.crc32(spec.key.encode())).normal(0, 0.004)  # seed noise
    cells = {}
    for lang in spec.eval_languages(split):
        u = np.random.default_rng(zlib.crc32(f"{spec.eval_task}{lang}{split}".encode())).random(N_UNITS)
        cells[(spec.eval_task, lang)] = CellOutcomes(np.arange(N_UNITS), np.column_stack([u < p, np.ones(N_UNITS)]))
    return cells


@pytest.fixture
def engine(monkeypatch):
    READS.clear()
    monkeypatch.setattr("repro.outcomes.run_outcomes", fake_outcomes)
    cfg = SMOKE.target["xnli"]
    profile = replace(SMOKE, seeds=(1, 2, 3), intermediate=MappingProxyType({"mnli": cfg, "squad": cfg}),
                      smoke_languages=MappingProxyType({"xnli": ("en", "de"), "pawsx": ("en", "de")}))
    return FakeEngine(profile)


def claim(**kw):
    base = dict(id="t", seed_claim=1, quote="q.", source="s", margin_reason="r", targets=("xnli", "pawsx"),
                configurations=(("mnli",),))
    c = Claim(**{**base, **kw})
    c._check("test")
    return c


def test_magnitude_on_the_xtreme_mean(engine):
    out = judge(claim(kind="magnitude", expected=4.5, margin=2.5), engine)
    assert out.verdict.estimate == pytest.approx(100 * (0.08 + 0.01) / 2, abs=1.2)
    assert out.verdict.outcome == "reproduced" and out.source == "engine" and not out.skipped
    assert len(out.runs) == 2 * 2 * 3 and len({s.key for s in engine.ensured}) == 12


@pytest.mark.parametrize("k, outcome", [(1, "reproduced"), (2, "not_reproduced")])
def test_at_least_k_configurations(engine, k, outcome):
    # on PAWS-X alone MNLI gains 1 point and SQuAD 6: a threshold of 3 holds for one of the two
    c = claim(kind="improves", threshold=3.0, targets=("pawsx",), configurations=(("mnli",), ("squad",)), at_least=k)
    out = judge(c, engine)
    assert out.verdict.outcome == outcome and out.verdict.kind == "at_least"
    assert [x.verdict.outcome for x in out.comparisons] == ["not_reproduced", "reproduced"]


def test_best_with_its_gain(engine):
    configs = (("mnli", "squad"), ("mnli",), ("squad",))
    out = judge(claim(kind="best", configurations=configs, expected=11.0, margin=1.5), engine)
    assert out.verdict.outcome == "reproduced" and out.verdict.kind == "all"
    assert [c.verdict.kind for c in out.comparisons] == ["best", "magnitude"]
    worse = judge(claim(kind="best", configurations=(("squad",), ("mnli", "squad"), ("mnli",))), engine)
    assert worse.verdict.outcome == "not_reproduced" and "significantly better" in worse.verdict.reason


def test_rules_judge_at_the_level_of_the_look_the_chains_reach(engine):
    """Smoke's design looks at 2 then 3 chains: 3 chains are its last look, judged at that look's level
    (below the nominal 0.05: the looks share it), recorded for report.json."""
    out = judge(claim(kind="magnitude", expected=4.5, margin=2.5), engine)
    level = SMOKE.sequential.alpha_at(1)
    assert out.sequential["look"] == 2 and out.sequential["chains"] == 3 and out.sequential["last"]
    assert out.sequential["level"] == level < 0.05 and out.verdict.alpha == level
    assert claim_record(out)["sequential"]["design"]["looks"] == [2, 3]
    first = judge(claim(kind="magnitude", expected=4.5, margin=2.5), FakeEngine(replace(engine.profile, seeds=(1, 2))))
    assert first.sequential["look"] == 1 and first.verdict.alpha == SMOKE.sequential.alpha_at(0) < 0.05


def test_best_per_target_chooses_on_dev_and_measures_on_test(engine):
    c = claim(kind="best_per_target", configurations=(("mnli",), ("squad",)), expected=7.0, margin=2.5,
              split="test", select_split="validation")
    out = judge(c, engine)
    (comp,) = out.comparisons
    assert "xnli: mnli" in comp.configuration and "pawsx: squad" in comp.configuration
    assert out.verdict.estimate == pytest.approx(100 * (0.08 + 0.06) / 2, abs=1.2)
    assert out.verdict.outcome == "reproduced"
    assert {split for _, split in READS} == {"validation", "test"}
    # one training per (configuration, target, seed) predicts dev and test: no twins
    assert len({s.key for s in engine.ensured}) == 3 * 2 * 3
    assert all(s.eval_splits == ("validation", "test") for s in engine.ensured)
    assert {(s.key, split) for s, split in READS} == {(s.key, split) for s in engine.ensured
                                                      for split in ("validation", "test")}


def test_a_claim_naming_a_task_the_profile_cannot_train_is_an_error(engine):
    with pytest.raises(ClaimError, match="no training configuration for qqp; add one to repro/profiles.py"):
        judge(claim(kind="improves", threshold=0.0, configurations=(("qqp",), ("mnli",))), engine)
    assert not engine.ensured


def test_sparse_bucc_cells_are_padded_with_zero_rows():
    from repro.judging import _pad_sparse
    a = {("bucc2018", "de"): CellOutcomes(np.array(["s1", "s2"]), np.array([[1, 1, 1], [0, 1, 0]]))}
    b = {("bucc2018", "de"): CellOutcomes(np.array(["s1", "s3"]), np.array([[1, 1, 1], [0, 0, 1]]))}
    x = {("xnli", "de"): CellOutcomes(np.array([1, 2]), np.array([[1, 1], [0, 1]]))}
    out = _pad_sparse({((), "bucc2018", 1, "test"): a, (("mnli",), "bucc2018", 1, "test"): b,
                       ((), "xnli", 1, "test"): x})
    pa, pb = out[((), "bucc2018", 1, "test")][("bucc2018", "de")], out[(("mnli",), "bucc2018", 1, "test")][("bucc2018", "de")]
    assert sorted(pa.units) == sorted(pb.units) == ["s1", "s2", "s3"]
    assert pa.stats.sum(axis=0).tolist() == [1, 2, 1] and pb.stats.sum(axis=0).tolist() == [1, 1, 2]
    assert out[((), "xnli", 1, "test")] is not x and out[((), "xnli", 1, "test")][("xnli", "de")] is x[("xnli", "de")]


def test_retrieval_runs_are_per_chain_and_the_baseline_s_serves_every_seed(engine, monkeypatch):
    """Tatoeba is evaluated straight from the encoder: from phase (ii) one run per chain (seed), from the
    pretrained model one deterministic run that every replicate reads, named once."""
    def outcomes(spec, split):
        config = tuple(spec.parent.tasks) if spec.parent is not None and spec.parent.kind == "intermediate" else ()
        u = np.random.default_rng(7).random(N_UNITS)
        p = BASE + (0.05 if config else 0.0)
        return {(spec.eval_task, lang): CellOutcomes(np.arange(N_UNITS), np.column_stack([u < p, np.ones(N_UNITS)]))
                for lang in spec.eval_languages(split)}
    monkeypatch.setattr("repro.outcomes.run_outcomes", outcomes)
    profile = replace(engine.profile, smoke_languages=MappingProxyType({"tatoeba": ("de",)}))
    out = judge(claim(kind="improves", threshold=0.0, targets=("tatoeba",)), FakeEngine(profile))
    assert len(profile.seeds) == 3 and len(out.runs) == len(set(out.runs)) == 4  # baseline and 3 from-mnli
    assert sorted(r.split("-")[-2] for r in out.runs if "from-mnli" in r) == ["s1", "s2", "s3"]
    assert out.seeds == profile.seeds

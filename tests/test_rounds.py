"""Rounds of the sequential design on a fake store: judge at the look the store holds, next round for open parts."""
import zlib
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest

from repro.claims import Claim
from repro.data import DataSource
from repro.profiles import SMOKE
from repro.rounds import design_lines, expected_hours, extended, judge_rounds, look_hours, next_round_runs, stored
from repro.stats import CellOutcomes
from repro.stats.sequential import SequentialDesign, look_text

N = 3000
EFFECT = {(): 0.0, ("mnli",): 0.08, ("squad",): 0.01}  # accuracy gain per configuration on every cell


class Store:
    """Which runs exist: the keys of the runs the engine has computed."""

    def __init__(self):
        self.keys = set()

    def get(self, spec):
        return spec if spec.key in self.keys else None


class Engine:
    """Computes a run by recording its key; its outcomes are drawn per run (seed noise) on shared units."""

    def __init__(self, profile, store):
        self.profile, self.store, self.compute = profile, store, True
        self.data = DataSource("fixture", fixture_sizes=profile.fixture_sizes)

    def ensure(self, spec):
        if spec.parent is not None:
            self.ensure(spec.parent)
        self.store.keys.add(spec.key)
        return spec


def fake_outcomes(spec, split):
    config = tuple(spec.parent.tasks) if spec.parent is not None and spec.parent.kind == "intermediate" else ()
    # a seed SD of 0.2 points: small enough that 2 chains (1 df a side, t quantile above 12) decide +8 points
    p = 0.6 + EFFECT[config] + np.random.default_rng(zlib.crc32(spec.key.encode())).normal(0, 0.002)
    cells = {}
    for lang in spec.eval_languages(split):
        u = np.random.default_rng(zlib.crc32(f"{spec.eval_task}{lang}{split}".encode())).random(N)
        cells[(spec.eval_task, lang)] = CellOutcomes(np.arange(N), np.column_stack([u < p, np.ones(N)]))
    return cells


@pytest.fixture
def engine(monkeypatch):
    monkeypatch.setattr("repro.outcomes.run_outcomes", fake_outcomes)
    cfg = SMOKE.target["xnli"]
    profile = replace(SMOKE, seeds=(1, 2), intermediate=MappingProxyType({"mnli": cfg, "squad": cfg}),
                      smoke_languages=MappingProxyType({"xnli": ("en", "de")}),
                      sequential=SequentialDesign((2, 3), spending="pocock", min_power=0.0))
    return Engine(profile, Store())


def claim(cid, **kw):
    c = Claim(**{**dict(id=cid, seed_claim=1, quote="q.", source="s", margin_reason="r", targets=("xnli",),
                        configurations=(("mnli",),)), **kw})
    c._check("test")
    return c


def test_round_flow_keeps_decided_parts_and_asks_chains_only_for_open_ones(engine):
    decided = claim("clear", kind="improves", threshold=0.0)                       # +8 points: decided at 2
    open_ = claim("edge", kind="improves", threshold=1.0, configurations=(("squad",),))  # +1 on its threshold
    first = {c.id: judge_rounds(c, engine) for c in (decided, open_)}
    assert first["clear"].verdict.outcome == "reproduced" and first["clear"].sequential["look"] == 1
    assert first["clear"].sequential["next_round"] is None and first["clear"].sequential["stopped"] == "decided"
    assert first["edge"].verdict.outcome == "inconclusive"
    assert first["edge"].sequential["stopped"] == "next round pending"
    upcoming = first["edge"].sequential["next_round"]
    assert upcoming["chains"] == 3 and upcoming["runs"] > 0
    # the next round lists only the open part's runs: the third chain of squad and of the baseline
    runs = next_round_runs(open_, engine, 3)
    assert len(runs) == upcoming["runs"] and all(r.spec.seed == 3 for r in runs)
    assert all("mnli" not in r.name for r in runs) and any("squad" in r.name for r in runs)
    for r in runs:  # the round computed (repro run --runs-file, as repro plan --next-round writes it)
        engine.ensure(r.spec)
    assert stored(open_, engine, 3) and not stored(decided, engine, 3)
    second = {c.id: judge_rounds(c, engine) for c in (decided, open_)}
    assert second["edge"].sequential["look"] == 2 and second["edge"].sequential["chains"] == 3
    assert second["edge"].sequential["next_round"] is None  # the last look: no further round
    kept = second["clear"]
    assert kept.verdict == first["clear"].verdict and kept.sequential == first["clear"].sequential
    assert kept.seeds == (1, 2)


def test_a_decided_part_keeps_its_look_when_more_chains_are_stored(engine):
    clear = claim("clear", kind="improves", threshold=0.0)
    early = judge_rounds(clear, engine)
    for r in next_round_runs(clear, engine, 3):
        engine.ensure(r.spec)
    later = judge_rounds(clear, engine)
    assert stored(clear, engine, 3)
    assert later.sequential["look"] == 1 and later.sequential["decided_early"] and later.verdict == early.verdict


def test_a_part_its_futility_stops_reads_the_next_looks_chains_other_parts_ran(engine):
    """Futility never binds: a part that would not ask for the next look is judged there when the store holds
    that look's runs anyway (other parts ran them), and the record says the look was not asked for."""
    engine.profile = replace(engine.profile, sequential=SequentialDesign((2, 3), spending="pocock", min_power=1.0))
    edge = claim("edge", kind="improves", threshold=1.0, configurations=(("squad",),))  # +1 on its threshold
    first = judge_rounds(edge, engine)
    assert first.verdict.outcome == "inconclusive" and first.sequential["look"] == 1
    assert first.sequential["stopped"] == "no fair chance at the next looks" and first.sequential["next_round"] is None
    assert "unasked" not in first.sequential
    for r in next_round_runs(edge, engine, 3):  # computed for another part that reads squad and the baseline
        engine.ensure(r.spec)
    second = judge_rounds(edge, engine)
    assert second.sequential["look"] == 2 and second.sequential["chains"] == 3 and second.seeds == (1, 2, 3)
    assert second.sequential["unasked"] == [2] and second.sequential["stopped"] in ("decided", "last look")
    assert "look 2 read on chains other parts ran" in look_text(second.sequential)


def test_an_unasked_look_is_read_only_where_it_adds_chains(engine):
    """With every comparison reported beside the verdict (needs ()), the next look would extend nothing: its
    level on the same chains would be a test the spending never counted, so the part stays at its look."""
    from repro.judging import judge
    from repro.rounds import walk
    engine.profile = replace(engine.profile, sequential=SequentialDesign((2, 3), spending="pocock", min_power=1.0))
    edge = claim("edge", kind="improves", threshold=1.0, configurations=(("squad",),))
    for r in next_round_runs(edge, engine, 3):
        engine.ensure(r.spec)

    def beside(c, e):
        out = judge(c, e)
        return replace(out, comparisons=tuple(replace(comp, needs=()) for comp in out.comparisons))
    out = walk(edge, engine, judge=beside).outcome
    assert out.sequential["look"] == 1 and "unasked" not in out.sequential
    assert walk(edge, engine).outcome.sequential["unasked"] == [2]  # as judged: its comparison needs chains


def test_plan_lines_give_the_first_round_and_each_look(engine):
    lines = design_lines([claim("clear", kind="improves", threshold=0.0)], engine.profile, engine.data)
    assert "looks at 2, 3 chains" in lines[0] and lines[1].startswith("design: first round (2 chains): ")
    paper = replace(engine.profile, sequential=SequentialDesign((2, 3), reach=(1.0, 0.5)))
    assert "design: expected total" in design_lines([claim("c", kind="improves", threshold=0.0)], paper,
                                                             engine.data)[-1]
    split = replace(engine.profile, sequential=SequentialDesign((2, 3), futility="split", min_power=0.2,
                                                                min_refute_power=0.6))
    assert ("power >= 0.2 (of 'reproduced' at the next or the last look, or >= 0.6 of 'not reproduced')"
            in design_lines([claim("c", kind="improves", threshold=0.0)], split, engine.data)[0])


def test_expected_total_runs_a_shared_run_when_any_of_its_parts_goes_on(engine):
    """A run two parts share is run once at a later look, when either part reaches it: with reach 0.5 each,
    with probability 1 - 0.5² = 0.75, not 0.5 (the parts' reach alone undercounts a shared plan)."""
    paper = replace(engine.profile, sequential=SequentialDesign((2, 3), reach=(1.0, 0.5)))
    one = [claim("a", kind="improves", threshold=0.0)]
    two = one + [claim("b", kind="improves", threshold=1.0)]  # the same runs, another rule
    (_, first), (_, later) = look_hours(one, paper, engine.data)
    assert later > 0 and look_hours(two, paper, engine.data) == look_hours(one, paper, engine.data)
    assert expected_hours(one, paper, engine.data, first) == pytest.approx(first + 0.5 * later)
    assert expected_hours(two, paper, engine.data, first) == pytest.approx(first + 0.75 * later)
    # a later look extending half of a part's runs: each part goes on with a run with probability 0.25
    narrow = replace(paper, sequential=SequentialDesign((2, 3), reach=(1.0, 0.5), later_share=(0.5,)))
    assert expected_hours(one, narrow, engine.data, first) == pytest.approx(first + 0.25 * later)
    assert expected_hours(two, narrow, engine.data, first) == pytest.approx(first + (1 - 0.75 ** 2) * later)
    with pytest.raises(ValueError, match="later_share must give a share in \\[0, 1\\] per look after the first"):
        SequentialDesign((2, 3), later_share=(0.5, 0.5))


def test_report_shows_the_look_and_marks_parts_decided_early(engine):
    from repro.report.content import claim_blocks
    from repro.report.figures import forest_plot
    from repro.report.schema import claim_record
    clear, edge = claim("clear", kind="improves", threshold=0.0), claim("edge", kind="improves", threshold=1.0,
                                                                         configurations=(("squad",),))
    records = [claim_record(judge_rounds(c, engine)) for c in (clear, edge)]
    assert records[0]["sequential"]["decided_early"] and not records[1]["sequential"]["decided_early"]
    text = "\n".join(str(b) for b in claim_blocks(records))
    assert "look 1 of 2 (2 chains" in text and "decided early" in text and "next round (3 chains) runs" in text
    fig = forest_plot(records)
    early = [a for a in fig.axes[0].get_children() if a.get_gid() == "early"]
    assert len(early) == 1  # the decided part only


def test_each_look_costs_its_added_chains(engine):
    from repro.plan import planned_runs
    from repro.rounds import look_hours
    claims = [claim("clear", kind="improves", threshold=0.0)]

    def total(n):
        return sum(r.gpu_hours for r in planned_runs(claims, engine.profile.with_seeds(n), engine.data,
                                                     seeds_chosen=True))
    (n0, first), (n1, added) = look_hours(claims, engine.profile, engine.data)
    assert (n0, n1) == (2, 3) and first == pytest.approx(total(2)) and added == pytest.approx(total(3) - total(2))
    assert added > 0


def test_the_power_rule_is_the_verdicts_kinds():
    """Predictive power plans with the rule the verdict's kind judges by (`ClaimKind.power_rule`)."""
    from repro.claims import load_claims
    from repro.rounds import rule_of
    from repro.stats import Verdict, magnitude_rule
    from repro.stats.verdicts import Outcome as O
    from tests.test_claims_files import CLAIMS

    claim = next(c for c in load_claims(CLAIMS) if c.id == "squad-gain")
    est, lo, hi = np.array([7.0, 1.0, 7.0]), np.array([6.9, 0.5, 5.0]), np.array([7.1, 1.5, 9.0])
    rule = rule_of(Verdict(O.INCONCLUSIVE, "magnitude", 0.0, (0, 0), (0, 0), ""), claim)
    expected = magnitude_rule(est, lo, hi, lo, hi, expected=claim.expected, margin=claim.margin)
    assert (rule(est, lo, hi, lo, hi) == expected).all() and set(expected) == {1, -1, 0}  # reproduced, refuted, open
    assert rule_of(Verdict(O.INCONCLUSIVE, "setup", 0.0, (0, 0), (0, 0), ""), claim) is None
    assert rule_of(Verdict(O.INCONCLUSIVE, "no such kind", 0.0, (0, 0), (0, 0), ""), claim) is None


def test_a_later_look_extends_only_the_configurations_open_comparisons_need(engine):
    """At least 2 of 2 improve by more than 1 point: mnli (+8) is decided at the first look, squad (+1, on the
    threshold) is not, so the second look adds a chain to squad and the baseline only; mnli keeps its 2."""
    both = claim("both", kind="improves", threshold=1.0, configurations=(("mnli",), ("squad",)))
    first = judge_rounds(both, engine)
    assert [c.verdict.outcome for c in first.comparisons] == ["reproduced", "inconclusive"]
    assert first.sequential["next_round"]["chains"] == 3
    (runs,) = [next_round_runs(replace(both, held=extended(first, 2).held), engine, 3)]
    assert runs and all(r.spec.seed == 3 for r in runs)
    assert not any("mnli" in r.name for r in runs) and any("squad" in r.name for r in runs)
    assert first.sequential["next_round"]["runs"] == len(runs)
    for r in runs:
        engine.ensure(r.spec)
    assert not stored(both, engine, 3) and stored(replace(both, held=((("mnli",), 2),)), engine, 3)
    second = judge_rounds(both, engine)
    assert second.sequential["look"] == 2 and second.sequential["held"] == {"mnli": 2}
    mnli, squad = second.comparisons
    assert (mnli.result.n_seeds_a, mnli.result.n_seeds_b) == (2, 3) and squad.result.n_seeds_a == 3
    from repro.report.schema import claim_record
    assert claim_record(second)["comparisons"][0]["seeds"] == [1, 2, 3]
    from repro.stats.sequential import look_text
    assert "held at fewer chains (no open comparison needed them at a later look): mnli 2" in look_text(second.sequential)


def test_extended_keeps_held_chains_and_frees_a_comparison_open_again(engine):
    both = claim("both", kind="improves", threshold=1.0, configurations=(("mnli",), ("squad",)))
    first = judge_rounds(both, engine)
    assert dict(extended(first, 2).held) == {("mnli",): 2}  # baseline and squad: extended
    reopened = replace(first, claim=replace(both, held=((("squad",), 2),)))  # squad held earlier, open now
    assert dict(extended(reopened, 3).held) == {("mnli",): 3}


def test_best_per_target_is_chosen_on_the_first_look_and_only_the_chosen_one_gets_chains(engine):
    """The best of mnli (+8) and squad (+1) per target, chosen on validation, measured on test against the
    baseline: a later look extends mnli and the baseline, and the choice is made on the chains both hold."""
    bpt = claim("bpt", kind="best_per_target", expected=8.0, margin=0.05, split="test",
                select_split="validation", configurations=(("mnli",), ("squad",)))
    first = judge_rounds(bpt, engine)
    assert first.verdict.outcome == "inconclusive" and "xnli: mnli" in first.comparisons[0].configuration
    assert first.comparisons[0].needs == (("mnli",), ())
    held = extended(first, 2).held
    assert dict(held) == {("squad",): 2}
    runs = next_round_runs(replace(bpt, held=held), engine, 3)
    assert runs and not any("squad" in r.name for r in runs)
    for r in runs:
        engine.ensure(r.spec)
    second = judge_rounds(bpt, engine)
    assert second.sequential["look"] == 2 and second.sequential["held"] == {"squad": 2}
    assert "xnli: mnli" in second.comparisons[0].configuration and "over the 2 chains" in second.comparisons[0].configuration
    assert second.comparisons[0].result.n_seeds_a == 3

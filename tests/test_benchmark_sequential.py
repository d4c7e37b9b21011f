"""benchmarks/sequential.py: per-configuration chains through the looks, and their GPU-hours on the paper plan."""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from repro.metrics.base import Accuracy
from repro.stats import compare_with_best, paired_difference
from repro.stats.chains import TASK, World, chain_shifts, draw_sample, outcomes
from repro.stats.sequential import SequentialDesign, fixed

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"{name}_bench", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load("sequential")


@pytest.fixture(scope="module")
def cost():
    from benchmarks import sequential_cost
    return sequential_cost


@pytest.mark.parametrize("kind", ["magnitude", "no_benefit", "at_least", "best", "best_per_target"])
def test_fixed_designs_cost_what_the_affine_model_did(cost, kind):
    """Every configuration at n chains: the per-configuration cost is the old fixed + n x per-chain cost."""
    part = cost.part_cost(kind)
    fixed_h, per = cost.chain_cost(cost.KIND_PART[kind])
    sims = {"magnitude": "a", "no_benefit": "a", "at_least": "abc", "best": "abc", "best_per_target": "ab"}[kind]
    for n in (3, 5, 10):
        assert part.hours(dict.fromkeys([*sims, "base"], n)) == pytest.approx(fixed_h + n * per, rel=1e-9)
    assert part.chain == pytest.approx(per, rel=1e-9)


def test_best_per_target_later_chain_is_a_bound_below_a_full_chain(cost):
    """Any selection fits under either bound (one configuration for every target, the baseline beside it; or a
    different one per target), the distinct-configurations bound is the tighter, and both cost less than a chain of
    all nineteen configurations."""
    part = cost.KIND_PART["best_per_target"]
    runs = cost.config_runs(part)
    base = sum(h for _, h in runs[cost.BASE].values())
    pool = sorted(sum(h for _, h in rs.values()) for c, rs in runs.items() if c != cost.BASE)
    dearest, distinct = (cost.part_cost("best_per_target", b).later for b in ("dearest", "distinct"))
    assert base + max(pool) <= distinct < dearest < cost.part_cost("best_per_target").chain
    assert cost.part_cost("best_per_target", "distinct").chain == cost.part_cost("best_per_target").chain
    with pytest.raises(ValueError, match="bound must be one of"):
        cost.best_per_target_bound(part, "cheapest")


def test_other_kinds_map_every_run_to_a_simulated_configuration(cost):
    """at least k of n: a third of the configurations each; best: the claimed one alone, the other nine split."""
    w = cost.sim_weights("at_least", "tydiqa-gain")
    assert sorted(sum(1 for v in w.values() if v == {s: 1.0}) for s in "abc") == [3, 3, 3]
    w = cost.sim_weights("best", "multitask-best")
    assert sum(1 for v in w.values() if v == {"a": 1.0}) == 1
    assert sum(1 for v in w.values() if v == {"b": 0.5, "c": 0.5}) == 9
    with pytest.raises(ValueError, match="no chain count"):
        cost.part_cost("at_least").hours({"a": 3, "b": 3, "base": 3})


class _Outcome(str):
    @property
    def value(self):
        return str(self)


def test_run_design_extends_only_the_configurations_a_part_needs(bench, monkeypatch):
    needs = [{"base", "b", "c"}, {"base", "a", "c"}, {"base", "c"}, set()]
    seen = []

    def at(chains, alpha):
        seen.append(dict(chains))
        k = len(seen) - 1
        verdict = SimpleNamespace(outcome=_Outcome("reproduced" if k == 3 else "inconclusive"))
        result = SimpleNamespace(components=None, seed_variance_estimable=False, interval=lambda level: (-1.0, 1.0))
        return verdict, [(result, None, 0.0)], [(result, None)], needs[k]
    at.configs = ("a", "b", "c", "base")
    # min power 0: every look goes on, whatever the (absent) power
    outcome, history, cover = bench.run_design(at, SequentialDesign((3, 5, 8, 10), min_power=0.0))
    assert outcome == "reproduced" and history == seen and cover == 1.0
    assert [h["a"] for h in history] == [3, 3, 8, 8]    # decided at look 1, open again at look 2: to look 3's
    assert [h["b"] for h in history] == [3, 5, 5, 5]
    assert [h["c"] for h in history] == [3, 5, 8, 10]
    assert [h["base"] for h in history] == [3, 5, 8, 10]
    seen.clear()
    assert bench.run_design(at, fixed(5))[1] == [dict.fromkeys(at.configs, 5)]


def test_at_least_extends_the_baseline_and_the_undecided_configurations_only(bench):
    world = World(seeds=10, n=1000, languages=(0.4, 1.0, 1.6), sd_ii=0.03, sd_iii=0.02)
    at = bench.simulate_part("at_least", {"a": 6.0, "b": 0.0, "c": 0.0}, np.random.default_rng(0), world, seed=0)
    verdict, pairs, watched, need = at(dict.fromkeys(at.configs, 3), 0.02)
    assert need == {"base", "b", "c"} and len(watched) == 2
    # a judgement on unequal chains: a keeps its 3, the others reach 5
    verdict, pairs, watched, need = at({"a": 3, "b": 5, "c": 5, "base": 5}, 0.02)
    assert {r.components.n_seeds_a for r, _, _ in pairs} == {3, 5}


def test_intervals_take_configurations_with_unequal_chains():
    world = World(seeds=8, n=300, languages=(1.0,))
    rng = np.random.default_rng(1)
    runs = outcomes(rng, draw_sample(rng, world), chain_shifts(rng, {"a": 0.3, "b": 0.0, "c": 0.0}, world), world)
    metrics = {TASK: Accuracy()}
    r = paired_difference(runs["a"][:8], runs["base"][:3], metrics=metrics, n_resamples=99, rng=0)
    assert (r.components.n_seeds_a, r.components.n_seeds_b) == (8, 3) and np.isfinite(r.se) and r.se > 0
    best = compare_with_best({"a": runs["a"][:8], "b": runs["b"][:3], "c": runs["c"][:5]}, "a", metrics=metrics,
                             n_resamples=99, rng=0)
    assert [best.pairwise[o].components.n_seeds_b for o in best.others] == [3, 5]
    assert np.all(np.isfinite(best.lower)) and np.all(best.lower < best.estimate)


def test_a_design_is_read_from_its_notation(bench):
    """LOOKS/SPENDING/FUTILITY/MIN_POWER[/MIN_REFUTE_POWER], as --design and --compare take it; a bad one is named."""
    assert bench.parse_design("2,4,6,10/pocock/split/0.2/0.6") == SequentialDesign(
        (2, 4, 6, 10), spending="pocock", futility="split", min_power=0.2, min_refute_power=0.6)
    assert bench.parse_design("3,5,8,10/pocock/decision/0.35").min_refute_power is None
    for bad, why in (("2,4,6,10/pocock/split/0.2", "needs min_refute_power"), ("3,5/pocock/decision/0.3/0.5/1", "too many"),
                     ("3,5/sideways/decision/0.3", "spending must be one of")):
        with pytest.raises(SystemExit, match=why):
            bench.parse_design(bad)

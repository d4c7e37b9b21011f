"""The sequential design: boundaries against published values, the error rate spent over looks, power."""
from functools import partial

import numpy as np
import pytest
from scipy import stats as sps

from repro.stats.sequential import (SequentialDesign, constant_bounds, crossing, decide_probability, fixed,
                                    spending_bounds, spent, worth_continuing)
from repro.stats.verdicts import improves_rule, magnitude_rule

EQUAL5 = np.arange(1, 6) / 5


@pytest.mark.parametrize("k, pocock, obf", [(2, 2.178, 1.977), pytest.param(3, 2.289, 2.004, marks=pytest.mark.slow),
                                            pytest.param(4, 2.361, 2.024, marks=pytest.mark.slow), (5, 2.413, 2.040)])
def test_classical_constants_match_jennison_turnbull(k, pocock, obf):
    """Pocock's C_P and O'Brien & Fleming's C_B for two-sided alpha 0.05, equal spacing (J&T Tables 2.1, 2.3)."""
    f = np.arange(1, k + 1) / k
    assert constant_bounds(f, 0.05, shape="pocock")[0] == pytest.approx(pocock, abs=6e-4)
    assert constant_bounds(f, 0.05, shape="obrien_fleming")[-1] == pytest.approx(obf, abs=6e-4)


def test_spending_bounds_match_lan_demets_reference():
    """Two-sided alpha 0.05 (0.025 a side), K = 5 equal looks: Reboussin et al.'s ld98 / ldbounds values."""
    for spending, ref in (("obrien_fleming", (4.8769, 3.3570, 2.6803, 2.2898, 2.0310)),
                          ("pocock", (2.4380, 2.4268, 2.4101, 2.3966, 2.3859))):
        inc = np.diff(np.concatenate([[0.0], spent(EQUAL5, 0.025, spending)]))
        assert spending_bounds(EQUAL5, inc, two_sided=False) == pytest.approx(ref, abs=2e-3)


def test_crossing_spends_exactly_the_planned_increments():
    inc = np.diff(np.concatenate([[0.0], spent(EQUAL5, 0.05, "pocock")]))
    bounds = spending_bounds(EQUAL5, inc, two_sided=True)
    assert crossing(bounds, EQUAL5, two_sided=True) == pytest.approx(inc, abs=1e-7)
    assert spent(1.0, 0.05, "obrien_fleming") == pytest.approx(0.05)


def test_design_levels_are_below_nominal_and_one_look_is_nominal():
    design = SequentialDesign((3, 5, 8, 10))
    assert all(0 < a < 0.05 for a in design.levels)
    assert list(design.levels) == sorted(design.levels)  # O'Brien-Fleming: strict early, near nominal late
    assert fixed(5).levels == (0.05,)
    assert design.look(4) == 0 and design.look(10) == 3 and design.look(2) is None
    assert design.record()["looks"] == [3, 5, 8, 10]


@pytest.mark.parametrize("bad", [(), (1, 3), (5, 3), (3, 3)])
def test_bad_looks_are_one_clear_error(bad):
    with pytest.raises(ValueError, match="increasing chain counts"):
        SequentialDesign(bad)


def _looks_simulated(design_alphas, looks, truth, rule, rng, reps=20000, sd_chain=1.0, sd_fixed=0.2):
    """Verdict codes of `reps` sequential trials judged on the look statistics directly: per chain a
    difference truth + N(0, sd_chain²) on top of a shared test-set error N(0, sd_fixed²); at look k the
    estimate is their mean, its SE from the chains' spread (t, n - 1 df) with the known test-set part
    added; a trial stops at its first decisive look."""
    d = truth + rng.normal(0, sd_fixed, (reps, 1)) + rng.normal(0, sd_chain, (reps, looks[-1]))
    final = np.zeros(reps, dtype=int)
    open_ = np.ones(reps, dtype=bool)
    for n, alpha in zip(looks, design_alphas):
        est = d[:, :n].mean(axis=1)
        se = np.sqrt(d[:, :n].var(axis=1, ddof=1) / n + sd_fixed**2)
        h1, h2 = sps.t.ppf(1 - alpha, n - 1) * se, sps.t.ppf(1 - alpha / 2, n - 1) * se
        code = rule(est, est - h1, est + h1, est - h2, est + h2)
        decided = open_ & (code != 0)
        final[decided] = code[decided]
        open_ &= code == 0
    return final


@pytest.mark.parametrize("spending", ["obrien_fleming", "pocock"])
def test_error_rate_is_spent_over_the_looks(spending):
    """A null truth on the magnitude band's lower edge, a look at every chain count 3..10 (the most looks):
    false "reproduced" at most 0.05 with the design's levels; judged at the nominal 0.05 at every look, more."""
    looks = tuple(range(3, 11))
    design = SequentialDesign(looks, spending=spending)
    rule = partial(magnitude_rule, expected=3.0, margin=1.5)
    rng = np.random.default_rng(27)
    adjusted = _looks_simulated(design.levels, looks, 1.5, rule, rng)
    nominal = _looks_simulated([0.05] * len(looks), looks, 1.5, rule, np.random.default_rng(27))
    rate, unadjusted = np.mean(adjusted == 1), np.mean(nominal == 1)
    se = np.sqrt(0.05 * 0.95 / len(adjusted))
    assert rate <= 0.05 + 2 * se, (rate, unadjusted)
    assert unadjusted > 0.05 + 4 * se, (rate, unadjusted)  # the teeth: looking repeatedly at 0.05 inflates it


def test_improves_false_positives_spent_at_its_one_sided_level():
    """"Improves" at a null truth 0 reads the 95% interval: its one-sided 0.025 holds over eight looks."""
    looks = tuple(range(3, 11))
    rule = partial(improves_rule, threshold=0.0)
    codes = _looks_simulated(SequentialDesign(looks, spending="pocock").levels, looks, 0.0, rule,
                             np.random.default_rng(5))
    nominal = _looks_simulated([0.05] * len(looks), looks, 0.0, rule, np.random.default_rng(5))
    assert np.mean(codes == 1) <= 0.025 + 2 * np.sqrt(0.025 * 0.975 / len(codes))
    assert np.mean(nominal == 1) > 0.04


class _Result:
    """A stand-in DifferenceResult: estimate, se and variance components at a chain count."""

    def __init__(self, estimate, chains, seed_var=4.0, var_examples=0.04):
        self.estimate, self.seed_variance_estimable = estimate, True
        self.var_examples, self._seed, self._n = var_examples, seed_var, chains
        self.se = float(np.sqrt(var_examples + seed_var / chains))
        self.components = self

    def at(self, s_a, s_b):
        return self.var_examples, self._seed / s_a, s_a - 1


def test_decide_probability_grows_with_chains_and_distance_from_the_edge():
    rule = partial(improves_rule, threshold=0.0)
    near, far = _Result(0.3, 3), _Result(3.0, 3)
    p_near = [decide_probability(near, rule, chains=n, alpha=0.05) for n in (5, 10)]
    p_far = decide_probability(far, rule, chains=5, alpha=0.05)
    assert 0 <= p_near[0] < p_near[1] < 1 and p_far > p_near[0]
    assert decide_probability(near, rule, chains=3, alpha=0.05) == 0.0  # no more chains, nothing to gain


def test_worth_continuing_stops_at_the_last_look_and_for_futility():
    rule = partial(improves_rule, threshold=0.0)
    design = SequentialDesign((3, 5, 8, 10), min_power=0.3)
    assert worth_continuing(_Result(2.0, 10), rule, design, 3) == (False, 0.0)
    go, power = worth_continuing(_Result(2.0, 3), rule, design, 0)
    assert go and power >= 0.3
    stop, low = worth_continuing(_Result(0.0, 3, seed_var=40.0), rule, design, 0)
    assert not stop and low < 0.3


def test_reproduce_futility_stops_a_part_heading_for_a_late_refutation_only():
    """futility="reproduce" (the trials' rule): continue for a fair chance of "reproduced" at the next or last look,
    or of "not reproduced" at the next; "decision" also continues for a refutation that only the last look gives."""
    rule = partial(improves_rule, threshold=0.0)
    late = _Result(-2.0, 3)  # below the threshold: refuted at 10 chains likely, at 5 not
    split = [decide_probability(late, rule, chains=n, alpha=0.02, verdict=v) for n in (5, 10) for v in (1, -1)]
    total = [decide_probability(late, rule, chains=n, alpha=0.02) for n in (5, 10)]
    assert np.allclose([split[0] + split[1], split[2] + split[3]], total)
    assert split[1] < 0.35 <= split[3] and max(split[0], split[2]) < 0.01
    decision = SequentialDesign((3, 5, 8, 10), spending="pocock", min_power=0.35)
    reproduce = SequentialDesign((3, 5, 8, 10), spending="pocock", min_power=0.35, futility="reproduce")
    assert worth_continuing(late, rule, decision, 0)[0] and not worth_continuing(late, rule, reproduce, 0)[0]
    assert worth_continuing(_Result(-3.5, 3), rule, reproduce, 0)[0]  # refuted at the next look: that look is run
    assert worth_continuing(_Result(2.0, 3), rule, reproduce, 0)[0]  # a fair chance of "reproduced"
    with pytest.raises(ValueError, match="futility must be one of"):
        SequentialDesign((3, 5), futility="never")


def test_split_futility_weighs_each_verdict_against_its_own_threshold():
    """futility="split": go on for a chance of "reproduced" >= min_power or of "not reproduced" >= min_refute_power,
    each at the next or the last look; the power given is the larger chance."""
    rule = partial(improves_rule, threshold=0.0)
    late = _Result(-2.0, 3)  # heading for a refutation at the last look, with little chance of "reproduced"

    def split(min_power, refute):
        return SequentialDesign((3, 5, 8, 10), spending="pocock", futility="split", min_power=min_power,
                                min_refute_power=refute)
    design = split(0.2, 0.5)
    chance = {v: max(decide_probability(late, rule, chains=design.looks[j], alpha=design.alpha_at(j), verdict=v)
                     for j in (1, 3)) for v in (1, -1)}
    assert chance[1] < 0.01 < 0.35 < chance[-1] < 0.9
    go, power = worth_continuing(late, rule, split(0.2, chance[-1] - 0.01), 0)
    assert go and power == pytest.approx(chance[-1])
    assert not worth_continuing(late, rule, split(0.2, chance[-1] + 0.01), 0)[0]  # refutation not likely enough
    assert worth_continuing(_Result(2.0, 3), rule, split(0.2, 1.0), 0)[0]  # a fair chance of "reproduced"
    assert worth_continuing(late, rule, split(0.2, 0.3), 3) == (False, 0.0)  # no look after the last
    assert design.record()["min_refute_power"] == 0.5 and "min_refute_power" not in SequentialDesign((3, 5)).record()
    with pytest.raises(ValueError, match="needs min_refute_power"):
        SequentialDesign((3, 5), futility="split")
    with pytest.raises(ValueError, match="needs min_refute_power"):
        SequentialDesign((3, 5), min_refute_power=0.5)
    with pytest.raises(ValueError, match="min_refute_power <= 1"):
        split(0.2, 1.5)

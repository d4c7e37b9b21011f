"""Verdict rules, reasons, single-seed honesty, conjunctions and seeds_needed."""
import numpy as np
import pytest
from scipy import stats as sps

from repro.stats import (DifferenceResult, Outcome, judge_all, judge_beats, judge_improves, judge_magnitude,
                         judge_no_benefit, seeds_needed)
from repro.stats.verdicts import improves_rule


def fake(est, se_ex, seed_var=0.0, s=5, estimable=True):
    """A DifferenceResult with chosen components: Var_seed = 2 seed_var / s, Welch df = 2 (s - 1)."""
    var_seeds = 2 * seed_var / s if estimable else np.nan
    df = 2 * (s - 1) if estimable and seed_var > 0 else np.inf
    r = DifferenceResult(est, (0, 0), (0, 0), se_ex**2, var_seeds, df, s, s, 999, np.zeros(s), np.zeros(s),
                         seed_var if estimable else np.nan, seed_var if estimable else np.nan, estimable, None,
                         np.zeros(3))
    return r


R, N, I = Outcome.REPRODUCED, Outcome.NOT_REPRODUCED, Outcome.INCONCLUSIVE


@pytest.mark.parametrize("est, se, outcome, qualifier", [
    (5.0, 0.1, R, None), (2.0, 0.1, N, "direction reproduced, magnitude not"), (8.0, 0.1, N, "direction reproduced, magnitude not"),
    (-1.0, 0.1, N, None), (5.0, 2.0, I, None), (5.9, 0.1, I, None),
])
def test_magnitude(est, se, outcome, qualifier):
    v = judge_magnitude(fake(est, se), expected=5, margin=1)
    assert (v.outcome, v.qualifier) == (outcome, qualifier)
    assert v.outcome == outcome.value  # compares as its string
    assert f"Δ = {est:+.2f}" in v.reason and v.reason.endswith(".")


@pytest.mark.parametrize("est, se, thr, outcome, qualifier", [
    (1.0, 0.1, 0, R, None), (-1.0, 0.1, 0, N, None), (0.1, 1.0, 0, I, None),
    (1.0, 0.1, 3, N, "improves, but by less than the threshold"), (4.0, 0.1, 3, R, None),
])
def test_improves(est, se, thr, outcome, qualifier):
    v = judge_improves(fake(est, se), threshold=thr)
    assert (v.outcome, v.qualifier) == (outcome, qualifier)


@pytest.mark.parametrize("est, se, two_sided, outcome, qualifier", [
    (0.0, 0.1, False, R, None), (0.5, 0.1, False, R, "a significant gain smaller than the margin"),
    (3.0, 0.1, False, N, None), (1.0, 1.0, False, I, None), (-3.0, 0.1, False, R, None),
    (-3.0, 0.1, True, N, None), (0.0, 0.1, True, R, None), (-0.9, 0.1, True, I, None),
])
def test_no_benefit(est, se, two_sided, outcome, qualifier):
    v = judge_no_benefit(fake(est, se), margin=1, two_sided=two_sided)
    assert (v.outcome, v.qualifier) == (outcome, qualifier)


@pytest.mark.parametrize("est, se, outcome, qualifier", [
    (2.0, 0.1, R, None), (0.3, 0.1, R, "trivial effect"), (0.0, 0.1, N, "practically equivalent"),
    (-2.0, 0.1, N, None), (0.3, 1.0, I, None),
])
def test_beats(est, se, outcome, qualifier):
    v = judge_beats(fake(est, se), trivial_margin=0.5)
    assert (v.outcome, v.qualifier) == (outcome, qualifier)


def test_one_seed_is_never_decisive():
    r = fake(5.0, 0.1, estimable=False)
    for v in (judge_magnitude(r, expected=5, margin=1), judge_improves(r), judge_no_benefit(r, margin=10),
              judge_beats(r, trivial_margin=0.1)):
        assert v.outcome == I and v.qualifier == "conditional on one seed" and v.seeds_needed is None
        assert "seed variance unknown" in v.reason


def test_margins_are_checked():
    with pytest.raises(ValueError, match="margin"):
        judge_magnitude(fake(1, 1), expected=1, margin=-1)
    with pytest.raises(ValueError, match="alpha"):
        judge_improves(fake(1, 1), alpha=0.7)


def test_seeds_needed_matches_the_closed_form_power():
    # improves: P(decisive) = Φ(Δ/SE - t) + Φ(-Δ/SE - t), SE(S)^2 = Var_ex + 2σ²/S, df = 2(S-1)
    r = fake(1.0, 0.2, seed_var=1.0, s=3)
    v = judge_improves(r)
    assert v.outcome == I
    s = np.arange(2, 1001)
    se = np.sqrt(0.04 + 2 / s)
    t = sps.t.ppf(0.975, 2 * (s - 1))
    p = sps.norm.cdf(1 / se - t) + sps.norm.cdf(-1 / se - t)
    expected = int(s[np.argmax(p >= 0.8)])
    assert abs(v.seeds_needed - expected) <= 1
    assert seeds_needed(r, lambda *a: improves_rule(*a, threshold=0.0)) == v.seeds_needed
    # when the example variance alone is too large, no number of seeds helps
    assert judge_improves(fake(1.0, 1.0, seed_var=1.0, s=3)).seeds_needed is None


def test_judge_all_is_intersection_union():
    good = judge_improves(fake(2.0, 0.1), label="xnli")
    weak = judge_improves(fake(-0.45, 0.2), label="pawsx")  # refuted at 0.05, not at 0.05/3
    strong = judge_improves(fake(-2.0, 0.2), label="udpos")
    unsure = judge_improves(fake(0.5, 0.1, seed_var=0.5, s=3), label="panx")
    assert weak.outcome == N
    assert judge_all([good, good]).outcome == R
    v = judge_all([good, good, weak])
    assert v.outcome == I and "none is refuted at alpha/3" in v.reason
    v = judge_all([good, strong, unsure], label="all tasks")
    assert v.outcome == N and "udpos" in v.reason and v.components[1] is strong
    v = judge_all([good, unsure])
    assert v.outcome == I and v.seeds_needed == unsure.seeds_needed is not None
    with pytest.raises(ValueError, match="non-empty"):
        judge_all([])

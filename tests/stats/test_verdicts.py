"""Verdict rules on intervals built by hand, so each branch is pinned down."""
import pytest
from scipy import stats as sps

from repro.stats import DifferenceResult
from repro.stats import verdicts as V


def result(estimate, se, *, seed_variance="estimated", df=float("inf"), example_share=0.5):
    q90, q95 = sps.norm.ppf(0.95), sps.norm.ppf(0.975)
    return DifferenceResult(estimate=estimate, var_examples=se ** 2 * example_share,
                            var_seeds=se ** 2 * (1 - example_share), df=df,
                            seed_scores_a=(estimate + 1, estimate - 1, estimate), seed_scores_b=(0.0, 0.1, -0.1),
                            seed_variance=seed_variance, n_resamples=999,
                            ci90=(estimate - q90 * se, estimate + q90 * se),
                            ci95=(estimate - q95 * se, estimate + q95 * se))


@pytest.mark.parametrize("estimate, se, outcome", [
    (0.0, 0.3, "reproduced"),        # 90% upper bound 0.49 < 1
    (3.0, 0.5, "not_reproduced"),    # 90% lower bound 2.2 > 1
    (0.8, 0.5, "inconclusive"),
])
def test_no_benefit(estimate, se, outcome):
    assert V.judge_no_benefit(result(estimate, se), margin=1.0).outcome == outcome


def test_no_benefit_two_sided_catches_harm():
    assert V.judge_no_benefit(result(-3.0, 0.5), margin=1.0).outcome == "reproduced"
    assert V.judge_no_benefit(result(-3.0, 0.5), margin=1.0, two_sided=True).outcome == "not_reproduced"


@pytest.mark.parametrize("estimate, se, outcome, qualifier", [
    (8.0, 0.4, "reproduced", ""),
    (3.0, 0.4, "not_reproduced", "direction reproduced, magnitude not"),
    (-1.0, 0.4, "not_reproduced", ""),
    (8.0, 2.0, "inconclusive", ""),
])
def test_magnitude(estimate, se, outcome, qualifier):
    v = V.judge_magnitude(result(estimate, se), expected=8.2, margin=1.5)
    assert (v.outcome, v.qualifier) == (outcome, qualifier)
    assert v.estimate == estimate and str(v.outcome) in {"reproduced", "not_reproduced", "inconclusive"}


def test_improves_and_beats():
    assert V.judge_improves(result(2.0, 0.5)).outcome == "reproduced"
    assert V.judge_improves(result(2.0, 0.5), threshold=5.0).outcome == "not_reproduced"
    assert V.judge_beats(result(0.1, 0.1), trivial_margin=0.5).outcome == "not_reproduced"
    assert V.judge_beats(result(2.0, 0.5), trivial_margin=0.5).outcome == "reproduced"
    assert V.judge_beats(result(0.5, 0.5), trivial_margin=0.2).outcome == "inconclusive"


def test_one_seed_never_decides():
    v = V.judge_no_benefit(result(0.0, 0.1, seed_variance="unknown"), margin=1.0)
    assert v.outcome == "inconclusive" and "one seed" in v.reason


def test_inconclusive_says_how_many_seeds_would_decide():
    r = result(0.5, 0.4, example_share=0.05)
    v = V.judge_no_benefit(r, margin=1.0)
    assert v.outcome == "inconclusive" and v.seeds_needed is not None and v.seeds_needed > 3
    z = sps.norm.ppf(0.95) + sps.norm.ppf(0.8)
    assert z * r.projected_se(v.seeds_needed) <= 0.5 < z * r.projected_se(v.seeds_needed - 1)


def test_conjunction_is_reproduced_only_if_every_part_is():
    ok, bad = V.judge_no_benefit(result(0.0, 0.3), margin=1.0), V.judge_no_benefit(result(3.0, 0.5), margin=1.0)
    assert V.judge_all([ok, ok]).outcome == "reproduced"
    both = V.judge_all([ok, bad])
    assert both.outcome == "not_reproduced" and both.estimate == 3.0 and "1 not_reproduced" in both.reason


def test_more_seeds_cannot_beat_example_noise():
    assert V.judge_no_benefit(result(0.5, 0.4, example_share=0.9), margin=1.0).seeds_needed is None

"""compare_with_best and judge_best on planted configurations."""
import pytest

from repro.stats import Outcome, compare_with_best, judge_best
from repro.stats.simulate import accuracy_datasets


def configs(mu, seeds=4, n=2000, rng=0):
    data, _ = accuracy_datasets(1, n, mu=mu, sigma_v=(0.0,) * len(mu), sigma_u=0.05, seeds=(seeds,) * len(mu), rng=rng)
    return dict(zip("ABC", data[0]))


def test_clear_winner_is_reproduced(acc):
    best = compare_with_best(configs((1.0, 0.5, 0.4)), "A", metrics={"task": acc}, n_resamples=1000)
    assert best.others == ("B", "C") and (best.lower > 0).all() and (best.lower < best.estimate).all()
    assert (best.upper > best.estimate).all() and best.prob_best > 0.95
    v = judge_best(best)
    assert v.outcome == Outcome.REPRODUCED and "P(best)" in v.reason


def test_a_better_alternative_refutes(acc):
    best = compare_with_best(configs((0.4, 1.0, 0.3)), "A", metrics={"task": acc}, n_resamples=1000)
    assert best.upper[0] < 0 and best.prob_best < 0.05
    assert judge_best(best).outcome == Outcome.NOT_REPRODUCED


def test_a_tie_is_inconclusive_unless_a_margin_is_allowed(acc):
    best = compare_with_best(configs((0.8, 0.8, 0.2)), "A", metrics={"task": acc}, n_resamples=1000)
    v = judge_best(best)
    assert v.outcome == Outcome.INCONCLUSIVE
    assert judge_best(best, margin=5.0).outcome == Outcome.REPRODUCED


def test_simultaneous_bounds_are_wider_than_pairwise(acc):
    best = compare_with_best(configs((0.9, 0.7, 0.6)), "A", metrics={"task": acc}, n_resamples=1000)
    for lo, o in zip(best.lower, best.others):
        assert lo <= best.pairwise[o].ci90[0] + 1e-12  # one-sided 95% pairwise bound


def test_checks(acc):
    c = configs((1.0, 0.5))
    with pytest.raises(ValueError, match="claimed configuration 'Z'"):
        compare_with_best(c, "Z", metrics={"task": acc})
    with pytest.raises(ValueError, match="at least one alternative"):
        compare_with_best({"A": c["A"]}, "A", metrics={"task": acc})

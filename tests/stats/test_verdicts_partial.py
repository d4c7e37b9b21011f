"""Partial conjunctions ("at least k of K hold") and point estimates judged against a claim's tolerance."""
import numpy as np
import pytest

from repro.stats import (Outcome, beats_rule, improves_rule, judge_at_least, judge_improves, judge_point,
                         magnitude_rule, no_benefit_rule)
from tests.stats.test_verdicts import fake

R, N, I = Outcome.REPRODUCED, Outcome.NOT_REPRODUCED, Outcome.INCONCLUSIVE


def improves(est, se=0.1):
    return judge_improves(fake(est, se), threshold=0, label=f"est {est}")


@pytest.mark.parametrize("ests, k, outcome", [
    ((1, 1, 1, -1), 3, R),        # three clear gains, one loss: at least 3 of 4 hold
    ((1, 1, -1, -1), 3, N),       # two losses: at most 2 can hold
    ((1, 1, 0.05, -1), 3, I),     # the third is undecided
    ((1, -1, -1, -1), 1, R),      # k = 1: one clear gain is enough
    ((-1, -1, -1, -1), 1, N),     # every component refuted
])
def test_at_least(ests, k, outcome):
    v = judge_at_least([improves(e) for e in ests], k, label="many")
    assert v.outcome == outcome and v.kind == "at_least" and len(v.components) == len(ests)
    assert v.reason.startswith(f"many: at least {k} of {len(ests)}")


def test_a_conjunction_shows_the_component_that_decides_it():
    from repro.stats.verdicts import judge_all, judge_no_benefit
    v = judge_at_least([improves(e) for e in (3, 1, 2, -1)], 2)
    assert v.estimate == pytest.approx(2) and "2nd best component's (est 2)" in v.reason
    assert judge_all([improves(e) for e in (3, 1, 2)]).estimate == pytest.approx(1)  # the worst gain
    none = [judge_no_benefit(fake(e, 0.1), margin=1.0, label=f"est {e}") for e in (-1.0, 0.5, 0.2)]
    worst = judge_all(none, lower_is_better=True)  # the "no benefit" kind's direction (ClaimKind.lower_is_better)
    assert worst.outcome == R and worst.estimate == pytest.approx(0.5) and "least favourable: est 0.5" in worst.reason
    assert judge_all(none).estimate == pytest.approx(-1.0)  # read as gains, the lowest is the worst
    from repro.kinds import get_kind
    assert get_kind("no_benefit").lower_is_better and not get_kind("improves").lower_is_better


def test_at_least_tightens_alpha_with_the_slack():
    # z = 2.1 clears the 95 % interval (1.96) but not the 97.5 % one (2.24) that K - k + 1 = 2 asks for
    edge = improves(2.1, se=1.0)
    assert edge.outcome == R
    assert judge_at_least([edge, improves(10)], 2).outcome == R     # k = K: alpha unchanged
    assert judge_at_least([edge, edge], 1).outcome == I              # alpha / 2 is not met


@pytest.mark.parametrize("k", [0, 4, 1.5])
def test_at_least_rejects_a_bad_k(k):
    with pytest.raises(ValueError, match="k must be an integer in"):
        judge_at_least([improves(1)] * 3, k)


@pytest.mark.parametrize("kind, est, args, outcome", [
    ("magnitude", 8.3, dict(expected=8.2, margin=1.5), R),
    ("magnitude", 4.1, dict(expected=8.2, margin=1.5), N),
    ("magnitude", -0.5, dict(expected=0.3, margin=1.5), N),  # inside the band but not an improvement
    ("improves", 5.5, dict(threshold=5.0), R),
    ("improves", 5.0, dict(threshold=5.0), I),  # exactly on the threshold: neither side
    ("no_benefit", 0.7, dict(margin=1.0, two_sided=False), R),
    ("no_benefit", 1.8, dict(margin=1.0, two_sided=False), N),
    ("beats", 0.4, dict(trivial_margin=0.5), R),  # positive, however small (no interval to call it trivial)
    ("beats", -0.4, dict(trivial_margin=0.5), N),
])
def test_point(kind, est, args, outcome):
    rule = {"magnitude": magnitude_rule, "improves": improves_rule, "no_benefit": no_benefit_rule,
            "beats": beats_rule}[kind]
    v = judge_point(kind, est, rule, args, label="v1")
    assert v.outcome == outcome and v.ci90 is None and v.ci95 is None
    assert v.qualifier == "point estimate, no interval" and "point estimate" in v.reason


def test_point_needs_a_finite_estimate():
    with pytest.raises(ValueError, match="needs a finite estimate; got nan"):
        judge_point("improves", np.nan, improves_rule, {"threshold": 0})

"""Three-way verdicts with margins fixed before any result is seen (statistics.md §1.6).

Each rule reads the 90% and 95% intervals of a DifferenceResult.  When the
seed variance is unknown (one seed per configuration) a conclusive reading is
downgraded to inconclusive: one lucky seed must not carry a claim.  An
inconclusive verdict carries the number of seeds per configuration that would
likely decide it (80% power under the observed estimate and variance components).
"""
from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as sps

from repro.stats.bootstrap import DifferenceResult

POWER = 0.80
MAX_SEEDS = 200


class Outcome(str, enum.Enum):
    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not_reproduced"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Verdict:
    """The outcome of one claim (part) with the numbers behind it."""

    outcome: Outcome
    estimate: float
    ci90: tuple[float, float]
    ci95: tuple[float, float]
    reason: str
    seeds_needed: int | None = None
    qualifier: str = ""


def _fmt(ci) -> str:
    return f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"


def seeds_needed(result: DifferenceResult, distance: float) -> int | None:
    """Seeds per configuration for the interval to clear a boundary `distance` away with 80% power.

    None when the seed variance is unknown or when even many seeds cannot do it
    (the example variance alone is too large: more test data would be needed).
    """
    z = sps.norm.ppf(0.95) + sps.norm.ppf(POWER)
    for n in range(2, MAX_SEEDS + 1):
        se = result.projected_se(n)
        if se is None:
            return None
        if z * se <= abs(distance):
            return n
    return None


def _make(outcome, result, reason, *, distance=None, qualifier="") -> Verdict:
    if outcome != Outcome.INCONCLUSIVE and result.seed_variance == "unknown":
        reason = (f"one seed per configuration leaves seed variance unknown, so the reading "
                  f"'{outcome.value}' ({reason}) is not trusted")
        outcome, distance = Outcome.INCONCLUSIVE, None
    needed = seeds_needed(result, distance) if outcome == Outcome.INCONCLUSIVE and distance else None
    return Verdict(outcome, result.estimate, result.ci90, result.ci95, reason, needed, qualifier)


def judge_magnitude(result: DifferenceResult, *, expected: float, margin: float) -> Verdict:
    """'Improves by about X': 95% CI above 0 and 90% CI inside X ± m."""
    lo, hi = expected - margin, expected + margin
    band = f"[{lo:+.2f}, {hi:+.2f}]"
    c90, c95 = result.ci90, result.ci95
    if c95[0] > 0 and lo <= c90[0] and c90[1] <= hi:
        return _make(Outcome.REPRODUCED, result, f"the 90% CI {_fmt(c90)} lies inside the band {band} around "
                     f"the paper's {expected:+.2f} and the 95% CI {_fmt(c95)} excludes 0")
    if c95[1] <= 0:
        return _make(Outcome.NOT_REPRODUCED, result, f"the 95% CI {_fmt(c95)} excludes any gain")
    if c90[1] < lo or c90[0] > hi:
        side = "below" if c90[1] < lo else "above"
        return _make(Outcome.NOT_REPRODUCED, result, f"the 90% CI {_fmt(c90)} lies {side} the band {band}",
                     qualifier="direction reproduced, magnitude not" if c95[0] > 0 else "")
    return _make(Outcome.INCONCLUSIVE, result, f"the 90% CI {_fmt(c90)} overlaps the band {band} without "
                 "lying inside it", distance=margin - abs(result.estimate - expected))


def judge_improves(result: DifferenceResult, *, threshold: float = 0.0) -> Verdict:
    """'Improves' (threshold 0) or 'large improvement' (a declared threshold): the 95% CI against it."""
    c95 = result.ci95
    if c95[0] > threshold:
        return _make(Outcome.REPRODUCED, result, f"the 95% CI {_fmt(c95)} lies above {threshold:+.2f}")
    if c95[1] < threshold:
        return _make(Outcome.NOT_REPRODUCED, result, f"the 95% CI {_fmt(c95)} lies below {threshold:+.2f}")
    return _make(Outcome.INCONCLUSIVE, result, f"the 95% CI {_fmt(c95)} contains {threshold:+.2f}",
                 distance=result.estimate - threshold)


def judge_no_benefit(result: DifferenceResult, *, margin: float, two_sided: bool = False) -> Verdict:
    """'No benefit': 90% upper bound below the margin (non-superiority), or TOST within ±margin."""
    c90 = result.ci90
    if two_sided:
        if -margin < c90[0] and c90[1] < margin:
            return _make(Outcome.REPRODUCED, result, f"the 90% CI {_fmt(c90)} lies inside ±{margin:.2f}")
        if c90[0] > margin or c90[1] < -margin:
            return _make(Outcome.NOT_REPRODUCED, result, f"the 90% CI {_fmt(c90)} lies outside ±{margin:.2f}")
        return _make(Outcome.INCONCLUSIVE, result, f"the 90% CI {_fmt(c90)} crosses ±{margin:.2f}",
                     distance=margin - abs(result.estimate))
    if c90[1] < margin:
        return _make(Outcome.REPRODUCED, result, f"the 90% CI {_fmt(c90)} stays below the margin {margin:+.2f}")
    if c90[0] > margin:
        return _make(Outcome.NOT_REPRODUCED, result, f"the 90% CI {_fmt(c90)} lies above the margin "
                     f"{margin:+.2f}: a benefit")
    return _make(Outcome.INCONCLUSIVE, result, f"the 90% CI {_fmt(c90)} contains the margin {margin:+.2f}",
                 distance=margin - result.estimate)


def judge_beats(result: DifferenceResult, *, trivial_margin: float) -> Verdict:
    """'A beats B': the paired 95% CI above 0; practically equivalent or reversed is not reproduced."""
    c90, c95 = result.ci90, result.ci95
    if c95[0] > 0:
        trivial = c90[1] < trivial_margin
        return _make(Outcome.REPRODUCED, result, f"the 95% CI {_fmt(c95)} lies above 0",
                     qualifier="trivial effect" if trivial else "")
    if c95[1] < 0:
        return _make(Outcome.NOT_REPRODUCED, result, f"the 95% CI {_fmt(c95)} lies below 0: the other side wins")
    if -trivial_margin < c90[0] and c90[1] < trivial_margin:
        return _make(Outcome.NOT_REPRODUCED, result, f"the 90% CI {_fmt(c90)} lies inside ±{trivial_margin:.2f}: "
                     "practically equivalent")
    return _make(Outcome.INCONCLUSIVE, result, f"the 95% CI {_fmt(c95)} contains 0", distance=result.estimate)


def judge_all(verdicts: Sequence[Verdict]) -> Verdict:
    """A conjunction (intersection–union): reproduced only if every part is.

    The summary numbers are those of the least favourable part.
    """
    if not verdicts:
        raise ValueError("a conjunction needs at least one verdict")
    order = {Outcome.NOT_REPRODUCED: 0, Outcome.INCONCLUSIVE: 1, Outcome.REPRODUCED: 2}
    worst = min(verdicts, key=lambda v: order[Outcome(v.outcome)])
    counts = {o: sum(Outcome(v.outcome) == o for v in verdicts) for o in Outcome}
    tally = ", ".join(f"{n} {o.value}" for o, n in counts.items() if n)
    return Verdict(Outcome(worst.outcome), worst.estimate, worst.ci90, worst.ci95,
                   f"all {len(verdicts)} parts must hold ({tally}); least favourable: {worst.reason}",
                   worst.seeds_needed, worst.qualifier)

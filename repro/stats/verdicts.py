"""Three-way verdicts for claim kinds, with margins fixed in the claim (statistics.md, 1.6).

Every rule reads two intervals of the same result: the one-sided-test
interval at level 1 - 2*alpha ("ci90") and the two-sided interval at level
1 - alpha ("ci95").  Rules are vectorised so that `seeds_needed` can plan
with them.  Codes: 1 reproduced, -1 not reproduced, 0 inconclusive.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import partial

import numpy as np
from scipy import stats as sps

from repro.stats.best import BestResult
from repro.stats.intervals import DifferenceResult


class Outcome(str, Enum):
    """Verdict outcome; compares equal to its string value."""

    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not_reproduced"
    INCONCLUSIVE = "inconclusive"


_CODE = {1: Outcome.REPRODUCED, -1: Outcome.NOT_REPRODUCED, 0: Outcome.INCONCLUSIVE}


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict with the numbers behind it and one sentence of reasoning."""

    outcome: Outcome
    kind: str
    estimate: float | None                 # None: a setup check, which measures nothing
    ci90: tuple[float, float] | None       # None: a point estimate (a printed value) or a setup check
    ci95: tuple[float, float] | None
    reason: str
    seeds_needed: int | None = None
    qualifier: str | None = None
    label: str | None = None
    alpha: float = 0.05
    components: tuple["Verdict", ...] = ()
    rejudge: Callable | None = field(default=None, repr=False, compare=False)


# ---- rules: (est, lo1, hi1, lo2, hi2) -> code; interval 1 is 1-2a, interval 2 is 1-a ----

def _code(rep, refuted):
    return np.where(rep, 1, np.where(refuted, -1, 0))


def magnitude_rule(est, lo1, hi1, lo2, hi2, *, expected, margin):
    rep = (lo2 > 0) & (lo1 >= expected - margin) & (hi1 <= expected + margin)
    return _code(rep, (hi2 <= 0) | (hi1 < expected - margin) | (lo1 > expected + margin))


def improves_rule(est, lo1, hi1, lo2, hi2, *, threshold):
    return _code(lo2 > threshold, hi2 < threshold)


def no_benefit_rule(est, lo1, hi1, lo2, hi2, *, margin, two_sided):
    if two_sided:
        return _code((lo1 > -margin) & (hi1 < margin), (lo1 >= margin) | (hi1 <= -margin))
    return _code(hi1 < margin, lo1 > margin)


def beats_rule(est, lo1, hi1, lo2, hi2, *, trivial_margin):
    return _code(lo2 > 0, (hi2 < 0) | ((lo1 > -trivial_margin) & (hi1 < trivial_margin)))


def seeds_needed(result: DifferenceResult, rule: Callable, *, alpha: float = 0.05, power: float = 0.8,
                 max_seeds: int = 1000) -> int | None:
    """Seeds per configuration that make `rule` decisive with probability `power`.

    Plans with the observed estimate as the truth and the observed variance
    components at S seeds per side (`VarianceComponents.at`: the example
    variance loses its seed x example share as S grows, the seed part is
    Σ_c σ̂²_u,c / S, df by Satterthwaite); estimate ~ N(Δ̂, SE^2) integrated
    on 400 normal quantiles.  Results built without components plan with
    SE(S)^2 = Var_ex + (s_a^2 + s_b^2)/S and Welch df.  Returns None when the
    seed variance is unknown or no S <= max_seeds suffices (e.g. the example
    variance alone is too large for the margin).
    """
    va, vb = result.seed_var_a, result.seed_var_b
    if not (np.isfinite(va) and np.isfinite(vb)):
        return None
    z = sps.norm.ppf((np.arange(400) + 0.5) / 400)

    def planned(s):
        if result.components is not None:
            var_ex, var_seeds, df = result.components.at(s, s)
            return np.sqrt(var_ex + var_seeds), df
        vs = (va + vb) / s
        denom = ((va / s) ** 2 + (vb / s) ** 2) / (s - 1)
        return np.sqrt(result.var_examples + vs), (vs**2 / denom if denom > 0 else np.inf)

    def decisive(s):
        se, df = planned(s)
        est = result.estimate + se * z
        h1, h2 = sps.t.ppf(1 - alpha, df) * se, sps.t.ppf(1 - alpha / 2, df) * se
        return np.mean(rule(est, est - h1, est + h1, est - h2, est + h2) != 0) >= power

    lo, hi = 2, max_seeds  # bisection: power grows with S (smaller SE, larger df)
    if decisive(lo):
        return lo
    if not decisive(hi):
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if decisive(mid) else (mid, hi)
    return hi


def _fmt(x):
    return f"{x:+.2f}"


def _judge(result, kind, rule, explain, *, alpha, label, again) -> Verdict:
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    est = result.estimate
    ci1, ci2 = result.interval(1 - 2 * alpha), result.interval(1 - alpha)
    code = int(rule(est, *ci1, *ci2))
    qualifier, why = explain(code, est, ci1, ci2)
    nums = (f"Δ = {_fmt(est)} ({100 * (1 - 2 * alpha):g}% CI {_fmt(ci1[0])} to {_fmt(ci1[1])}; "
            f"{100 * (1 - alpha):g}% CI {_fmt(ci2[0])} to {_fmt(ci2[1])})")
    outcome = _CODE[code]
    if not result.seed_variance_estimable and outcome != Outcome.INCONCLUSIVE:
        why = (f"one seed leaves the seed variance unknown, so the examples-only answer "
               f"'{outcome.value}' ({why}) is not trusted")
        outcome, qualifier = Outcome.INCONCLUSIVE, "conditional on one seed"
    needed = seeds_needed(result, rule, alpha=alpha) if outcome == Outcome.INCONCLUSIVE else None
    return Verdict(outcome, kind, est, ci1, ci2, f"{label + ': ' if label else ''}{nums}: {why}.",
                   needed, qualifier, label, alpha, rejudge=again)


def judge_magnitude(result: DifferenceResult, *, expected: float, margin: float, alpha: float = 0.05,
                    label: str | None = None) -> Verdict:
    """"Improves by about X": 95% interval above 0 and 90% interval inside X ± margin."""
    _check_margin(margin)
    band = f"[{expected - margin:.2f}, {expected + margin:.2f}]"

    def explain(code, est, ci1, ci2):
        if code == 1:
            return None, f"the effect is positive and its interval lies inside {band}"
        if code == -1 and ci2[1] <= 0:
            return None, "the effect is absent or reversed"
        if code == -1:
            side = "smaller" if ci1[1] < expected - margin else "larger"
            q = "direction reproduced, magnitude not" if ci2[0] > 0 else None
            return q, f"the effect is demonstrably {side} than {band}"
        return None, f"the interval is too wide to place the effect inside or outside {band}"

    return _judge(result, "magnitude", partial(magnitude_rule, expected=expected, margin=margin), explain,
                  alpha=alpha, label=label,
                  again=partial(_rejudge, judge_magnitude, result, expected=expected, margin=margin, label=label))


def judge_improves(result: DifferenceResult, *, threshold: float = 0.0, alpha: float = 0.05,
                   label: str | None = None) -> Verdict:
    """"Improves" (threshold 0) or "large improvement" (a declared threshold): the 95% interval against it."""

    def explain(code, est, ci1, ci2):
        if code == 1:
            return None, f"the whole interval lies above {threshold:g}"
        if code == -1:
            q = "improves, but by less than the threshold" if ci2[0] > 0 else None
            return q, f"the whole interval lies below {threshold:g}"
        return None, f"the interval contains {threshold:g}"

    return _judge(result, "improves", partial(improves_rule, threshold=threshold), explain, alpha=alpha,
                  label=label, again=partial(_rejudge, judge_improves, result, threshold=threshold, label=label))


def judge_no_benefit(result: DifferenceResult, *, margin: float, two_sided: bool = False,
                     alpha: float = 0.05, label: str | None = None) -> Verdict:
    """"No benefit": 90% upper bound below the margin (non-superiority); TOST if `two_sided`."""
    _check_margin(margin)
    band = f"(-{margin:g}, {margin:g})" if two_sided else f"below {margin:g}"

    def explain(code, est, ci1, ci2):
        if code == 1:
            q = "a significant gain smaller than the margin" if ci2[0] > 0 else None
            return q, f"the interval lies {band}"
        if code == -1:
            return None, f"the interval lies wholly outside {band}"
        return None, f"the interval straddles the margin {margin:g}"

    return _judge(result, "no_benefit", partial(no_benefit_rule, margin=margin, two_sided=two_sided), explain,
                  alpha=alpha, label=label,
                  again=partial(_rejudge, judge_no_benefit, result, margin=margin, two_sided=two_sided, label=label))


def judge_beats(result: DifferenceResult, *, trivial_margin: float, alpha: float = 0.05,
                label: str | None = None) -> Verdict:
    """"A beats B": 95% interval above 0; refuted if below 0 or practically equivalent (90% in ± margin)."""
    _check_margin(trivial_margin)

    def explain(code, est, ci1, ci2):
        trivial = ci1[0] > -trivial_margin and ci1[1] < trivial_margin
        if code == 1:
            return ("trivial effect" if trivial else None), "the whole interval lies above 0"
        if code == -1 and ci2[1] < 0:
            return None, "the other configuration is better"
        if code == -1:
            return "practically equivalent", f"the interval lies inside ±{trivial_margin:g}"
        return None, "the interval contains 0"

    return _judge(result, "beats", partial(beats_rule, trivial_margin=trivial_margin), explain, alpha=alpha,
                  label=label, again=partial(_rejudge, judge_beats, result, trivial_margin=trivial_margin,
                                             label=label))


def judge_best(best: BestResult, *, margin: float = 0.0, label: str | None = None) -> Verdict:
    """"A is the best of these" by multiple comparisons with the best.

    Reproduced when every simultaneous lower bound on claimed - j exceeds
    -margin (margin 0: strictly best); not reproduced when some alternative
    is significantly better (an upper bound below 0); else inconclusive.
    """
    _check_margin(margin)
    k = len(best.others)
    rep, refuted = bool((best.lower > -margin).all()), bool((best.upper < 0).any())
    code = 1 if rep else (-1 if refuted else 0)
    j = int(np.argmin(best.lower))
    closest = best.pairwise[best.others[j]]
    bounds = ", ".join(f"{o} [{_fmt(lo)}, {_fmt(hi)}]" for o, lo, hi in zip(best.others, best.lower, best.upper))
    if code == 1:
        why = f"every simultaneous lower bound exceeds {-margin:g}"
    elif code == -1:
        why = f"{best.others[int(np.argmin(best.upper))]} is significantly better"
    else:
        why = f"{best.others[j]} cannot be excluded from the best set"
    outcome, qualifier = _CODE[code], None
    if not best.seed_variance_estimable and code != 0:
        why = f"one seed leaves the seed variance unknown, so the examples-only answer ({why}) is not trusted"
        outcome, qualifier = Outcome.INCONCLUSIVE, "conditional on one seed"
    needed = None
    if outcome == Outcome.INCONCLUSIVE:
        rule = partial(improves_rule, threshold=-margin)
        per = [seeds_needed(r, rule, alpha=2 * best.alpha / k) for r in best.pairwise.values()]
        needed = most(per)
    reason = (f"{label + ': ' if label else ''}{best.claimed} minus each alternative, simultaneous "
              f"{100 * (1 - best.alpha):g}% bounds: {bounds}; P(best) = {best.prob_best:.2f}: {why}.")
    return Verdict(outcome, "best", closest.estimate, closest.ci90, closest.ci95, reason, needed, qualifier,
                   label, best.alpha)


def judge_all(verdicts: Sequence[Verdict], *, label: str | None = None, lower_is_better: bool = False) -> Verdict:
    """Conjunction by intersection-union: reproduced only if every component is (its numbers: the least
    favourable component's, `decisive`).

    Each component keeps its own alpha for "reproduced"; "not reproduced"
    is a union claim, so a component must refute at alpha / K (Bonferroni).
    """
    verdicts = tuple(verdicts)
    if not verdicts or not all(isinstance(v, Verdict) for v in verdicts):
        raise ValueError("judge_all needs a non-empty sequence of Verdict objects")
    k = len(verdicts)
    names = [v.label or f"component {i}" for i, v in enumerate(verdicts)]
    pending = [(n, v) for n, v in zip(names, verdicts) if v.outcome != Outcome.REPRODUCED]
    worst = decisive(verdicts, k, lower_is_better=lower_is_better)
    if not pending:
        return _conj(Outcome.REPRODUCED, worst, f"all {k} components are reproduced (the least favourable: "
                     f"{worst.label or 'unlabelled'})", None, verdicts, label)
    for n, v in pending:
        strict = v.rejudge(alpha=v.alpha / k) if v.rejudge else v
        if strict.outcome == Outcome.NOT_REPRODUCED:
            return _conj(Outcome.NOT_REPRODUCED, v, f"{n} is refuted even at alpha/{k} = {v.alpha / k:.3g}",
                         None, verdicts, label)
    needed = most([v.seeds_needed for _, v in pending])
    n, v = pending[0]
    return _conj(Outcome.INCONCLUSIVE, worst, f"{len(pending)} of {k} components are not reproduced "
                 f"(first: {n}, {v.outcome.value}) and none is refuted at alpha/{k}", needed, verdicts, label)


def judge_at_least(verdicts: Sequence[Verdict], k: int, *, label: str | None = None,
                   lower_is_better: bool = False) -> Verdict:
    """"At least k of these K claims hold" (e.g. "many intermediate tasks help") by partial conjunction.

    Bonferroni partial conjunction (Dror et al. 2017): at least k components hold when at least k
    are reproduced at alpha / (K - k + 1); fewer than k hold when at least K - k + 1 are refuted at
    alpha / k.  k = K is `judge_all`'s intersection-union with a Bonferroni refutation.
    """
    verdicts = tuple(verdicts)
    if not verdicts or not all(isinstance(v, Verdict) for v in verdicts):
        raise ValueError("judge_at_least needs a non-empty sequence of Verdict objects")
    n = len(verdicts)
    if not (isinstance(k, (int, np.integer)) and 1 <= k <= n):
        raise ValueError(f"k must be an integer in [1, {n}] (the number of components), got {k!r}")

    def at(v, alpha):
        return v.rejudge(alpha=alpha) if v.rejudge and alpha != v.alpha else v

    alpha = verdicts[0].alpha
    rep = [at(v, alpha / (n - k + 1)).outcome == Outcome.REPRODUCED for v in verdicts]
    ref = [at(v, alpha / k).outcome == Outcome.NOT_REPRODUCED for v in verdicts]
    names = [v.label or f"component {i}" for i, v in enumerate(verdicts)]
    held = ", ".join(nm for nm, r in zip(names, rep) if r) or "none"
    points = all(v.ci95 is None for v in verdicts)  # point estimates: no level to adjust
    at_rep, at_ref = ("", "") if points else (f" at alpha/{n - k + 1}", f" at alpha/{k}")
    if sum(rep) >= k:
        outcome, why = Outcome.REPRODUCED, f"{sum(rep)} of {n} hold{at_rep} ({held}); {k} needed"
    elif sum(ref) >= n - k + 1:
        refuted = ", ".join(nm for nm, r in zip(names, ref) if r)
        outcome, why = Outcome.NOT_REPRODUCED, (f"{sum(ref)} of {n} are refuted{at_ref} ({refuted}), so fewer "
                                                f"than {k} can hold (held: {held})")
    else:
        outcome, why = Outcome.INCONCLUSIVE, (f"{sum(rep)} of {n} hold and {sum(ref)} are refuted; "
                                              f"{k} must hold, or {n - k + 1} be refuted, to decide")
    per = [v.seeds_needed for v in verdicts if v.outcome == Outcome.INCONCLUSIVE]
    needed = most(per) if per and outcome == Outcome.INCONCLUSIVE else None
    shown = decisive(verdicts, k, lower_is_better=lower_is_better)
    reason = (f"{label + ': ' if label else ''}at least {k} of {n} claims: {why}; the numbers shown are "
              f"the {_ordinal(k)} best component's ({shown.label or 'unlabelled'}).")
    return Verdict(outcome, "at_least", shown.estimate, shown.ci90, shown.ci95, reason, needed, None, label,
                   alpha, components=verdicts)


def most(counts: Sequence[int | None]) -> int | None:
    """The largest of `counts`; None when any is unknown (None) or there are none."""
    known = [c for c in counts if c is not None]
    return max(known) if known and len(known) == len(counts) else None


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def judge_point(kind: str, estimate: float, rule: Callable, params: Mapping[str, object], *,
                label: str | None = None) -> Verdict:
    """A point estimate without an interval (e.g. a number printed in the paper) against a claim's tolerance.

    `rule` (a claim kind's, e.g. `magnitude_rule`) is applied with both intervals collapsed onto the
    estimate and the claim's `params`; the verdict says it is a point estimate, which carries no
    uncertainty and is no evidence of precision.
    """
    if not np.isfinite(estimate):
        raise ValueError(f"judge_point({kind!r}) needs a finite estimate; got {estimate}")
    code = int(rule(estimate, *[estimate] * 4, **params))
    words = {1: "meets", -1: "misses", 0: "cannot be placed against"}[code]
    reason = (f"{label + ': ' if label else ''}Δ = {_fmt(estimate)} (point estimate, no interval) "
              f"{words} the claim's tolerance ({', '.join(f'{n} {v}' for n, v in params.items())}).")
    return Verdict(_CODE[code], kind, float(estimate), None, None, reason, None, "point estimate, no interval",
                   label)


def decisive(verdicts: Sequence[Verdict], k: int, *, lower_is_better: bool = False) -> Verdict:
    """The component whose numbers stand for "at least k of these hold": the k-th best estimate,
    best meaning highest, or lowest with `lower_is_better` (a "no benefit" claim's kind says so; k = K:
    the worst one)."""
    def rank(v: Verdict) -> float:
        if v.estimate is None:
            raise ValueError(f"component {v.label or v.kind!r} has no estimate to rank; combine measured verdicts only")
        return v.estimate if lower_is_better else -v.estimate
    return sorted(verdicts, key=rank)[k - 1]


def _conj(outcome, v, why, needed, verdicts, label):
    reason = f"{label + ': ' if label else ''}conjunction of {len(verdicts)} claims: {why}."
    return Verdict(outcome, "all", v.estimate, v.ci90, v.ci95, reason, needed, None, label, v.alpha,
                   components=verdicts)


def _rejudge(judge, result, *, alpha, **kw):
    return judge(result, alpha=alpha, **kw)


def _check_margin(m):
    if not (np.isfinite(m) and m >= 0):
        raise ValueError(f"a margin must be a finite number >= 0 fixed in the claim, got {m}")

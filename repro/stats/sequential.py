"""A group-sequential design over chains: planned looks, alpha spending, per-look levels, power.

A design is fixed before the first run: the number of chains per configuration at each look
(e.g. 3, 5, 8, 10) and a Lan-DeMets alpha-spending function (Lan & DeMets 1983; Jennison &
Turnbull 2000, ch. 7) that says how much of the error rate alpha each look may use.  At look k
every verdict rule judges with the per-look level `SequentialDesign.alpha_at(k)`, so that over
all looks the probability of a wrong verdict stays at or under alpha (docs/statistics.md §8).

Boundaries are exact for the canonical joint distribution of the look statistics (Z_1..Z_K
normal, Cov(Z_j, Z_k) = sqrt(t_j / t_k) with information fractions t_k = n_k / n_K), by the
recursive numerical integration of Armitage, McPherson & Rowe (1969) (Jennison & Turnbull
ch. 19) on a Simpson grid.  The chain estimates share their test examples, whose variance does
not shrink with chains, so the true correlations are at least the canonical ones; by Slepian's
inequality the crossing probability is then at most the planned one (conservative).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats as sps
from scipy.optimize import brentq

SPENDING = ("obrien_fleming", "pocock")
FUTILITY = ("decision", "reproduce", "split")
_GRID = 801          # Simpson points per look (odd)
_LOWER_SD = 10.0     # a one-sided design's continuation region is cut at -10 SD (mass < 1e-23)


def spent(t, alpha: float, spending: str):
    """Lan-DeMets cumulative alpha spent at information fraction t in [0, 1].

    O'Brien-Fleming type: 2 - 2 Φ(z_{1-alpha/2} / sqrt t); Pocock type: alpha log(1 + (e - 1) t).
    """
    t = np.asarray(t, dtype=float)
    if spending == "obrien_fleming":
        with np.errstate(divide="ignore"):
            return np.where(t > 0, 2 * sps.norm.sf(sps.norm.isf(alpha / 2) / np.sqrt(np.maximum(t, 1e-300))), 0.0)
    if spending == "pocock":
        return alpha * np.log1p((np.e - 1) * t)
    raise ValueError(f"unknown spending function {spending!r}; one of {', '.join(SPENDING)}")


def _simpson(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(lo, hi, _GRID)
    w = np.ones(_GRID)
    w[1:-1:2], w[2:-1:2] = 4, 2
    return x, w * (hi - lo) / (3 * (_GRID - 1))


def _region(bound: float, t: float, two_sided: bool) -> tuple[float, float]:
    """The continuation region of the score S = Z sqrt(t) for a Z boundary `bound`."""
    hi = bound * np.sqrt(t)
    return (-hi if two_sided else -_LOWER_SD * np.sqrt(t)), hi


def _cross(x, wf, dt, lo, hi, two_sided):
    """P(S_k outside (lo, hi), continued until k-1) from the weighted density wf on grid x."""
    sd = np.sqrt(dt)
    p = sps.norm.sf((hi - x) / sd)
    if two_sided:
        p = p + sps.norm.cdf((lo - x) / sd)
    return float(np.sum(wf * p))


class _Walk:
    """The null density of the score S_k on the continuation grid, look by look (weights included)."""

    def __init__(self, two_sided: bool):
        self.two_sided, self.t = two_sided, 0.0
        self.x: np.ndarray | None = None
        self.wf: np.ndarray | None = None

    def cross(self, bound: float, t: float) -> float:
        """P(first crossing of Z boundary `bound` at fraction t) given the looks taken so far."""
        lo, hi = _region(bound, t, self.two_sided)
        if self.x is None:
            return float(2 * sps.norm.sf(bound) if self.two_sided else sps.norm.sf(bound))
        return _cross(self.x, self.wf, t - self.t, lo, hi, self.two_sided)

    def step(self, bound: float, t: float) -> None:
        """Take the look at fraction t with Z boundary `bound`: the density continues inside it."""
        lo, hi = _region(bound if np.isfinite(bound) else _LOWER_SD, t, self.two_sided)
        x, w = _simpson(lo, hi)
        if self.x is None:
            f = sps.norm.pdf(x, scale=np.sqrt(t))
        else:
            sd = np.sqrt(t - self.t)
            z = (x[:, None] - self.x[None, :]) / sd
            f = (np.exp(-0.5 * z * z) / (sd * np.sqrt(2 * np.pi))) @ self.wf
        self.x, self.wf, self.t = x, w * f, t


def crossing(bounds, fractions, *, two_sided: bool) -> np.ndarray:
    """Per look, the null probability of first crossing the Z boundaries `bounds` at fractions `fractions`."""
    walk, out = _Walk(two_sided), []
    for b, t in zip(bounds, fractions):
        out.append(walk.cross(b, t))
        walk.step(b, t)
    return np.array(out)


def spending_bounds(fractions, increments, *, two_sided: bool) -> np.ndarray:
    """Z boundaries whose first-crossing probabilities under the null are `increments`, look by look."""
    walk, bounds = _Walk(two_sided), []
    for t, inc in zip(fractions, increments):
        b = np.inf if inc <= 0 else brentq(lambda b: walk.cross(b, t) - inc, 1e-3, 40.0, xtol=1e-10)
        bounds.append(b)
        walk.step(b, t)
    return np.array(bounds)


def constant_bounds(fractions, alpha: float, *, shape: str, two_sided: bool = True) -> np.ndarray:
    """Classical boundaries of total size alpha: Pocock's constant C, or O'Brien & Fleming's C / sqrt(t_k)."""
    f = np.asarray(fractions, float)
    scale = np.ones_like(f) if shape == "pocock" else 1 / np.sqrt(f)
    c = brentq(lambda c: crossing(c * scale, f, two_sided=two_sided).sum() - alpha, 1.0, 6.0, xtol=1e-7)
    return c * scale


@lru_cache(maxsize=64)
def _levels(looks: tuple[int, ...], spending: str, alpha: float) -> tuple[float, ...]:
    f = np.array(looks, float) / looks[-1]
    levels = []
    for one_sided in (alpha / 2, alpha):  # the rules' 1 - alpha interval and 1 - 2 alpha interval
        inc = np.diff(np.concatenate([[0.0], spent(f, one_sided, spending)]))
        levels.append(sps.norm.sf(spending_bounds(f, inc, two_sided=False)))
    # a rule with alpha_k reads one-sided alpha_k / 2 (ci95) and alpha_k (ci90): both at or under their boundary
    return tuple(float(min(2 * a, b)) for a, b in zip(*levels))


@dataclass(frozen=True)
class SequentialDesign:
    """Looks at `looks` chains per configuration, spending `alpha` by `spending`.

    `min_power`: after a look, an undecided part asks for the next look's chains only when its
    predictive probability (`decide_probability`) reaches this; otherwise it stays inconclusive
    (stopping for futility never adds a wrong verdict).  `futility` says which probability:
    "decision", of any verdict (reproduced or not) at the next or at the last look; "reproduce", the
    group-sequential trials' futility rule (Jennison & Turnbull 2000, ch. 10), of "reproduced" at the
    next or at the last look, or of "not reproduced" at the next look (a part heading for a refutation
    still gets the one look that would give it); "split", each verdict against its own threshold: of
    "reproduced" at the next or last look against `min_power`, of "not reproduced" at the next or last
    look against `min_refute_power` (a refutation, which needs as many chains as a reproduction, is bought
    only where it is likely).
    """

    looks: tuple[int, ...]
    spending: str = "obrien_fleming"
    alpha: float = 0.05
    min_power: float = 0.2
    futility: str = "decision"
    min_refute_power: float | None = None  # futility "split" only: the threshold for "not reproduced"
    # the share of claim parts expected to reach each look, as the design's simulation measured it
    # (benchmarks/sequential.py, its JSON's "reach"); () when not measured.  Only `repro plan`'s expected cost reads it
    reach: tuple[float, ...] = ()
    # per look after the first, the share of a chain of every configuration that a part reaching the look adds
    # (a later look extends only what open comparisons need: repro.rounds), the simulation's pooled figure
    # (benchmarks/sequential.py, its JSON's "later_share"); () when not measured: a whole chain
    later_share: tuple[float, ...] = ()

    def __post_init__(self):
        looks = tuple(self.looks)
        if not looks or any(not isinstance(n, int) or n < 2 for n in looks) or list(looks) != sorted(set(looks)):
            raise ValueError(f"looks must be increasing chain counts >= 2 (e.g. (3, 5, 8, 10)), got {self.looks!r}")
        if self.spending not in SPENDING:
            raise ValueError(f"spending must be one of {', '.join(SPENDING)}, got {self.spending!r}")
        if self.futility not in FUTILITY:
            raise ValueError(f"futility must be one of {', '.join(FUTILITY)}, got {self.futility!r}")
        if (self.futility == "split") != (self.min_refute_power is not None):
            raise ValueError("futility 'split' needs min_refute_power (the threshold for 'not reproduced'), "
                             f"and only it takes one; got futility {self.futility!r}, "
                             f"min_refute_power {self.min_refute_power!r}")
        if self.min_refute_power is not None and not 0 <= self.min_refute_power <= 1:
            raise ValueError(f"need 0 <= min_refute_power <= 1, got {self.min_refute_power}")
        if not 0 < self.alpha < 0.5 or not 0 <= self.min_power <= 1:
            raise ValueError(f"need 0 < alpha < 0.5 and 0 <= min_power <= 1, got {self.alpha}, {self.min_power}")
        if self.reach and (len(self.reach) != len(looks) or not all(0 <= r <= 1 for r in self.reach)):
            raise ValueError(f"reach must give a share in [0, 1] per look ({len(looks)}), got {self.reach!r}")
        if self.later_share and (len(self.later_share) != len(looks) - 1
                                 or not all(0 <= r <= 1 for r in self.later_share)):
            raise ValueError(f"later_share must give a share in [0, 1] per look after the first "
                             f"({len(looks) - 1}), got {self.later_share!r}")
        object.__setattr__(self, "looks", looks)

    @property
    def fractions(self) -> tuple[float, ...]:
        """Information fractions n_k / n_K."""
        return tuple(n / self.looks[-1] for n in self.looks)

    @property
    def levels(self) -> tuple[float, ...]:
        """Per look, the alpha every verdict rule is given (its intervals are 1 - alpha and 1 - 2 alpha)."""
        if len(self.looks) == 1:
            return (self.alpha,)
        return _levels(self.looks, self.spending, self.alpha)

    def look(self, chains: int) -> int | None:
        """The index of the last look that `chains` chains reach (None: not even the first)."""
        reached = [k for k, n in enumerate(self.looks) if n <= chains]
        return reached[-1] if reached else None

    def alpha_at(self, look: int) -> float:
        """The level of look `look` (0-based)."""
        return self.levels[look]

    def record(self) -> dict:
        """The design as report.json records it."""
        record = {"looks": list(self.looks), "spending": self.spending, "alpha": self.alpha,
                  "min_power": self.min_power, "futility": self.futility, "levels": [round(a, 6) for a in self.levels]}
        if self.min_refute_power is not None:
            record["min_refute_power"] = self.min_refute_power
        return record


def fixed(chains: int, alpha: float = 0.05) -> SequentialDesign:
    """One look at `chains` chains: the nominal level, no spending."""
    return SequentialDesign((chains,), alpha=alpha, min_power=0.0)


_Z = sps.norm.ppf((np.arange(400) + 0.5) / 400)


def decide_probability(result, rule, *, chains: int, alpha: float, verdict: int | None = None) -> float:
    """Predictive probability that `rule` decides (reproduced or not; only reproduced with `verdict` 1, only
    not reproduced with -1) with `chains` chains a side at level alpha.

    `result` is a `DifferenceResult` with variance components (the look at hand); at `chains`
    chains its variance V' and df come from `VarianceComponents.at`.  With a flat prior on the
    truth and the canonical joint law of the look estimates, the next estimate given this one is
    N(Δ̂, V - V') (Jennison & Turnbull 2000, §10.3 predictive power); its interval is est ± t_df' SE'.
    Returns 0 when the components are missing or more chains cannot narrow the interval.
    """
    comp = result.components
    if comp is None or not result.seed_variance_estimable:
        return 0.0
    v_now = result.se ** 2
    var_ex, var_seeds, df = comp.at(chains, chains)
    v_next = var_ex + (var_seeds if np.isfinite(var_seeds) else 0.0)
    if not v_next < v_now:
        return 0.0
    se = np.sqrt(v_next)
    est = result.estimate + np.sqrt(v_now - v_next) * _Z
    h1, h2 = sps.t.ppf(1 - alpha, df) * se, sps.t.ppf(1 - alpha / 2, df) * se
    code = rule(est, est - h1, est + h1, est - h2, est + h2)
    return float(np.mean(code != 0 if verdict is None else code == verdict))


def worth_continuing(result, rule, design: SequentialDesign, look: int) -> tuple[bool, float]:
    """(continue?, power) for an undecided comparison after look `look`, by the design's `futility`:
    the larger predictive probability of a decision ("decision") or of "reproduced" ("reproduce", or of
    "not reproduced" at the next look) at the next look and at the last; "split" continues for a chance of
    "reproduced" of at least `min_power` or of "not reproduced" of at least `min_refute_power`, and gives the
    larger as the power.  No next look means no."""
    if look + 1 >= len(design.looks):
        return False, 0.0
    later = (look + 1, len(design.looks) - 1)

    def chance(j, verdict=None):
        return decide_probability(result, rule, chains=design.looks[j], alpha=design.alpha_at(j), verdict=verdict)
    if design.futility == "decision":
        power = max(chance(j) for j in set(later))
    elif design.futility == "split":
        reproduce, refute = (max(chance(j, v) for j in set(later)) for v in (1, -1))
        return reproduce >= design.min_power or refute >= (design.min_refute_power or 0.0), max(reproduce, refute)
    else:
        power = max([chance(j, 1) for j in set(later)] + [chance(look + 1, -1)])
    return power >= design.min_power, power


def look_at(design: SequentialDesign | None, chains: int) -> dict | None:
    """The look that `chains` chains per configuration reach under `design`, as report.json records it:
    the design, `look` (1-based), `chains`, `level` (the alpha every rule judges with: below the first look
    the first look's, between looks the last one reached, so never above what was spent) and `last`.
    None without a design (one look, nominal alpha)."""
    if design is None:
        return None
    k = design.look(chains)
    k = 0 if k is None else k
    return {"design": design.record(), "look": k + 1, "chains": int(chains), "level": design.alpha_at(k),
            "last": k == len(design.looks) - 1}


def look_text(seq: dict) -> str:
    """One report line on the look a part was judged at (a record's `sequential`): the look, chains, the level
    its intervals and the rules' boundaries used, and how the part stopped or what its next round costs."""
    design, level = seq.get("design") or {}, seq.get("level", 0.05)
    text = (f"Sequential design: look {seq.get('look')} of {len(design.get('looks') or [])} "
            f"({seq.get('chains')} chains per configuration; {str(design.get('spending', '')).replace('_', '-')}-type "
            f"spending), judged at level {level:.4f}: its intervals are the {100 * (1 - 2 * level):.1f}% and "
            f"{100 * (1 - level):.1f}% ones (shown as 90% and 95%), the boundaries every rule reads")
    if seq.get("held"):  # configurations an earlier look left at fewer chains (repro.rounds.extended)
        text += ("; held at fewer chains (no open comparison needed them at a later look): "
                 + ", ".join(f"{c} {n}" for c, n in seq["held"].items()))
    if seq.get("unasked"):  # looks reached on chains other parts ran (repro.rounds.walk)
        text += ("; look " + ", ".join(map(str, seq["unasked"])) + " read on chains other parts ran, which its own "
                 "futility rule did not ask for")
    nxt, stopped = seq.get("next_round"), seq.get("stopped")
    if seq.get("decided_early"):
        text += "; decided early, at this look"
    elif nxt:
        text += (f"; open: the next round ({nxt['chains']} chains) runs {nxt['runs']} runs, {nxt['gpu_hours']:,.1f} "
                 f"GPU-hours on the paper cost model (predictive power {seq.get('power', 0):.2f})")
    elif stopped:
        text += f"; {stopped}"
    return text

"""Variance components of a paired difference with the seed x example interaction counted once.

Linearised, one run's aggregate is T_cs ≈ const + u_cs + Σ_i D_csi, where D_csi
is unit i's influence on the aggregate (the gradient of the XTREME functional
with respect to the cell sums, dotted with the unit's statistics).  With seeds
and examples crossed, D_csi = a_ci + e_csi (configuration x example part and
seed x example interaction).  Then, per configuration (statistics.md §3):

* the between-seed variance s_c² of T_cs estimates σ²_u,c + I_c, where
  I_c = Σ_i Var(e_csi) is the interaction's share of one run's aggregate;
* the example bootstrap of the seed-averaged Δ̂ estimates Var_fixed + Σ_c I_c / S_c;
* I_c is estimated without bias by the interaction sum of squares of the
  units x seeds table of D_csi (two-way residuals, per resampling group).

So Var(Δ̂) = Var_ex + Σ_c (s_c² − I_c) / S_c: the interaction is removed from the
seed term (the bootstrap keeps it once).  The seed term is clipped at 0, so the
total never falls below the examples-only variance, and the degrees of freedom
are Welch-Satterthwaite over every estimated component (the seed part with the
variance of its clipped estimate).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from repro.stats.data import Design

#: one line naming the estimator, for reports and provenance
ESTIMATOR = ("paired example bootstrap + between-seed variance with the seed x example interaction "
             "(method of moments on linearised per-unit influence values) counted once; seed part "
             "clipped at 0; Welch-Satterthwaite df over all components (docs/statistics.md §3)")


@dataclass(frozen=True)
class VarianceComponents:
    """The estimated pieces of Var(Δ̂), per configuration a and b, and their degrees of freedom.

    `seed_*` is the between-seed variance of one run's aggregate (NaN when not
    estimable; the assumed seed_sd² when `known_*`), `interaction_*` the
    seed x example interaction it contains (0 when it cannot be estimated).
    `var_examples` is the example-bootstrap variance at the observed seeds.
    """

    var_examples: float
    df_examples: float
    n_seeds_a: int
    n_seeds_b: int
    seed_a: float
    seed_b: float
    interaction_a: float
    interaction_b: float
    df_interaction_a: float
    df_interaction_b: float
    known_a: bool = False
    known_b: bool = False

    def at(self, s_a: int | None = None, s_b: int | None = None) -> tuple[float, float, float]:
        """(var_examples, var_seeds, df) with s_a and s_b seeds (default: the observed ones).

        More seeds shrink the interaction part of the example variance and the
        seed part alike; the estimated components keep their values.  The
        seed part Σ_c (seed_c − I_c)/s_c is clipped at 0; its variance in the
        df is that of the clipped estimate (`clipped_gamma_var`), so a seed
        part estimated near 0 does not cost the t quantile of S − 1 df.
        """
        s_a = self.n_seeds_a if s_a is None else s_a
        s_b = self.n_seeds_b if s_b is None else s_b
        sides = ((s_a, self.n_seeds_a, self.seed_a, self.interaction_a, self.df_interaction_a, self.known_a),
                 (s_b, self.n_seeds_b, self.seed_b, self.interaction_b, self.df_interaction_b, self.known_b))
        v_ex = max(self.var_examples - sum(i * (1 / s0 - 1 / s) for s, s0, _, i, _, _ in sides), 0.0)
        if not all(np.isfinite(seed) for _, _, seed, _, _, _ in sides):
            return v_ex, np.nan, np.inf
        terms = [(v_ex, self.df_examples)] + [(i / s, df_i * (s - 1) / max(s0 - 1, 1))
                                              for s, s0, _, i, df_i, _ in sides]

        # the seed part X = Y − c: Y = Σ_c s_c²/s_c over the estimated variances (an assumed seed_sd is known),
        # Var(s_c²) = 2 (σ²_u + I)² / (S − 1) with s_c² for σ²_u + I; c = the interactions removed
        raw = sum((seed - i) / s for s, _, seed, i, _, _ in sides)
        estimated = sum(seed / s for s, _, seed, _, _, known in sides if not known)
        spread = sum(2 * (seed / s) ** 2 / (s - 1) for s, _, seed, _, _, known in sides if not known)
        v_seed = max(raw, 0.0)
        df = satterthwaite(v_ex + v_seed, terms, extra=clipped_gamma_var(raw, estimated, spread) / 2)
        # Floor: the df of a sum of independent chi-square parts is at least the smallest part's, and
        # clipping only narrows the seed part's spread, so min(df_examples, S_c - 1) bounds it below.
        # Without it a seed part clipped at 0 beside a tiny example variance (runs of two configurations
        # that share a seed predict alike) drives the df, and the t quantile, to absurd values.
        floor = min([self.df_examples] + [s0 - 1 for _, s0, _, _, _, known in sides if not known and s0 > 1])
        return v_ex, v_seed, max(df, floor)

    def seed_effect_var(self, side: str) -> float:
        """σ̂²_u of one configuration: its between-seed variance less the interaction, clipped at 0."""
        seed, inter = (self.seed_a, self.interaction_a) if side == "a" else (self.seed_b, self.interaction_b)
        return max(seed - inter, 0.0) if np.isfinite(seed) else np.nan


def t_quantile(q: float, df: float) -> float:
    """Student t's q quantile with df degrees of freedom (inf: the normal's), as scipy.stats.t.ppf gives it
    at a hundredth of its call cost (it runs once per interval, thousands of times in a calibration)."""
    return float(special.stdtrit(df, q))


def satterthwaite(total: float, terms, extra: float = 0.0) -> float:
    """Welch-Satterthwaite df of `total` from (variance term, its df) pairs; inf when nothing is random.

    A term v with df d contributes v²/d = Var(v)/2; `extra` adds Var/2 of a term given by its variance.
    """
    denom = extra + sum(v**2 / df for v, df in terms if np.isfinite(df) and df > 0 and v != 0)
    return float(total**2 / denom) if denom > 0 and total > 0 else np.inf


def clipped_gamma_var(mean: float, estimated: float, var: float) -> float:
    """Var(max(X, 0)) for X = Y − c, mean `mean`, where Y ≥ 0, the estimated seed variances' part, is a scaled
    χ² (a gamma) with mean `estimated` and variance `var`, and c = estimated − mean the part subtracted.

    A seed variance from S replicates is (σ² + I) χ²_{S−1}/(S−1): never negative, and skewed at small S.
    A normal with its mean and variance would put mass below 0 that only the subtraction can create, so
    its clip would shrink the spread (and inflate the df) even where nothing is subtracted.
    """
    if var <= 0 or estimated <= 0:
        return 0.0
    c = estimated - mean
    if c <= 0:
        return float(var)  # Y − c ≥ 0 always: nothing is clipped
    shape, scale = estimated**2 / var, var / estimated
    z = c / scale
    q0, q1, q2 = (special.gammaincc(shape + j, z) for j in range(3))  # P(Y > c) under shapes k, k+1, k+2
    first = shape * scale * q1 - c * q0
    second = shape * (shape + 1) * scale**2 * q2 - 2 * c * shape * scale * q1 + c * c * q0
    return float(max(second - first**2, 0.0))


def influence(design: Design) -> list[tuple[np.ndarray, int]]:
    """Per group, the units' influence on each run's aggregate: ((m, R) array, n units in the group).

    Each cell's score is linearised at its configuration's seed-mean sums
    (central differences of `metric.score`), so all seeds of a configuration
    share one gradient and their differences are differences of statistics.
    All-zero units (not materialised) have influence 0.
    """
    configs = list(design.slices.values())
    out = []
    for g in design.groups:
        weight = 1.0 / (len(design.tasks) * design.n_langs[g.task])
        sums = g.stats.sum(axis=0)  # (L, R, k)
        grad = np.empty_like(sums)
        for sl in configs:
            pooled = sums[:, sl].mean(axis=1)  # (L, k)
            grad[:, sl] = score_gradient(design.metrics[g.task], pooled)[:, None]
        out.append((weight * np.einsum("mlrk,lrk->mr", g.stats, grad), g.n))
    return out


def score_gradient(metric, sums: np.ndarray) -> np.ndarray:
    """d metric.score / d sums at `sums` (..., k), by central differences with relative steps."""
    k = sums.shape[-1]
    h = 1e-5 * np.maximum(np.abs(sums), 1.0)  # (..., k)
    step = np.eye(k) * h[..., None, :]  # (..., k, k): row j moves statistic j
    both = np.concatenate([sums[..., None, :] + step, sums[..., None, :] - step], axis=-2)
    f = np.asarray(metric.score(both), dtype=np.float64)
    grad = (f[..., :k] - f[..., k:]) / (2 * h)
    if not np.isfinite(grad).all():
        raise ValueError(f"metric {type(metric).__name__}.score is not differentiable at the summed statistics "
                         f"{sums.tolist()}; the interaction estimate needs a smooth score of the sums")
    return grad


def interaction_terms(d: np.ndarray, n: int) -> np.ndarray:
    """Per kept unit, its share of the interaction I = Σ_i Var_s(e_si) from influences d (m, S) of n units.

    The crossed examples x seeds residual d_si − d̄_i· − d̄_·s + d̄ (the seed's own
    shift removed, all n units counted, the n − m unmaterialised ones being 0)
    has expected sum of squares (S − 1)(1 − 1/n) Σ_i σ²_i, whatever σ²_i.
    """
    if len(d) == 0:
        return np.zeros(0)
    within = d - d.mean(axis=1, keepdims=True)
    shift = within.sum(axis=0) / n  # d̄_·s − d̄ over all n units
    s = d.shape[1]
    scale = n / ((s - 1) * max(n - 1, 1))
    return scale * (np.sum((within - shift) ** 2, axis=1) + (n - len(d)) / len(d) * np.sum(shift**2))


def estimate(design: Design, var_examples: float, seed_a: float, seed_b: float,
             known: tuple[bool, bool] = (False, False), names=("a", "b"), infl=None) -> VarianceComponents:
    """Variance components of Δ = aggregate(names[0]) − aggregate(names[1]) from the design's units.

    `var_examples` is the example-bootstrap variance of Δ̂; `seed_a`/`seed_b`
    the between-seed variances (or assumed ones, flagged in `known`); `infl`
    is `influence(design)` when already computed (several pairs of one design).
    """
    sl_a, sl_b = design.slices[names[0]], design.slices[names[1]]
    infl = influence(design) if infl is None else infl
    inter, df_inter = [], []
    for sl in (sl_a, sl_b):
        s = sl.stop - sl.start
        if s < 2:
            inter.append(0.0)
            df_inter.append(np.inf)
            continue
        w = np.concatenate([interaction_terms(d[:, sl], n) for d, n in infl])
        total, square = float(w.sum()), float(np.sum(w**2))
        inter.append(total)
        # Σ_i w_i with w_i ~ σ_i² χ²_{S-1}/(S-1): E w² = σ⁴ (S+1)/(S-1) gives this df
        df_inter.append((s + 1) * total**2 / square if square > 0 else np.inf)
    lin, df_parts = 0.0, []
    for d, n in infl:
        delta = d[:, sl_a].mean(axis=1) - d[:, sl_b].mean(axis=1)
        part = float(np.sum(delta**2) - np.sum(delta) ** 2 / n)  # n Var(δ): zero units included
        lin += part
        df_parts.append((part, max(n - 1, 1)))
    return VarianceComponents(float(var_examples), satterthwaite(lin, df_parts), sl_a.stop - sl_a.start,
                              sl_b.stop - sl_b.start, float(seed_a), float(seed_b), inter[0], inter[1],
                              df_inter[0], df_inter[1], known[0], known[1])

"""Multiple comparisons with the best (Hsu) from a joint seeds-and-examples bootstrap.

Each joint replicate reuses the shared example draw and reweights each
configuration's seeds with Multinomial(S, 1/S)/S, inflating the seed
deviation by sqrt(S/(S-1)) (statistics.md, 1.2.4) and shrinking it to the
seed-effect share of the between-seed variance, so the seed x example
interaction, already in the example draw, is counted once (`components`).
Simultaneous bounds take the wider of a max-t bound from that joint
distribution and a Bonferroni bound from the variance-components intervals.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from repro.metrics.base import Metric
from repro.stats.components import influence
from repro.stats.data import RunOutcomes, build_design
from repro.stats.intervals import DifferenceResult, _check_options, make_difference
from repro.stats.resample import BLOCK, block_generator, point_scores, replicate_scores, root_seed


@dataclass(frozen=True, eq=False)
class BestResult:
    """Simultaneous one-sided bounds on μ_claimed - μ_j for every other configuration j."""

    claimed: str
    others: tuple[str, ...]
    estimate: np.ndarray  # (K-1,) claimed minus each other
    lower: np.ndarray  # simultaneous lower bounds at 1 - alpha
    upper: np.ndarray  # simultaneous upper bounds at 1 - alpha
    alpha: float
    prob_best: float  # share of joint replicates where `claimed` scores highest (descriptive)
    pairwise: Mapping[str, DifferenceResult]
    seed_variance_estimable: bool
    n_resamples: int


def joint_replicates(point, reps, slices, root, n_resamples, shrink=None) -> dict[str, np.ndarray]:
    """Per-configuration seed-and-example replicates (B,) of the seed-mean aggregate.

    `shrink` (name -> factor in [0, 1]) scales each configuration's seed deviation;
    sqrt(σ̂²_u / s²) leaves the seed-effect variance alone (default 1: all of s²).
    """
    out = {}
    for c, (name, sl) in enumerate(slices.items()):
        x = reps[:, sl]
        mean = x.mean(axis=1)
        s = x.shape[1]
        if s == 1:
            out[name] = mean
            continue
        # stream 1 + c: configuration c's seed weights, block by block like the examples
        w = np.concatenate([block_generator(root, 1 + c, j).multinomial(
            s, np.full(s, 1 / s), size=min(BLOCK, n_resamples - j * BLOCK))
            for j in range(-(-n_resamples // BLOCK))]) / s
        factor = 1.0 if shrink is None else shrink[name]
        out[name] = mean + factor * np.sqrt(s / (s - 1)) * ((w * x).sum(axis=1) - mean)
    return out


def seed_shrink(pairwise: Mapping[str, DifferenceResult], claimed: str) -> dict[str, float]:
    """sqrt(σ̂²_u / s²) per configuration from the pairwise components (1 where s² is 0 or unknown)."""
    out: dict[str, float] = {}
    for other, r in pairwise.items():
        comp = r.components
        if comp is None:  # a result built without components: no seed effect to shrink by
            out.setdefault(claimed, 1.0)
            out.setdefault(other, 1.0)
            continue
        for name, side, seed in ((claimed, "a", comp.seed_a), (other, "b", comp.seed_b)):
            if name not in out:
                ok = np.isfinite(seed) and seed > 0
                out[name] = float(np.sqrt(comp.seed_effect_var(side) / seed)) if ok else 1.0
    return out


def compare_with_best(configs: Mapping[str, Sequence[RunOutcomes]], claimed: str, *,
                      metrics: Mapping[str, Metric], parallel: Collection[str] = (), cells=None,
                      alpha: float = 0.05, n_resamples: int = 9999, rng=0, batch: int = 1000,
                      seed_sd: float | None = None) -> BestResult:
    """Is `claimed` the best of `configs`?  Hsu's multiple comparisons with the best.

    Returns simultaneous (1 - alpha) one-sided bounds on the differences
    claimed - j, the pairwise variance-components results, and the bootstrap
    probability that `claimed` has the highest aggregate.
    """
    _check_options(n_resamples, batch, seed_sd)
    if claimed not in configs:
        raise ValueError(f"claimed configuration {claimed!r} is not among {sorted(configs)}")
    if len(configs) < 2:
        raise ValueError("need the claimed configuration and at least one alternative")
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    design = build_design(configs, metrics=metrics, parallel=parallel, cells=cells)
    root = root_seed(rng)
    point = point_scores(design)
    reps = replicate_scores(design, int(n_resamples), root, int(batch))
    others = tuple(n for n in configs if n != claimed)
    sl = design.slices
    infl = influence(design)
    pairwise = {o: make_difference(point, reps, design, (claimed, o), n_resamples, seed_sd, infl) for o in others}
    joint = joint_replicates(point, reps, sl, root, int(n_resamples), seed_shrink(pairwise, claimed))

    est = np.array([pairwise[o].estimate for o in others])
    dev = np.column_stack([(joint[claimed] - joint[o]) - e for o, e in zip(others, est)])
    se_boot = dev.std(axis=0, ddof=1)
    se_boot = np.where(se_boot > 0, se_boot, np.inf)
    q_lo = np.quantile((-dev / se_boot).max(axis=1), 1 - alpha)
    q_hi = np.quantile((dev / se_boot).max(axis=1), 1 - alpha)
    se_boot = np.where(np.isfinite(se_boot), se_boot, 0.0)
    # Bonferroni on the variance-components intervals, one-sided alpha/(K-1) each
    h_vc = np.array([sps.t.ppf(1 - alpha / len(others), r.df) * r.se for r in pairwise.values()])
    lower = np.minimum(est - q_lo * se_boot, est - h_vc)
    upper = np.maximum(est + q_hi * se_boot, est + h_vc)

    scores = np.column_stack([joint[n] for n in configs])
    prob_best = float(np.mean(scores.argmax(axis=1) == list(configs).index(claimed)))
    return BestResult(claimed, others, est, lower, upper, float(alpha), prob_best, pairwise,
                      all(r.seed_variance_estimable for r in pairwise.values()), int(n_resamples))

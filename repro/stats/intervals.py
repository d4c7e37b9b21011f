"""Paired differences of XTREME aggregates with seed and example variance.

The primary interval is the variance-components interval (docs/statistics.md §3):
Var_ex from a paired bootstrap over examples, plus the seed part
Σ_c (s_c² − I_c)/S_c from the per-seed aggregate scores less the seed x example
interaction I_c that the bootstrap already holds (`repro.stats.components`),
with a Welch-Satterthwaite t over all estimated components.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from repro.metrics.base import Metric
from repro.stats import components as vc
from repro.stats.data import Design, RunOutcomes, build_design
from repro.stats.resample import point_scores, replicate_scores, root_seed


@dataclass(frozen=True, eq=False)
class DifferenceResult:
    """Δ = aggregate(a) - aggregate(b), averaged over seeds, with its variance components.

    `seed_var_a`/`seed_var_b` are the between-seed variances of one run's
    aggregate (NaN when a configuration has one seed and no `seed_sd` was
    assumed); `var_seeds` is the seed part of Var(Δ̂) once the seed x example
    interaction they contain is removed (see `components`).  `replicates` are
    the example-bootstrap replicates of Δ (models held fixed).  When
    `seed_variance_estimable` is False the intervals cover example variance
    only and are conditional on the trained models.
    """

    estimate: float
    ci90: tuple[float, float]
    ci95: tuple[float, float]
    var_examples: float
    var_seeds: float
    df: float
    n_seeds_a: int
    n_seeds_b: int
    n_resamples: int
    scores_a: np.ndarray
    scores_b: np.ndarray
    seed_var_a: float
    seed_var_b: float
    seed_variance_estimable: bool
    seed_sd_assumed: float | None
    replicates: np.ndarray = field(repr=False, compare=False)
    components: vc.VarianceComponents | None = field(default=None, repr=False, compare=False)

    @property
    def se(self) -> float:
        """Standard error of the estimate (seed part left out when not estimable)."""
        vs = self.var_seeds if np.isfinite(self.var_seeds) else 0.0
        return float(np.sqrt(self.var_examples + vs))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided `level` interval: estimate ± t_df quantile × se."""
        _check_level(level)
        h = vc.t_quantile(0.5 + level / 2, self.df) * self.se
        return (self.estimate - h, self.estimate + h)

    def examples_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of the example bootstrap alone (ignores seed variance)."""
        _check_level(level)
        lo, hi = np.quantile(self.replicates, [0.5 - level / 2, 0.5 + level / 2])
        return (float(lo), float(hi))


def _check_level(level):
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")


def _check_options(n_resamples, batch, seed_sd):
    if int(n_resamples) != n_resamples or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples}")
    if int(batch) != batch or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch}")
    if seed_sd is not None and not (np.isfinite(seed_sd) and seed_sd >= 0):
        raise ValueError(f"seed_sd must be a finite number >= 0 or None, got {seed_sd}")


def seed_variances(scores_a, scores_b, seed_sd=None) -> tuple[float, float, bool]:
    """(var_a, var_b, estimable): the between-seed variance of each configuration's per-seed scores.

    var_c is the sample variance of one run's score, or seed_sd**2 when S_c = 1
    and seed_sd is given (an assumed variance counts as known, infinite df),
    else NaN and not estimable.
    """
    parts, estimable = [], True
    for s in (np.asarray(scores_a), np.asarray(scores_b)):
        if len(s) > 1:
            v = float(np.var(s, ddof=1))
        elif seed_sd is not None:
            v = float(seed_sd) ** 2
        else:
            v, estimable = np.nan, False
        parts.append(v)
    return parts[0], parts[1], estimable


def make_difference(point, reps, design: Design, names: tuple[str, str], n_resamples,
                    seed_sd=None, infl=None) -> DifferenceResult:
    """Assemble the DifferenceResult of names[0] − names[1] from point scores (R,) and replicates (B, R).

    `infl`: the design's `components.influence`, when several pairs share it.
    """
    sl_a, sl_b = design.slices[names[0]], design.slices[names[1]]
    sa, sb = point[sl_a], point[sl_b]
    delta = reps[:, sl_a].mean(axis=1) - reps[:, sl_b].mean(axis=1)
    var_a, var_b, estimable = seed_variances(sa, sb, seed_sd)
    comp = vc.estimate(design, float(np.var(delta, ddof=1)), var_a, var_b,
                       known=(len(sa) == 1, len(sb) == 1), names=names, infl=infl)
    var_examples, var_seeds, df = comp.at()
    fields = dict(estimate=float(sa.mean() - sb.mean()), ci90=(np.nan, np.nan), ci95=(np.nan, np.nan),
                  var_examples=float(var_examples), var_seeds=float(var_seeds), df=float(df),
                  n_seeds_a=len(sa), n_seeds_b=len(sb), n_resamples=int(n_resamples),
                  scores_a=sa.copy(), scores_b=sb.copy(), seed_var_a=var_a, seed_var_b=var_b,
                  seed_variance_estimable=estimable,
                  seed_sd_assumed=None if seed_sd is None else float(seed_sd), replicates=delta, components=comp)
    draft = DifferenceResult(**fields)
    return DifferenceResult(**{**fields, "ci90": draft.interval(0.90), "ci95": draft.interval(0.95)})


def paired_difference(a: Sequence[RunOutcomes], b: Sequence[RunOutcomes], *,
                      metrics: Mapping[str, Metric], parallel: Collection[str] = (), cells=None,
                      n_resamples: int = 9999, rng=0, batch: int = 1000,
                      seed_sd: float | None = None) -> DifferenceResult:
    """Paired difference of XTREME aggregates between configurations `a` and `b`.

    Parameters
    ----------
    a, b : sequences of RunOutcomes, one per seed.
    metrics : task -> Metric; the per-language score is ``metric.score(sums)``.
    parallel : tasks whose unit ids are shared across languages.
    cells : optional subset of (task, language) cells to aggregate.
    n_resamples : example-bootstrap replicates.
    rng : seed (int, SeedSequence or Generator); results do not depend on `batch`.
    batch : resamples computed at once (memory only).
    seed_sd : assumed SD of one run's aggregate, used for a configuration with one seed.

    Returns
    -------
    DifferenceResult
    """
    _check_options(n_resamples, batch, seed_sd)
    design = build_design({"a": a, "b": b}, metrics=metrics, parallel=parallel, cells=cells)
    point = point_scores(design)
    reps = replicate_scores(design, int(n_resamples), root_seed(rng), int(batch))
    return make_difference(point, reps, design, ("a", "b"), n_resamples, seed_sd)


def difference_from_constant(runs: Sequence[RunOutcomes], constant: float, *, metrics: Mapping[str, Metric],
                             parallel: Collection[str] = (), n_resamples: int = 9999, rng=0) -> DifferenceResult:
    """Δ = aggregate(runs) - `constant` (e.g. a published score), with the runs' example and seed variance only.

    The constant enters as a second "configuration" with one exact score: no example variance,
    and a seed variance of zero (known), so the Welch degrees of freedom are the runs' S - 1.
    """
    design = build_design({"a": list(runs)}, metrics=metrics, parallel=parallel)
    point = point_scores(design)
    reps = replicate_scores(design, int(n_resamples), root_seed(rng), 1000)
    n = len(point)
    point = np.append(point, constant)
    reps = np.column_stack([reps, np.full(len(reps), constant)])
    # the constant as one more "run" with no examples: zero influence on every unit, so the
    # variance components hold the runs' example, interaction and seed parts alone
    infl = [(np.column_stack([d, np.zeros(len(d))]), units) for d, units in vc.influence(design)]
    with_constant = replace(design, slices={"runs": slice(0, n), "published": slice(n, n + 1)}, n_runs=n + 1)
    # seed_sd = 0 is the constant's (known) seed variance; with one run the runs' own stays unknown
    return make_difference(point, reps, with_constant, ("runs", "published"), n_resamples,
                           seed_sd=0.0 if n > 1 else None, infl=infl)


def aggregate_score(run: RunOutcomes, *, metrics: Mapping[str, Metric], cells=None) -> float:
    """XTREME score of one run: mean over tasks of the mean over languages of metric.score."""
    design = build_design({"run": [run]}, metrics=metrics, cells=cells)
    return float(point_scores(design)[0])

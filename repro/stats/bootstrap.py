"""Paired bootstrap over examples plus between-seed variance (statistics.md §1.2.3).

Δ = aggregate(A) − aggregate(B), where a run's aggregate is the XTREME functional:
the metric's score per (task, language) cell from summed sufficient statistics,
the mean over a task's languages, then the mean over tasks; a configuration's
aggregate is the mean over its seeds.  The example component resamples units
(paired: one draw serves every configuration and seed, and every language of a
parallel task); the seed component is Σ_c s_c²/S_c; the interval is
Δ̂ ± t_ν·sqrt(Var_ex + Var_seed) with Welch–Satterthwaite ν.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

CHUNK = 1000  # resamples per generator chunk; fixed so results do not depend on batching


@dataclass(frozen=True)
class CellOutcomes:
    """One (task, language) cell of one run: resampling unit per row and per-row statistics."""

    units: np.ndarray  # (n,) unit ids; rows sharing an id (a QA paragraph) are resampled together
    stats: np.ndarray  # (n, k) sufficient statistics of the task's metric


RunOutcomes = Mapping[tuple[str, str], CellOutcomes]


@dataclass(frozen=True)
class DifferenceResult:
    """A paired difference of aggregates with its variance components and intervals."""

    estimate: float
    var_examples: float
    var_seeds: float
    df: float
    seed_scores_a: tuple[float, ...]
    seed_scores_b: tuple[float, ...]
    seed_variance: str   # "estimated", "borrowed" (one side has one seed) or "unknown" (one seed each)
    n_resamples: int
    ci90: tuple[float, float]
    ci95: tuple[float, float]

    @property
    def se(self) -> float:
        return float(np.sqrt(self.var_examples + self.var_seeds))

    @property
    def n_seeds_a(self) -> int:
        return len(self.seed_scores_a)

    @property
    def n_seeds_b(self) -> int:
        return len(self.seed_scores_b)

    def interval(self, level: float) -> tuple[float, float]:
        """Two-sided `level` interval Δ̂ ± t_{ν}·SE."""
        return _interval(self.estimate, self.se, self.df, level)

    def projected_se(self, n_seeds: int) -> float | None:
        """SE with `n_seeds` seeds per configuration, from the observed variance components."""
        var_a, var_b = _seed_variances(self.seed_scores_a, self.seed_scores_b)[:2]
        if var_a is None:
            return None
        return float(np.sqrt(self.var_examples + (var_a + var_b) / n_seeds))


def _interval(estimate, se, df, level):
    q = sps.t.ppf(0.5 + level / 2, df) if np.isfinite(df) else sps.norm.ppf(0.5 + level / 2)
    return (float(estimate - q * se), float(estimate + q * se))


def _seed_variances(a: Sequence[float], b: Sequence[float]):
    """Per-configuration seed variances, borrowing one side's when the other has a single seed."""
    var = {k: (float(np.var(x, ddof=1)) if len(x) > 1 else None) for k, x in (("a", a), ("b", b))}
    if var["a"] is None and var["b"] is None:
        return None, None, "unknown"
    if var["a"] is None or var["b"] is None:
        known = var["a"] if var["a"] is not None else var["b"]
        return known, known, "borrowed"
    return var["a"], var["b"], "estimated"


def _validate(a, b, metrics, cells):
    if not a or not b:
        raise ValueError("each configuration needs at least one run (seed)")
    runs = [*a, *b]
    if cells is None:
        cells = sorted(set(runs[0]))
    cells = [tuple(c) for c in cells]
    if not cells:
        raise ValueError("no (task, language) cells to compare")
    for task, lang in cells:
        if task not in metrics:
            raise ValueError(f"no metric for task {task!r}; pass metrics={{'{task}': ...}}")
        first = None
        for i, run in enumerate(runs):
            if (task, lang) not in run:
                raise ValueError(f"run {i} has no outcomes for cell ({task}, {lang})")
            cell = run[(task, lang)]
            if cell.stats.ndim != 2 or len(cell.units) != len(cell.stats):
                raise ValueError(f"cell ({task}, {lang}) of run {i}: {len(cell.units)} units for "
                                 f"stats of shape {cell.stats.shape}; need one row per unit")
            if first is None:
                first = cell
            elif not np.array_equal(cell.units, first.units) or cell.stats.shape != first.stats.shape:
                raise ValueError(f"cell ({task}, {lang}): run {i} has different units or statistics than "
                                 "run 0; every run must predict the same items in the same order")
    return cells


def aggregate_score(run: RunOutcomes, *, metrics, cells=None) -> float:
    """The XTREME functional of one run with unit weights."""
    cells = _validate([run], [run], metrics, cells)
    by_task: dict[str, list[float]] = {}
    for task, lang in cells:
        by_task.setdefault(task, []).append(float(metrics[task].score(run[(task, lang)].stats.sum(0))))
    return float(np.mean([np.mean(v) for v in by_task.values()]))


def paired_difference(a: Sequence[RunOutcomes], b: Sequence[RunOutcomes], *, metrics, parallel: Collection[str] = (),
                      cells=None, n_resamples: int = 9999, rng: int = 0) -> DifferenceResult:
    """Δ = aggregate(a) − aggregate(b) with intervals over examples and seeds.

    `a`, `b`: one RunOutcomes per seed.  `metrics`: task -> Metric.  `parallel`:
    tasks whose unit ids are shared across languages (one draw serves them all).
    """
    cells = _validate(a, b, metrics, cells)
    runs = [*a, *b]
    n_a = len(a)
    tasks = sorted({t for t, _ in cells})
    langs = {t: [l for tt, l in cells if tt == t] for t in tasks}

    # Resampling groups: per task (parallel) or per cell, with the unit index of every cell.
    groups: dict[tuple, np.ndarray] = {}
    cell_index: dict[tuple, tuple[tuple, np.ndarray]] = {}
    for task, lang in cells:
        units = runs[0][(task, lang)].units
        key = (task,) if task in parallel else (task, lang)
        groups[key] = np.union1d(groups.get(key, np.array([], dtype=units.dtype)), np.unique(units))
        cell_index[(task, lang)] = (key,)
    for (task, lang), (key,) in list(cell_index.items()):
        idx = np.searchsorted(groups[key], runs[0][(task, lang)].units)
        cell_index[(task, lang)] = (key, idx)

    # Per cell: statistics summed per unit of its group, all runs side by side: (n_group, runs*k).
    unit_stats = {}
    for cell, (key, idx) in cell_index.items():
        k = runs[0][cell].stats.shape[1]
        block = np.zeros((len(groups[key]), len(runs) * k))
        np.add.at(block, idx, np.hstack([run[cell].stats for run in runs]))
        unit_stats[cell] = (block, k)

    def aggregates(weights: dict) -> np.ndarray:
        """(B, runs) aggregate per replicate and run, given (B, n_group) weights per group."""
        per_task = []
        for task in tasks:
            scores = []
            for lang in langs[task]:
                block, k = unit_stats[(task, lang)]
                sums = weights[cell_index[(task, lang)][0]] @ block  # (B, runs*k)
                scores.append(metrics[task].score(sums.reshape(len(sums), len(runs), k)))
            per_task.append(np.mean(scores, axis=0))
        return np.mean(per_task, axis=0)

    full = aggregates({g: np.ones((1, len(u))) for g, u in groups.items()})[0]
    scores_a, scores_b = full[:n_a], full[n_a:]
    estimate = float(scores_a.mean() - scores_b.mean())

    reps = []
    for chunk in range(-(-n_resamples // CHUNK)):
        size = min(CHUNK, n_resamples - chunk * CHUNK)
        gen = np.random.default_rng(np.random.SeedSequence(rng, spawn_key=(chunk,)))
        weights = {}
        for g, u in sorted(groups.items()):
            draws = gen.integers(0, len(u), size=(size, len(u)), dtype=np.int32)
            offsets = (np.arange(size, dtype=np.int64) * len(u))[:, None]
            weights[g] = np.bincount((draws + offsets).ravel(), minlength=size * len(u)).reshape(size, len(u))
        agg = aggregates({g: w.astype(np.float64) for g, w in weights.items()})
        reps.append(agg[:, :n_a].mean(1) - agg[:, n_a:].mean(1))
    var_examples = float(np.var(np.concatenate(reps), ddof=1))

    var_a, var_b, status = _seed_variances(scores_a, scores_b)
    if status == "unknown":
        var_seeds, df = 0.0, np.inf
    else:
        terms = [(var_a / n_a, n_a), (var_b / len(b), len(b))]
        var_seeds = sum(t for t, _ in terms)
        denom = sum(t * t / (n - 1) for t, n in terms if n > 1)
        df = var_seeds ** 2 / denom if denom > 0 else np.inf
    se = np.sqrt(var_examples + var_seeds)
    return DifferenceResult(
        estimate=estimate, var_examples=var_examples, var_seeds=float(var_seeds), df=float(df),
        seed_scores_a=tuple(map(float, scores_a)), seed_scores_b=tuple(map(float, scores_b)),
        seed_variance=status, n_resamples=n_resamples,
        ci90=_interval(estimate, se, df, 0.90), ci95=_interval(estimate, se, df, 0.95),
    )

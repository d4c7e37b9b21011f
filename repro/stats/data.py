"""Input types and the one place where inputs are validated and aligned.

A *cell* is one (task, language) test set scored by one trained model.  Each
row of `CellOutcomes.stats` holds a unit's sufficient statistics (see
`repro.metrics.base.Metric`); `units` names the resampling unit of each row.
Rows sharing a unit id form a cluster that is resampled as a whole.

`build_design` checks every input and turns the runs of several
configurations into per-unit arrays aligned by id, grouped into *resampling
groups*: one per cell, or one per task when the task is parallel (its unit
ids are shared across languages, so one draw of ids serves all of them).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from repro.metrics.base import Metric

Cell = tuple[str, str]


@dataclass(frozen=True, eq=False)
class CellOutcomes:
    """One (task, language) cell of one run: unit ids (n,) and sufficient statistics (n, k)."""

    units: np.ndarray
    stats: np.ndarray

    def __post_init__(self):
        units, stats = _check_cell(self.units, self.stats)
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "stats", stats)


#: one trained model (one configuration, one seed), keyed by (task, language)
RunOutcomes = Mapping[Cell, CellOutcomes]


@dataclass(frozen=True, eq=False)
class Group:
    """A resampling universe: `n` units, of which the `m` rows in `stats` are not all zero.

    `stats` has shape (m, L, R, k): units x languages x runs x statistics.
    Rows that are zero for every language and run are dropped; they change no
    sum but still take their share of the draws (see `resample.counts`).
    """

    task: str
    langs: tuple[str, ...]
    n: int
    stats: np.ndarray


@dataclass(frozen=True, eq=False)
class Design:
    """Validated, id-aligned outcomes of several configurations, ready to resample."""

    groups: tuple[Group, ...]
    tasks: tuple[str, ...]
    n_langs: Mapping[str, int]
    metrics: Mapping[str, Metric]
    slices: Mapping[str, slice]  # configuration name -> its columns among the R runs
    n_runs: int


def _check_cell(units, stats) -> tuple[np.ndarray, np.ndarray]:
    units = np.asarray(units)
    stats = np.asarray(stats, dtype=np.float64)
    if units.ndim != 1:
        raise ValueError(f"units must be a 1-D array of ids, got shape {units.shape}")
    if stats.ndim == 1:
        stats = stats[:, None]
    if stats.ndim != 2:
        raise ValueError(f"stats must be a 2-D array (units x statistics), got shape {stats.shape}")
    if len(units) != len(stats):
        raise ValueError(f"{len(units)} unit ids for {len(stats)} rows of stats: give one id per row")
    if len(units) == 0:
        raise ValueError("a cell needs at least one unit; drop empty cells instead")
    if units.dtype.kind not in "iuUSO":
        raise ValueError(f"unit ids must be integers or strings, got dtype {units.dtype}")
    if units.dtype.kind == "O":
        units = units.astype(str)
    if not np.isfinite(stats).all():
        raise ValueError("stats contain NaN or infinite values; sufficient statistics must be finite")
    return units, stats


def _aligned(cell: Cell, runs: list[tuple[str, int, CellOutcomes]]):
    """Per-unit sums for every run of one cell, rows aligned by unit id: (ids, (m, R, k))."""
    ref_name, ref_seed, ref = runs[0]
    ids, order, mult = np.unique(ref.units, return_inverse=True, return_counts=True)
    plain = len(ids) == len(ref.units)  # one row per unit: rows are only permuted
    inv0: slice | np.ndarray = slice(None) if plain and np.array_equal(ids, ref.units) else order  # id order
    out = np.empty((len(ids), len(runs), ref.stats.shape[1]))
    for r, (name, seed, co) in enumerate(runs):
        where = f"cell {cell}: configuration {name!r} seed {seed}"
        if co.stats.shape[1] != ref.stats.shape[1]:
            raise ValueError(f"{where} has {co.stats.shape[1]} statistics per unit, "
                             f"configuration {ref_name!r} seed {ref_seed} has {ref.stats.shape[1]}")
        inv: slice | np.ndarray = inv0
        if r and not (co.units is ref.units or np.array_equal(co.units, ref.units)):
            if co.units.dtype.kind != ref.units.dtype.kind:
                raise ValueError(f"{where} has unit ids of dtype {co.units.dtype}, "
                                 f"configuration {ref_name!r} seed {ref_seed} has {ref.units.dtype}")
            ids_r, inv, mult_r = np.unique(co.units, return_inverse=True, return_counts=True)
            if not np.array_equal(ids_r, ids):
                missing, extra = np.setdiff1d(ids, ids_r), np.setdiff1d(ids_r, ids)
                raise ValueError(
                    f"{where} has unit ids that differ from configuration {ref_name!r} seed {ref_seed}: "
                    f"{len(missing)} missing (e.g. {missing[:3].tolist()}), {len(extra)} extra "
                    f"(e.g. {extra[:3].tolist()}); every run must score the same units")
            if not np.array_equal(mult_r, mult):
                bad = ids[mult_r != mult][:3].tolist()
                raise ValueError(f"{where} has a different number of rows for units {bad} than "
                                 f"configuration {ref_name!r} seed {ref_seed}; clusters must match")
        if plain:
            out[inv, r] = co.stats
            continue
        for j in range(co.stats.shape[1]):
            out[:, r, j] = np.bincount(np.asarray(inv), weights=co.stats[:, j], minlength=len(ids))
    return ids, out


def build_design(configs: Mapping[str, Sequence[RunOutcomes]], *, metrics: Mapping[str, Metric],
                 parallel: Collection[str] = (), cells=None) -> Design:
    """Validate `configs` (name -> runs, one per seed) and align them into a `Design`."""
    if not isinstance(configs, Mapping) or not configs:
        raise ValueError("need at least one configuration")
    flat = []
    for name, runs in configs.items():
        if isinstance(runs, Mapping) or not isinstance(runs, Sequence) or len(runs) == 0:
            raise ValueError(f"configuration {name!r} must be a non-empty sequence of runs (one per seed), "
                             f"got {type(runs).__name__}")
        for seed, run in enumerate(runs):
            if not isinstance(run, Mapping):
                raise ValueError(f"configuration {name!r} seed {seed}: a run must map (task, language) "
                                 f"to CellOutcomes, got {type(run).__name__}")
            flat.append((name, seed, run))
    first = flat[0][2]
    wanted = sorted(first) if cells is None else sorted({tuple(c) for c in cells})
    if not wanted:
        raise ValueError("no (task, language) cells to aggregate")
    for name, seed, run in flat:
        missing = [c for c in wanted if c not in run]
        if missing:
            raise ValueError(f"configuration {name!r} seed {seed} lacks cells {missing[:5]}; "
                             "every run must score every cell (or pass cells= to restrict)")
        if cells is None and len(run) != len(wanted):
            extra = sorted(set(run) - set(wanted))[:5]
            raise ValueError(f"configuration {name!r} seed {seed} has cells {extra} that "
                             f"configuration {flat[0][0]!r} seed 0 lacks; pass cells= to choose")
        for c in wanted:
            if not isinstance(run[c], CellOutcomes):
                raise ValueError(f"configuration {name!r} seed {seed} cell {c}: expected CellOutcomes, "
                                 f"got {type(run[c]).__name__}")
    tasks = tuple(sorted({t for t, _ in wanted}))
    missing = [t for t in tasks if t not in metrics]
    if missing:
        raise ValueError(f"no metric for tasks {missing}; pass metrics={{task: Metric}} for every task")
    if isinstance(parallel, str):
        raise ValueError(f"parallel must be a collection of task names, got the string {parallel!r}")

    aligned = {c: _aligned(c, [(n, s, run[c]) for n, s, run in flat]) for c in wanted}
    groups = []
    for task in tasks:
        langs = [l for t, l in wanted if t == task]
        if task in parallel:
            groups.append(_parallel_group(task, langs, aligned))
        else:
            groups += [_group(task, (l,), len(aligned[task, l][0]), aligned[task, l][1][:, None])
                       for l in langs]
    slices, start = {}, 0
    for name, runs in configs.items():
        slices[name] = slice(start, start + len(runs))
        start += len(runs)
    return Design(tuple(groups), tasks, {t: sum(1 for tt, _ in wanted if tt == t) for t in tasks},
                  dict(metrics), slices, start)


def _parallel_group(task, langs, aligned) -> Group:
    kinds = {aligned[task, l][0].dtype.kind for l in langs}
    if len(kinds) > 1:
        raise ValueError(f"parallel task {task!r} mixes integer and string unit ids across languages; "
                         "shared ids must have one type")
    union = np.unique(np.concatenate([aligned[task, l][0] for l in langs]))
    first = aligned[task, langs[0]][1]
    for l in langs:
        if aligned[task, l][1].shape[1:] != first.shape[1:]:
            raise ValueError(f"parallel task {task!r}: language {l!r} has {aligned[task, l][1].shape[2]} "
                             f"statistics per unit, {langs[0]!r} has {first.shape[2]}; use one metric per task")
    stats = np.zeros((len(union), len(langs)) + first.shape[1:])
    for j, l in enumerate(langs):
        ids, s = aligned[task, l]
        stats[np.searchsorted(union, ids), j] = s
    return _group(task, tuple(langs), len(union), stats)


def _group(task, langs, n, stats) -> Group:
    keep = stats.reshape(len(stats), -1).any(axis=1)
    return Group(task, langs, n, np.ascontiguousarray(stats[keep]))

"""Measured numbers for the report, read from the runs in a store (no training).

Runs are read through `repro.store.RunStore`, checked against their manifests:
a target (or retrieval) run's `metrics.json` ({task: {split: {lang: {metric: value}}}}; the report's
tables show the dev set, as the paper's Table 2),
`timings.json` and `env.json`; its intermediate configuration is its parent's
tasks (the parent found by key).  A run the store lacks is listed as missing,
a damaged one as damaged, and the rest of the report is built without it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from repro.store import CorruptRunError, MissingRunError, RunStore, StoredRun

BASELINE = "XLM-R"
READ_KINDS = ("target", "retrieval")


@dataclass(frozen=True)
class TargetRun:
    """One stored target run, reduced to what the report shows."""

    name: str
    target: str
    configuration: str          # "+".join(intermediate tasks), or BASELINE
    seed: int
    data: str
    metrics: dict = field(default_factory=dict)   # {lang: {metric: value}}
    wall_s: float = 0.0
    env: dict = field(default_factory=dict)


def _wall(run: StoredRun) -> float:
    timings = run.read_json("timings.json", {})
    if "total_s" in timings:
        return float(timings["total_s"])
    return float(sum(v for v in timings.values() if isinstance(v, (int, float))))


def _configuration(store: RunStore, run: StoredRun) -> str:
    """The intermediate tasks the run starts from ("+"-joined), or BASELINE; CorruptRunError when its
    parent is damaged or missing."""
    parent_key = run.spec.get("parent")
    if not parent_key:
        return BASELINE
    parent = store.read_key(parent_key)
    if parent is None:
        raise CorruptRunError(f"{run.path}: its parent run {parent_key[:16]} is not in the store")
    return "+".join(parent.spec.get("tasks", ())) if parent.spec.get("kind") == "intermediate" else BASELINE


def _non_finite(store: RunStore, run: StoredRun, known: dict[str, dict]) -> dict[str, dict]:
    """{run name: its train_log.json's `non_finite_loss`} over `run` and its ancestors, for the phases whose
    training loss became NaN or infinite (repro/divergence.py); `known` holds the answers for the parents
    already read (by key); CorruptRunError when a parent is damaged."""
    record = (run.read_json("train_log.json", {}) or {}).get("non_finite_loss")
    out = {run.name: record} if record else {}
    parent_key = run.spec.get("parent")
    if parent_key:
        if parent_key not in known:
            parent = store.read_key(parent_key)
            known[parent_key] = {} if parent is None else _non_finite(store, parent, known)
        out.update(known[parent_key])
    return out


def _dev_metrics(target: str, by_split: dict) -> dict:
    """{lang: {metric: value}} of the set a claim's "validation" reads for `target` (the first split otherwise)."""
    from repro.tasks import TASKS
    split = TASKS[target].evaluation_set("validation") if target in TASKS else "validation"
    return by_split.get(split) or next(iter(by_split.values()), {})


def load_runs(store: str | Path, names) -> tuple[list[TargetRun], dict]:
    """The target runs `names` in `store`, read through RunStore (which creates nothing).

    Returns (target runs sorted by name, {"wall_s": seconds summed over the runs read, "missing": names
    the store lacks, "damaged": {name: reason} for runs that fail their check, "non_finite_loss": {name:
    record} for the runs read and their ancestors whose training stopped at a NaN or infinite loss}).
    """
    reader = RunStore(store, create=False)
    runs, wall, missing, damaged, non_finite = [], 0.0, [], {}, {}
    parents: dict[str, dict] = {}  # parent key -> what `_non_finite` found over it and its ancestors
    for name in sorted(set(names)):
        try:
            stored = reader.read(name)
            non_finite.update(_non_finite(reader, stored, parents))
            wall += _wall(stored)
            metrics = stored.read_json("metrics.json", {})
            if stored.spec.get("kind") not in READ_KINDS or not metrics:
                continue
            target = stored.spec.get("eval_task") or next(iter(metrics))
            runs.append(TargetRun(name, target, _configuration(reader, stored), int(stored.spec.get("seed", 0)),
                                  str(stored.spec.get("data", "")), _dev_metrics(target, metrics.get(target, {})),
                                  _wall(stored), stored.read_json("env.json", {})))
        except MissingRunError:
            missing.append(name)
        except (CorruptRunError, ValueError, TypeError, AttributeError) as err:
            damaged[name] = str(err)
    return runs, {"wall_s": wall, "missing": missing, "damaged": damaged, "non_finite_loss": non_finite}


def language_tables(runs: list[TargetRun]) -> dict:
    """Per target task and metric: each configuration's mean over seeds per language, and vs baseline.

    {target: {metric: {"languages": [...], "rows": {config: {"seeds": n, "mean": {lang: v, "all": v},
    "diff": {lang: v, "all": v} or None}}}}}; "all" is the mean over languages, `diff` is
    against the baseline's mean (None for the baseline or when it has no runs).
    """
    out: dict = {}
    for target in sorted({r.target for r in runs}):
        of_target = [r for r in runs if r.target == target]
        metrics = sorted({m for r in of_target for lang in r.metrics.values() for m in lang})
        languages = list(dict.fromkeys(lang for r in of_target for lang in r.metrics))
        out[target] = {}
        for metric in metrics:
            rows: dict[str, dict] = {}
            for config in sorted({r.configuration for r in of_target}, key=lambda c: (c != BASELINE, c)):
                seeds = [r for r in of_target if r.configuration == config]
                mean: dict[str, float] = {}
                for lang in languages:
                    values = [r.metrics[lang][metric] for r in seeds  # None: undefined (a BUCC threshold)
                              if isinstance(r.metrics.get(lang, {}).get(metric), (int, float))]
                    if values:
                        mean[lang] = float(np.mean(values))
                if mean:
                    mean["all"] = float(np.mean([v for k, v in mean.items()]))
                rows[config] = {"seeds": len(seeds), "mean": mean, "diff": None}
            base = rows.get(BASELINE, {}).get("mean", {})
            for config, row in rows.items():
                if config != BASELINE and base:
                    row["diff"] = {k: v - base[k] for k, v in row["mean"].items() if k in base}
            out[target][metric] = {"languages": languages, "rows": rows}
    return out


def _score_names(target: str) -> tuple[str, ...]:
    """The metrics whose mean is the target's XTREME score (QA: EM and F1), or () for an unknown task."""
    from repro.tasks import TASKS
    return TASKS[target].metric.score_names if target in TASKS else ()


def target_differences(tables: dict) -> dict[str, dict[str, float]]:
    """{configuration: {target: difference vs baseline in the target's XTREME score, mean over languages}}."""
    out: dict[str, dict[str, float]] = {}
    for target, by_metric in tables.items():
        scored = [by_metric[m] for m in _score_names(target) if m in by_metric]
        for config in {c for t in scored for c in t["rows"]} - {BASELINE}:
            diffs = [t["rows"][config]["diff"]["all"] for t in scored
                     if config in t["rows"] and t["rows"][config]["diff"] and "all" in t["rows"][config]["diff"]]
            if diffs:
                out.setdefault(config, {})[target] = float(np.mean(diffs))
    return out

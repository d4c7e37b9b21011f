"""Measured numbers for the report, read from run folders in a store (no training).

Each target run folder holds `spec.json` ({key, spec}), `metrics.json`
({task: {lang: {metric: value}}}), and optionally `timings.json` and `env.json`.
The intermediate configuration of a target run is found through its parent key
(the parent's own `spec.json`), or, failing that, from the folder name.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BASELINE = "XLM-R"


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


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _wall(folder: Path) -> float:
    timings = _read(folder / "timings.json")
    if "total_s" in timings:
        return float(timings["total_s"])
    return float(sum(v for v in timings.values() if isinstance(v, (int, float))))


def _configuration(spec: dict, name: str, by_key: dict[str, dict]) -> str:
    parent = by_key.get(spec.get("parent") or "")
    if parent is not None:
        return "+".join(parent.get("tasks", ())) if parent.get("kind") == "intermediate" else BASELINE
    found = re.search(r"-from-(.+?)-s\d+-[0-9a-f]+$", name)
    return found.group(1) if found else BASELINE


def load_runs(store: str | Path, names=None) -> tuple[list[TargetRun], dict]:
    """Target runs in `store` (only `names` when given), and the wall time of all those runs' folders.

    Returns (target runs sorted by name, {"wall_s": seconds summed over every listed folder,
    "missing": names not found}).
    """
    root = Path(store)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
    specs = {p.name: _read(p / "spec.json") for p in folders}
    by_key = {s["key"]: s.get("spec", {}) for s in specs.values() if "key" in s}
    wanted = set(names) if names is not None else set(specs)
    runs, wall = [], 0.0
    for folder in folders:
        if folder.name not in wanted:
            continue
        wall += _wall(folder)
        spec = specs[folder.name].get("spec", {})
        metrics = _read(folder / "metrics.json")
        if spec.get("kind") not in ("target", "retrieval") or not metrics:
            continue
        target = spec.get("eval_task") or next(iter(metrics))
        runs.append(TargetRun(folder.name, target, _configuration(spec, folder.name, by_key),
                              int(spec.get("seed", 0)), str(spec.get("data", "")),
                              metrics.get(target, {}), _wall(folder), _read(folder / "env.json")))
    return runs, {"wall_s": wall, "missing": sorted(wanted - set(specs))}


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
            rows = {}
            for config in sorted({r.configuration for r in of_target}, key=lambda c: (c != BASELINE, c)):
                seeds = [r for r in of_target if r.configuration == config]
                mean = {}
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

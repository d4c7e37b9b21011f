"""Per-unit outcomes of stored runs, as the statistics consume them.

Runs store predictions and gold labels; the sufficient statistics are
recomputed here by the task's metric, the one implementation the engine's
evaluation and `repro score` use too.
"""
from __future__ import annotations

import json

import numpy as np

from repro.stats import CellOutcomes
from repro.store import CorruptRunError, Run
from repro.tasks import get_task


def read_predictions(run: Run, task: str, lang: str) -> list[dict]:
    """The stored prediction records (id, prediction, reference) of one language."""
    path = run.path / "predictions" / task / f"{lang}.jsonl"
    if not path.is_file():
        raise CorruptRunError(f"{run.path} has no predictions for {task}/{lang}; the run was made for "
                              f"languages {', '.join(run.spec.eval_languages)}")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_outcomes(run: Run) -> dict[tuple[str, str], CellOutcomes]:
    """Outcomes of every (task, language) cell that a target run evaluated."""
    task = get_task(run.spec.eval_task)
    cells = {}
    for lang in run.spec.eval_languages:
        records = read_predictions(run, task.name, lang)
        stats = task.metric.unit_stats(predictions=[r["prediction"] for r in records],
                                       references=[r["reference"] for r in records], lang=lang)
        cells[(task.name, lang)] = CellOutcomes(np.asarray([r["id"] for r in records]), stats)
    return cells

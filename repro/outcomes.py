"""Per-unit outcomes of stored runs, as the statistics consume them.

Runs store one record per prediction, {id, unit, prediction, reference}; the
sufficient statistics are recomputed here by the task's metric, the one
implementation the engine's evaluation and `repro score` use too.  The
resampling unit is the record's "unit": the example, except for QA (the
context a question is about) and BUCC (the source sentence).
"""
from __future__ import annotations

import json

import numpy as np

from repro.stats import CellOutcomes
from repro.store import CorruptRunError, Run
from repro.tasks import get_task


def read_predictions(run: Run, task: str, split: str, lang: str) -> list[dict]:
    """The stored prediction records (id, unit, prediction, reference) of one language of one split."""
    path = run.path / "predictions" / task / split / f"{lang}.jsonl"
    if not path.is_file():
        sets = "; ".join(f"{s}: {', '.join(langs)}" for s, langs in run.spec.eval_sets)
        raise CorruptRunError(f"{run.path} has no predictions for {task}/{split}/{lang}; the run was made for {sets}")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_outcomes(run: Run, split: str) -> dict[tuple[str, str], CellOutcomes]:
    """Outcomes of every (task, language) cell that a target run predicted on `split` (the set read)."""
    task = get_task(run.spec.evaluated_task)
    cells = {}
    for lang in run.spec.eval_languages(split):
        records = read_predictions(run, task.name, split, lang)
        predictions, references = task.metric_inputs(records)
        stats = task.metric.unit_stats(predictions=predictions, references=references, lang=lang)
        if len(stats) != len(records):  # BUCC's metric has one row per source id, in sorted order
            raise CorruptRunError(f"{run.path}: {task.name}/{lang} has {len(records)} records but its metric "
                                  f"gives {len(stats)} rows; records must be one per unit row")
        cells[(task.name, lang)] = CellOutcomes(np.asarray([r.get("unit", r["id"]) for r in records]), stats)
    return cells

"""v1's printed rows, looked up the way the claims name configurations, and the averages v1 misprints.

Data only: which row of v1 Table 2 a configuration is, and which printed averages disagree with
their own cells.  Judging on these numbers is the `paper-v1` source (`repro.replay`).
"""
from __future__ import annotations

from repro.paper import TARGETS, read_table2, read_xtreme, target_value
from repro.tasks import TASKS

# v1's row of a single intermediate task is labelled with its paper name (`Task.paper_label`);
# v1's multi-task mixes all of its tasks but SQuAD
V1_MULTITASK = frozenset({"anli_plus", "qqp", "hellaswag", "ccg", "cosmosqa", "commonsenseqa"})
BEST_ROW = "Best intermediate-task model per target task"
# Printed averages carry one decimal and their cells one each: a gap above 0.1 is not rounding.
ROUNDING = 0.1 + 1e-9


def row_label(row: dict) -> str:
    """A Table 2 row's label: its intermediate task, "+ MLM" when trained with it."""
    return row["intermediate"] + (" + MLM" if row["with_mlm"] == "yes" else "")


def _paper_name(task: str) -> str | None:
    return TASKS[task].paper_label if task in TASKS else None


def v1_row(configuration: tuple[str, ...], directory=None) -> dict | None:
    """v1 Table 2's row for `configuration` (differences from XLM-R); None when v1 has none."""
    mlm = "mlm" in configuration
    tasks = frozenset(configuration) - {"mlm"}
    if not tasks:
        return None if mlm else {t: 0.0 for t in TARGETS} | {"label": "XLM-R"}
    name = "Multi-task" if tasks == V1_MULTITASK else (_paper_name(next(iter(tasks))) if len(tasks) == 1 else None)
    for row in read_table2(directory):
        if row["intermediate"] == name and row["with_mlm"] == ("yes" if mlm else "no"):
            return {t: target_value(row, t) for t in TARGETS} | {"label": row_label(row)}
    return None


def average_inconsistencies(directory=None) -> list[dict]:
    """Rows whose printed avg disagrees with the mean of their own cells (beyond rounding)."""
    found = []
    for row in read_table2(directory):
        cells = [target_value(row, t) for t in TARGETS]
        known = [c for c in cells if c is not None]
        if len(known) < len(cells) or row["avg"] is None:
            continue
        mean = sum(known) / len(known)
        if abs(mean - row["avg"]) > ROUNDING:
            found.append({"table": "v1 Table 2 (dev)", "row": row_label(row), "printed": row["avg"],
                          "from_cells": round(mean, 2)})
    for model, xrow in read_xtreme(directory).items():
        cells = [xrow[t] for t in TARGETS]
        known = [c for c in cells if c is not None]
        if len(known) < len(cells) or xrow["avg"] is None:
            continue
        mean = sum(known) / len(known)
        if abs(mean - xrow["avg"]) > ROUNDING:
            found.append({"table": "v1 XTREME block", "row": model, "printed": xrow["avg"],
                          "from_cells": round(mean, 2)})
    return found


def row_mean(row: dict, targets) -> float:
    """The mean of a row's cells over `targets` (the averages are recomputed, never read)."""
    return sum(row[t] for t in targets) / len(targets)


def misprint_warning(rows: list[str], directory=None) -> str:
    """A sentence per row of `rows` whose printed average disagrees with its cells ("" if none)."""
    bad = [b for b in average_inconsistencies(directory) if b["row"] in rows]
    return "".join(f" v1 prints avg {b['printed']:+.1f} for {b['row']} but its cells give {b['from_cells']:+.1f}; "
                   "the replay uses the cells." for b in bad)

"""The `paper-v1` result source: judge claims on the numbers arXiv v1 prints.

v1's Table 2 (dev, differences from XLM-R) and XTREME block are point
estimates without intervals; each claim part is judged against its own
tolerance with `judge_point` and labelled as such.  The replay recomputes
every printed average from its cells and reports the rows that disagree.
A part v1 cannot speak to (MNLI, translated data, the nine-task multi-task)
is skipped with that reason.
"""
from __future__ import annotations

from repro import stats as V
from repro.claims import COMPARED, Claim
from repro.judging import ClaimOutcome, Comparison, PointResult, skipped
from repro.paper import PUBLISHED_XLMR, TARGETS, read_table2, read_xtreme, target_value
from repro.tasks import TASKS

SOURCE = "paper-v1"
# v1's row of a single intermediate task is labelled with its paper name (`Task.paper_label`);
# v1's multi-task mixes all of its tasks but SQuAD
V1_MULTITASK = frozenset({"anli_plus", "qqp", "hellaswag", "ccg", "cosmosqa", "commonsenseqa"})
BEST_ROW = "Best intermediate-task model per target task"
# Printed averages carry one decimal and their cells one each: a gap above 0.1 is not rounding.
ROUNDING = 0.1 + 1e-9


def row_label(row: dict) -> str:
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
        if None in cells or row["avg"] is None:
            continue
        mean = sum(cells) / len(cells)
        if abs(mean - row["avg"]) > ROUNDING:
            found.append({"table": "v1 Table 2 (dev)", "row": row_label(row), "printed": row["avg"],
                          "from_cells": round(mean, 2)})
    for model, row in read_xtreme(directory).items():
        cells = [row[t] for t in TARGETS]
        if None in cells or row["avg"] is None:
            continue
        mean = sum(cells) / len(cells)
        if abs(mean - row["avg"]) > ROUNDING:
            found.append({"table": "v1 XTREME block", "row": model, "printed": row["avg"],
                          "from_cells": round(mean, 2)})
    return found


def _mean(row: dict, targets) -> float:
    return sum(row[t] for t in targets) / len(targets)


def _warning(rows: list[str], directory) -> str:
    bad = [b for b in average_inconsistencies(directory) if b["row"] in rows]
    return "".join(f" v1 prints avg {b['printed']:+.1f} for {b['row']} but its cells give {b['from_cells']:+.1f}; "
                   "the replay uses the cells." for b in bad)


def replay(claim: Claim, directory=None) -> ClaimOutcome:
    """Judge `claim` on v1's printed numbers, or skip it with the reason v1 cannot speak to it."""
    from repro.setup_checks import judge_setup

    if claim.kind == "setup":
        return ClaimOutcome(claim, judge_setup(claim), (), (), (), SOURCE, True, SOURCE)
    if claim.kind == "best_per_target":
        return _best_per_target(claim, directory)
    if claim.kind == "best":
        row = v1_row(claim.configurations[0], directory)
        if row is None:
            return _skip(claim, f"v1 has no {claim.label(claim.configurations[0])} run: its multi-task model "
                                "leaves out SQuAD and has no MNLI; the nine-task multi-task is the final version's")
        return _skip(claim, "v1 reports one run per configuration without intervals; a best-of claim needs "
                            "simultaneous bounds")
    judge_args = {n: getattr(claim, n) for n in COMPARED[claim.kind][1]}
    comparisons, absent, used = [], [], []
    for config, base in claim.comparisons():
        label = claim.label(config) + (f" vs {claim.label(base)}" if base else "")
        a, b = v1_row(config, directory), v1_row(base, directory)
        if a is None or b is None:
            absent.append(claim.label(config))
            continue
        used += [a["label"], b["label"]]
        delta = _mean(a, claim.targets) - _mean(b, claim.targets)
        verdict = V.judge_point(claim.kind, delta, label=label, **judge_args)
        comparisons.append(Comparison(label, PointResult(delta, "v1 Table 2, dev, cells"), verdict))
    if not comparisons:
        return _skip(claim, f"v1 has none of the configurations ({', '.join(absent)}): MNLI, SST-2 and "
                            "machine-translated intermediate data are not in v1")
    verdicts = [c.verdict for c in comparisons]
    k = min(claim.at_least or len(claim.configurations), len(verdicts))
    verdict = verdicts[0] if len(verdicts) == 1 else V.judge_at_least(verdicts, k, label=claim.id)
    note = (f" Judged on the {len(verdicts)} of {len(claim.configurations)} configurations v1 reports "
            f"(absent: {', '.join(absent)})." if absent else "")
    verdict = _with_reason(verdict, note + _warning(used, directory))
    return ClaimOutcome(claim, verdict, tuple(comparisons), (), (), SOURCE, True, SOURCE)


def _best_per_target(claim: Claim, directory) -> ClaimOutcome:
    scores = read_xtreme(directory)
    best, base = scores[BEST_ROW], scores[PUBLISHED_XLMR]
    delta = _mean(best, claim.targets) - _mean(base, claim.targets)
    label = f"{BEST_ROW} vs {PUBLISHED_XLMR}"
    verdict = V.judge_point("magnitude", delta, label=label, expected=claim.expected, margin=claim.margin)
    verdict = _with_reason(verdict, f" v1 XTREME block, averages recomputed from the cells (printed: "
                                    f"{best['avg']} vs {base['avg']}).")
    return ClaimOutcome(claim, verdict, (Comparison(label, PointResult(delta, "v1 XTREME block"), verdict),),
                        (), (), SOURCE, True, SOURCE)


def _with_reason(verdict, extra: str):
    from dataclasses import replace
    return replace(verdict, reason=verdict.reason + extra) if extra else verdict


def _skip(claim: Claim, reason: str) -> ClaimOutcome:
    return skipped(claim, f"paper-v1 cannot speak to this part: {reason}", profile=SOURCE, source=SOURCE)

"""Numbers printed in the paper (arXiv v1), shipped with the package as CSV data.

`v1-table2-dev.csv`: Table 2, development sets, mean over languages; the `XLM-R`
row is absolute, every other row a difference from it in points.
`v1-xtreme-scores.csv`: the XTREME block of v1.  See /work/shared/paper/README.md.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

from repro.tasks import paper_targets
from repro.errors import UsageError

PAPER_ENV = "REPRO_PAPER_DIR"
PACKAGED = Path(__file__).parent
TABLE2 = "v1-table2-dev.csv"
XTREME = "v1-xtreme-scores.csv"
# Target tasks in the column order of Table 2: the registry's targets with a paper label, in registry
# order, taken when this module is imported (a task registered later is no column of the paper's tables).
# QA tasks count as mean(F1, EM), as in the paper's avg.  A test keeps this and Table 2's CSV header equal.
TARGETS = paper_targets()


def paper_dir(directory: str | os.PathLike | None = None) -> Path:
    """Where the paper's CSVs are read: `directory`, else $REPRO_PAPER_DIR, else the packaged copy."""
    chosen = directory or os.environ.get(PAPER_ENV)
    return Path(chosen) if chosen else PACKAGED


def _value(text: str) -> float | None:
    return float(text) if text.strip() else None


def read_table2(directory=None) -> list[dict]:
    """Rows of v1 Table 2: intermediate, with_mlm and one float (or None) per column."""
    with (paper_dir(directory) / TABLE2).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [{k: (v if k in ("intermediate", "with_mlm") else _value(v)) for k, v in row.items()}
            for row in rows]


def target_value(row: dict, target: str) -> float | None:
    """A row's value for one target task: the metric column, or mean(F1, EM) for QA tasks."""
    cols = [v for k, v in row.items() if k.startswith(target + "_") and v is not None]
    return sum(cols) / len(cols) if cols else None


def table2_differences(directory=None) -> dict[str, dict[str, float | None]]:
    """{row label: {target: difference in points}} for every intermediate row of Table 2, in its order.

    Rows trained with multilingual MLM are labelled "<task> + MLM"; the absolute XLM-R row is left out.
    """
    return {row["intermediate"] + (" + MLM" if row["with_mlm"] == "yes" else ""):
            {t: target_value(row, t) for t in TARGETS}
            for row in read_table2(directory) if row["with_mlm"] != "none"}


def normalise(name: str) -> str:
    """A task name comparable across the paper and the registry ('ANLI+' and 'anli_plus' -> 'anli')."""
    key = "".join(ch for ch in name.lower().replace("plus", "") if ch.isalnum())
    return {"bucc": "bucc2018", "xtremebucc": "bucc2018", "multi": "multitask"}.get(key, key)


# the row of v1's XTREME block that holds XLM-R's published scores (Hu et al. 2020)
PUBLISHED_XLMR = "XLM-R (Hu et al., 2020)"


def read_xtreme(directory=None) -> dict[str, dict]:
    """v1's XTREME block: {model: {target: value (QA as mean(F1, EM)) or None, "avg": printed}}.

    Model names hold unquoted commas ("XLM-R (Hu et al., 2020)"), so each line is split from the
    right: the last fields are the numbers of the header's columns, the rest is the name.
    """
    lines = (paper_dir(directory) / XTREME).read_text(encoding="utf-8").splitlines()
    columns = lines[0].split(",")[1:]
    out = {}
    for line in filter(None, lines[1:]):
        parts = line.split(",")
        if len(parts) < len(columns) + 1:
            raise UsageError(f"{XTREME}: {line!r} has fewer than {len(columns) + 1} fields")
        name = ",".join(parts[:-len(columns)]).strip()
        values = {k: (float(v) if v.strip() else None) for k, v in zip(columns, parts[-len(columns):])}
        out[name] = {t: target_value(values, t) for t in TARGETS} | {"avg": values["avg"]}
    return out

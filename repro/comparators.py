"""What a best-per-target claim is measured against, and how one evaluation set serves two roles.

- The published XLM-R XTREME scores (Hu et al. 2020, as v1's XTREME block prints them;
  `repro/paper/v1-xtreme-scores.csv`): the paper's +5.4 (v1: +6.1) is the best models' XTREME
  score minus these, not minus the authors' own XLM-R run (v1: +8.1 against that).  A published
  score is a constant: the interval comes from the best models' examples and seeds alone
  (`repro.stats.difference_from_constant`).
- Selection halves: where the split a claim selects on and the split it measures on read the same
  examples (XQuAD, TyDiQA-GoldP and Tatoeba have one evaluation set), the best configuration is
  chosen on one half of the units and measured on the other, so no example serves both.
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np

from repro.errors import UnknownName
from repro.paper import PUBLISHED_XLMR as PUBLISHED_XLMR_ROW
from repro.paper import read_xtreme
from repro.stats import CellOutcomes

PUBLISHED_XLMR = "published-xlmr"
COMPARATORS = ("baseline", PUBLISHED_XLMR)
SELECT_HALF, MEASURE_HALF = 0, 1


def published_xlmr_score(targets: Sequence[str], paper_dir=None) -> float:
    """XLM-R's published XTREME score over `targets` (QA as mean(F1, EM), mean over tasks), in points."""
    row = read_xtreme(paper_dir)[PUBLISHED_XLMR_ROW]
    missing = [t for t in targets if row.get(t) is None]
    if missing:
        raise UnknownName(f"the published XLM-R scores (v1 XTREME block) have no value for {', '.join(missing)}; "
                          "give only targets it scores, or compare with comparator = \"baseline\"")
    return sum(row[t] for t in targets) / len(targets)


def unit_half(unit) -> int:
    """0 or 1: a fixed split of resampling units by a hash of their id (the same id, the same half in
    every language, so translated sets stay aligned)."""
    return zlib.crc32(str(unit).encode()) & 1


def restrict(cells: Mapping, task: str, half: int) -> dict:
    """`cells` with `task`'s cells cut to the units of `half`; other tasks' cells unchanged.  A cell with
    no unit in `half` is left out (a language of a few paragraphs, e.g. the rehearsal's 16 QA rows on
    one or two contexts): every run holds the same units of a cell, so each run drops the same cells."""
    out = {}
    for cell, co in cells.items():
        if cell[0] == task:
            keep = np.fromiter((unit_half(u) == half for u in co.units.tolist()), bool, len(co.units))
            if not keep.any():
                continue
            co = CellOutcomes(co.units[keep], co.stats[keep])
        out[cell] = co
    return out

"""What a best-per-target claim is measured against, and how one evaluation set serves two roles.

- The published XLM-R XTREME scores (Hu et al. 2020, as v1's XTREME block prints them;
  `repro/paper/v1-xtreme-scores.csv`): the paper's +5.4 (v1: +6.1) is the best models' XTREME
  score minus these, not minus the authors' own XLM-R run (v1: +8.1 against that).  A published
  score is a constant: the interval comes from the best models' examples and seeds alone.
- Selection halves: where the split a claim selects on and the split it measures on read the same
  examples (XQuAD, TyDiQA-GoldP and Tatoeba have one evaluation set), the best configuration is
  chosen on one half of the units and measured on the other, so no example serves both.
"""
from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping, Sequence
from types import SimpleNamespace

import numpy as np

from repro.paper import PUBLISHED_XLMR as PUBLISHED_XLMR_ROW
from repro.paper import read_xtreme
from repro.stats import CellOutcomes
from repro.stats.components import influence
from repro.stats.data import build_design
from repro.stats.intervals import DifferenceResult, make_difference
from repro.stats.resample import point_scores, replicate_scores, root_seed

PUBLISHED_XLMR = "published-xlmr"
COMPARATORS = ("baseline", PUBLISHED_XLMR)
SELECT_HALF, MEASURE_HALF = 0, 1


def published_xlmr_score(targets: Sequence[str], paper_dir=None) -> float:
    """XLM-R's published XTREME score over `targets` (QA as mean(F1, EM), mean over tasks), in points."""
    row = read_xtreme(paper_dir)[PUBLISHED_XLMR_ROW]
    missing = [t for t in targets if row.get(t) is None]
    if missing:
        raise KeyError(f"the published XLM-R scores (v1 XTREME block) have no value for {', '.join(missing)}")
    return sum(row[t] for t in targets) / len(targets)


def difference_from_constant(runs: Sequence[Mapping], constant: float, *, metrics, parallel: Collection[str] = (),
                             n_resamples: int = 9999, rng=0) -> DifferenceResult:
    """Δ = aggregate(runs) - `constant`, with the runs' example and seed variance only.

    The constant enters as a second "configuration" with one exact score: no example variance,
    and a seed variance of zero (known), so the Welch degrees of freedom are the runs' S - 1.
    """
    design = build_design({"a": list(runs)}, metrics=metrics, parallel=parallel)
    point = point_scores(design)
    reps = replicate_scores(design, int(n_resamples), root_seed(rng), 1000)
    n = len(point)
    point = np.append(point, constant)
    reps = np.column_stack([reps, np.full(len(reps), constant)])
    # the constant as one more "run" with no examples: zero influence on every unit, so the
    # variance components hold the runs' example, interaction and seed parts alone
    infl = [(np.column_stack([d, np.zeros(len(d))]), units) for d, units in influence(design)]
    with_constant = SimpleNamespace(slices={"runs": slice(0, n), "published": slice(n, n + 1)})
    # seed_sd = 0 is the constant's (known) seed variance; with one run the runs' own stays unknown
    return make_difference(point, reps, with_constant, ("runs", "published"), n_resamples,
                           seed_sd=0.0 if n > 1 else None, infl=infl)


def unit_half(unit) -> int:
    """0 or 1: a fixed split of resampling units by a hash of their id (the same id, the same half in
    every language, so translated sets stay aligned)."""
    return zlib.crc32(str(unit).encode()) & 1


def restrict(cells: Mapping, task: str, half: int) -> dict:
    """`cells` with `task`'s cells cut to the units of `half`; other tasks' cells unchanged."""
    out = {}
    for cell, co in cells.items():
        if cell[0] == task:
            keep = np.fromiter((unit_half(u) == half for u in co.units.tolist()), bool, len(co.units))
            co = CellOutcomes(co.units[keep], co.stats[keep])
        out[cell] = co
    return out

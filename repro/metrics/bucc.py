"""BUCC 2018 bitext-mining F1 (XTREME's `bucc_f1`).

Predictions and gold are sets of (source id, English id) pairs; P = |pred & gold| / |pred|,
R = |pred & gold| / |gold|, F1 their harmonic mean, all 0 when nothing is correct.  The unit
of resampling is a source sentence: its row holds (tp, n_pred, n_gold) over the distinct
pairs with that source id, so the rows sum to the set counts of the whole corpus.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from repro.metrics.base import Metric, prf_from_counts


class BuccF1(Metric):
    """Set F1, precision and recall (x100) of predicted sentence pairs."""

    stat_names = ("tp", "n_pred", "n_gold")
    metric_names = ("f1", "precision", "recall")
    reference = "`bucc_f1` in XTREME's evaluate.py: set precision, recall and F1 of the mined (source id, English id) pairs"
    limitation = ("The value depends on the similarity threshold that decides which pairs are mined: a threshold "
                  "chosen on the scored set itself (as jiant's validation metric does) gives an optimistic figure.")

    def unit_stats(self, *, predictions, references, lang=None):
        """One row per source id seen in either set, in sorted order; pairs are (src, trg)."""
        pred, gold = _pairs(predictions), _pairs(references)
        by_source: dict[str, list[set, set]] = defaultdict(lambda: [set(), set()])
        for src, trg in pred:
            by_source[src][0].add(trg)
        for src, trg in gold:
            by_source[src][1].add(trg)
        rows = [(len(p & g), len(p), len(g)) for _, (p, g) in sorted(by_source.items())]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), 3)

    def from_sums(self, sums):
        sums = np.asarray(sums, dtype=np.float64)
        # tp = 0 gives P = R = F1 = 0, as XTREME reports it
        return prf_from_counts(sums[..., 0], sums[..., 1], sums[..., 2])


def _pairs(pairs) -> set[tuple[str, str]]:
    out = set()
    for pair in pairs:
        src, trg = pair
        out.add((str(src), str(trg)))
    return out

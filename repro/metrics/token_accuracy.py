"""Token accuracy for tagging tasks scored per token rather than per chunk (CCG supertagging)."""
from __future__ import annotations

import numpy as np

from repro.metrics.base import Metric, check_same_length


class TokenAccuracy(Metric):
    """Share of words whose predicted tag equals the gold tag; the unit is the sentence.

    Supertagging is scored per word (Clark & Curran 2007), not by chunks: a CCG category
    such as ``S[dcl]\\NP`` has no B-/I- structure for chunk F1 to read.
    """

    stat_names = ("correct", "tokens")
    metric_names = ("accuracy",)

    def unit_stats(self, *, predictions, references, lang=None):
        check_same_length(predictions, references)
        rows = []
        for s, (predicted, gold) in enumerate(zip(predictions, references)):
            if len(predicted) != len(gold):
                raise ValueError(f"sentence {s}: {len(predicted)} predicted tags for {len(gold)} words; "
                                 "predict exactly one tag per word")
            rows.append((sum(p == g for p, g in zip(predicted, gold)), len(gold)))
        return np.asarray(rows, dtype=np.float64).reshape(-1, 2)

    def from_sums(self, sums):
        sums = np.asarray(sums, dtype=np.float64)
        acc = np.where(sums[..., 1] > 0, 100.0 * sums[..., 0] / np.maximum(sums[..., 1], 1), 0.0)
        return {"accuracy": acc}

"""The metric interface: per-unit sufficient statistics and a corpus value from their sums.

Every corpus-level metric of XTREME is a smooth function of sums over units
(sentences, questions, examples).  A metric therefore returns one row of
sufficient statistics per unit; the corpus value is `from_sums(stats.sum(0))`,
and a bootstrap replicate is `from_sums(weights @ stats)`.  Values are on the
XTREME evaluator's 0-100 scale and carry its names (accuracy, f1, ...).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import cast

import numpy as np


class Metric(ABC):
    """A metric expressed through per-unit sufficient statistics."""

    #: names of the columns returned by `unit_stats`
    stat_names: tuple[str, ...]
    #: names of the values returned by `from_sums`, as the XTREME evaluator prints them
    metric_names: tuple[str, ...]
    #: the function of XTREME's evaluator (google-research/xtreme evaluate.py) this metric reproduces
    reference: str = ""
    #: what the value cannot tell a reader (for the metric cards, `repro.metric_cards`)
    limitation: str = ""

    @abstractmethod
    def unit_stats(self, *, predictions: Sequence, references: Sequence, lang: str | None = None) -> np.ndarray:
        """Return a float64 array of shape (n_units, len(stat_names))."""

    @abstractmethod
    def from_sums(self, sums: np.ndarray) -> dict[str, np.ndarray]:
        """Metric values from summed statistics; vectorised over leading axes of `sums`."""

    @property
    def score_names(self) -> tuple[str, ...]:
        """The values whose mean is XTREME's per-language task score (the first metric by default)."""
        return self.metric_names[:1]

    def score(self, sums: np.ndarray) -> np.ndarray:
        """The per-language task score that XTREME averages: the mean of `score_names`."""
        values = self.from_sums(sums)
        if len(self.score_names) == 1:
            return values[self.score_names[0]]
        return cast(np.ndarray, sum(values[n] for n in self.score_names) / len(self.score_names))

    def compute(self, *, predictions: Sequence, references: Sequence, lang: str | None = None) -> dict[str, float]:
        """Corpus-level values for one language, as plain floats."""
        stats = self.unit_stats(predictions=predictions, references=references, lang=lang)
        return {k: float(v) for k, v in self.from_sums(stats.sum(axis=0)).items()}


def check_same_length(predictions: Sequence, references: Sequence) -> None:
    """Raise ValueError when predictions and references differ in number of units."""
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} predictions for {len(references)} references: "
            "every reference unit needs exactly one prediction, in the same order"
        )


def prf_from_counts(tp, n_pred, n_gold) -> dict[str, np.ndarray]:
    """F1, precision, recall (x100) from true positives and set sizes; 0 where undefined."""
    precision = np.where(n_pred > 0, tp / np.maximum(n_pred, 1), 0.0)
    recall = np.where(n_gold > 0, tp / np.maximum(n_gold, 1), 0.0)
    total = precision + recall
    f1 = np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1), 0.0)
    return {"f1": 100 * f1, "precision": 100 * precision, "recall": 100 * recall}


class Accuracy(Metric):
    """Share of exact matches (labels compared as stripped strings, like XTREME's evaluator)."""

    stat_names = ("correct", "count")
    metric_names = ("accuracy",)
    reference = "`accuracy` in XTREME's evaluate.py: the share of predictions equal to the gold label, as strings"
    limitation = ("Every example weighs the same and every error costs the same: with unbalanced labels a "
                  "majority-class predictor scores high, and the value says nothing about calibration.")

    def unit_stats(self, *, predictions, references, lang=None):
        check_same_length(predictions, references)
        correct = [str(p).strip() == str(r).strip() for p, r in zip(predictions, references)]
        return np.column_stack([np.asarray(correct, dtype=np.float64), np.ones(len(correct))])

    def from_sums(self, sums):
        sums = np.asarray(sums, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            acc = np.where(sums[..., 1] > 0, 100.0 * sums[..., 0] / np.maximum(sums[..., 1], 1), 0.0)
        return {"accuracy": acc}

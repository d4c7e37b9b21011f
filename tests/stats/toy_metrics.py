"""Small metrics for the statistics tests (the engine only calls metric.score)."""
import numpy as np

from repro.metrics.base import Metric


class CorpusF1(Metric):
    """Micro F1 from per-unit (tp, n_pred, n_gold): 100 * 2 tp / (pred + gold)."""

    stat_names = ("tp", "n_pred", "n_gold")
    metric_names = ("f1",)

    def unit_stats(self, *, predictions, references, lang=None):
        raise NotImplementedError

    def from_sums(self, sums):
        sums = np.asarray(sums, dtype=np.float64)
        den = sums[..., 1] + sums[..., 2]
        return {"f1": np.where(den > 0, 200.0 * sums[..., 0] / np.where(den > 0, den, 1), 0.0)}


class QA(Metric):
    """SQuAD-style per-question means from (em, f1, count); the XTREME score is (EM + F1) / 2."""

    stat_names = ("em", "f1", "count")
    metric_names = ("f1", "exact_match")

    def unit_stats(self, *, predictions, references, lang=None):
        raise NotImplementedError

    def from_sums(self, sums):
        sums = np.asarray(sums, dtype=np.float64)
        return {"f1": 100 * sums[..., 1] / sums[..., 2], "exact_match": 100 * sums[..., 0] / sums[..., 2]}

    def score(self, sums):
        v = self.from_sums(sums)
        return (v["f1"] + v["exact_match"]) / 2

"""Metrics as per-unit sufficient statistics (see `base.Metric`).

One implementation per metric serves the engine's evaluation, the bootstrap
(which recomputes the corpus value from resampled sums) and `repro score`.
`metric_for(task)` gives the metric XTREME's evaluator applies to each target task.
"""
from repro.metrics.base import Accuracy, Metric
from repro.metrics.bucc import BuccF1
from repro.metrics.chunk_f1 import ChunkF1
from repro.metrics.qa import MlqaEmF1, SquadEmF1
from repro.metrics.token_accuracy import TokenAccuracy

#: XTREME task name -> its metric (source: `evaluate.py` of google-research/xtreme)
METRICS_BY_TASK: dict[str, Metric] = {
    "xnli": Accuracy(),
    "pawsx": Accuracy(),
    "tatoeba": Accuracy(),
    "udpos": ChunkF1(),
    "panx": ChunkF1(),
    "xquad": SquadEmF1(),
    "tydiqa": SquadEmF1(),
    "mlqa": MlqaEmF1(),
    "bucc2018": BuccF1(),
}


class UnknownTaskError(KeyError):
    """A task name that `METRICS_BY_TASK` does not know."""

    def __str__(self) -> str:
        return str(self.args[0])


def metric_for(task: str) -> Metric:
    """The metric of an XTREME target task; `UnknownTaskError` listing the known tasks otherwise."""
    try:
        return METRICS_BY_TASK[task]
    except KeyError:
        raise UnknownTaskError(f"unknown task {task!r}; known tasks: {', '.join(sorted(METRICS_BY_TASK))}") from None


__all__ = ["Accuracy", "BuccF1", "ChunkF1", "METRICS_BY_TASK", "Metric", "MlqaEmF1", "SquadEmF1", "TokenAccuracy", "UnknownTaskError", "metric_for"]

"""Metrics as per-unit sufficient statistics (see `base.Metric`).

One implementation per metric serves the engine's evaluation, the bootstrap
(which recomputes the corpus value from resampled sums) and `repro score`.
Each task's registry entry (`repro.tasks`, `Task.metric`) names the metric XTREME's
evaluator applies to it; `repro.scoring.metric_for(task)` looks it up.
"""
from repro.metrics.base import Accuracy, Metric
from repro.metrics.bucc import BuccF1
from repro.metrics.chunk_f1 import ChunkF1
from repro.metrics.qa import MlqaEmF1, SquadEmF1
from repro.metrics.token_accuracy import TokenAccuracy

__all__ = ["Accuracy", "BuccF1", "ChunkF1", "Metric", "MlqaEmF1", "SquadEmF1", "TokenAccuracy"]

"""Metrics as per-unit sufficient statistics (see `base.Metric`).

One implementation per metric serves the engine's evaluation, the bootstrap
(which recomputes the corpus value from resampled sums) and `repro score`.
"""
from repro.metrics.base import Accuracy, Metric

__all__ = ["Accuracy", "Metric"]

"""XTREME mlqa metric as an `evaluate` module: `evaluate.load(repro.evaluate_metrics.metric_path("mlqa"))`."""
import evaluate

from repro.evaluate_metrics import compute, description, features


class Mlqa(evaluate.Metric):
    """The mlqa metric of XTREME's evaluator, from `repro.metrics`."""

    def _info(self):
        return evaluate.MetricInfo(description=description("mlqa"), citation="", features=features("mlqa"),
                                   reference_urls=["https://github.com/google-research/xtreme"])

    def _compute(self, predictions, references, lang=None):
        return compute("mlqa", predictions, references, lang)

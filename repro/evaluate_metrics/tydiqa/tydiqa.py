"""XTREME tydiqa metric as an `evaluate` module: `evaluate.load(repro.evaluate_metrics.metric_path("tydiqa"))`."""
import evaluate

from repro.evaluate_metrics import compute, description, features


class Tydiqa(evaluate.Metric):
    """The tydiqa metric of XTREME's evaluator, from `repro.metrics`."""

    def _info(self):
        return evaluate.MetricInfo(description=description("tydiqa"), citation="", features=features("tydiqa"),
                                   reference_urls=["https://github.com/google-research/xtreme"])

    def _compute(self, predictions, references, lang=None):
        return compute("tydiqa", predictions, references, lang)

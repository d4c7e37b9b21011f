"""XTREME udpos metric as an `evaluate` module: `evaluate.load(repro.evaluate_metrics.metric_path("udpos"))`."""
import evaluate

from repro.evaluate_metrics import compute, description, features


class Udpos(evaluate.Metric):
    """The udpos metric of XTREME's evaluator, from `repro.metrics`."""

    def _info(self):
        return evaluate.MetricInfo(description=description("udpos"), citation="", features=features("udpos"),
                                   reference_urls=["https://github.com/google-research/xtreme"])

    def _compute(self, predictions, references, lang=None):
        return compute("udpos", predictions, references, lang)

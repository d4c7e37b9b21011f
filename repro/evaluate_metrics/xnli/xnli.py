"""XTREME xnli metric as an `evaluate` module: `evaluate.load(repro.evaluate_metrics.metric_path("xnli"))`."""
import evaluate

from repro.evaluate_metrics import compute, description, features


class Xnli(evaluate.Metric):
    """The xnli metric of XTREME's evaluator, from `repro.metrics`."""

    def _info(self):
        return evaluate.MetricInfo(description=description("xnli"), citation="", features=features("xnli"),
                                   reference_urls=["https://github.com/google-research/xtreme"])

    def _compute(self, predictions, references, lang=None):
        return compute("xnli", predictions, references, lang)

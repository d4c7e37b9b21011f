"""XTREME pawsx metric as an `evaluate` module: `evaluate.load(repro.evaluate_metrics.metric_path("pawsx"))`."""
import evaluate

from repro.evaluate_metrics import compute, description, features


class Pawsx(evaluate.Metric):
    """The pawsx metric of XTREME's evaluator, from `repro.metrics`."""

    def _info(self):
        return evaluate.MetricInfo(description=description("pawsx"), citation="", features=features("pawsx"),
                                   reference_urls=["https://github.com/google-research/xtreme"])

    def _compute(self, predictions, references, lang=None):
        return compute("pawsx", predictions, references, lang)

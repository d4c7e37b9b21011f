"""XTREME panx metric as an `evaluate` module: `evaluate.load(repro.evaluate_metrics.metric_path("panx"))`."""
import evaluate

from repro.evaluate_metrics import compute, description, features


class Panx(evaluate.Metric):
    """The panx metric of XTREME's evaluator, from `repro.metrics`."""

    def _info(self):
        return evaluate.MetricInfo(description=description("panx"), citation="", features=features("panx"),
                                   reference_urls=["https://github.com/google-research/xtreme"])

    def _compute(self, predictions, references, lang=None):
        return compute("panx", predictions, references, lang)

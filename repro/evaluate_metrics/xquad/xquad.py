"""XTREME xquad metric as an `evaluate` module: `evaluate.load(repro.evaluate_metrics.metric_path("xquad"))`."""
import evaluate

from repro.evaluate_metrics import compute, description, features


class Xquad(evaluate.Metric):
    """The xquad metric of XTREME's evaluator, from `repro.metrics`."""

    def _info(self):
        return evaluate.MetricInfo(description=description("xquad"), citation="", features=features("xquad"),
                                   reference_urls=["https://github.com/google-research/xtreme"])

    def _compute(self, predictions, references, lang=None):
        return compute("xquad", predictions, references, lang)

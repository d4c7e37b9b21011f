"""XTREME tatoeba metric as an `evaluate` module: `evaluate.load(repro.evaluate_metrics.metric_path("tatoeba"))`."""
import evaluate

from repro.evaluate_metrics import compute, description, features


class Tatoeba(evaluate.Metric):
    """The tatoeba metric of XTREME's evaluator, from `repro.metrics`."""

    def _info(self):
        return evaluate.MetricInfo(description=description("tatoeba"), citation="", features=features("tatoeba"),
                                   reference_urls=["https://github.com/google-research/xtreme"])

    def _compute(self, predictions, references, lang=None):
        return compute("tatoeba", predictions, references, lang)

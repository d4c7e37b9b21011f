"""XTREME bucc2018 metric as an `evaluate` module: `evaluate.load(repro.evaluate_metrics.metric_path("bucc2018"))`."""
import evaluate

from repro.evaluate_metrics import compute, description, features


class Bucc2018(evaluate.Metric):
    """The bucc2018 metric of XTREME's evaluator, from `repro.metrics`."""

    def _info(self):
        return evaluate.MetricInfo(description=description("bucc2018"), citation="", features=features("bucc2018"),
                                   reference_urls=["https://github.com/google-research/xtreme"])

    def _compute(self, predictions, references, lang=None):
        return compute("bucc2018", predictions, references, lang)

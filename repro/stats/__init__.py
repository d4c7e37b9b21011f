"""Statistics for claim verdicts: paired bootstrap over examples, seed variance components, verdicts, power.

See docs/statistics.md for the method.
"""
from repro.stats.best import BestResult, compare_with_best
from repro.stats.components import ESTIMATOR, VarianceComponents
from repro.stats.data import CellOutcomes, RunOutcomes
from repro.stats.intervals import DifferenceResult, aggregate_score, difference_from_constant, paired_difference
from repro.stats.verdicts import (Outcome, Verdict, beats_rule, improves_rule, judge_all, judge_at_least,
                                  judge_beats, judge_best, judge_improves, judge_magnitude, judge_no_benefit,
                                  judge_point, magnitude_rule, no_benefit_rule, seeds_needed)

__all__ = [
    "BestResult", "CellOutcomes", "DifferenceResult", "ESTIMATOR", "Outcome", "RunOutcomes", "VarianceComponents",
    "Verdict",
    "aggregate_score", "beats_rule", "compare_with_best", "difference_from_constant", "improves_rule",
    "magnitude_rule", "no_benefit_rule", "judge_all", "judge_at_least", "judge_beats", "judge_best", "judge_improves",
    "judge_magnitude", "judge_no_benefit", "judge_point", "paired_difference", "seeds_needed",
]

"""Statistics for claim verdicts: paired bootstrap over examples and seeds, verdict rules."""
from repro.stats import verdicts
from repro.stats.bootstrap import CellOutcomes, DifferenceResult, RunOutcomes, aggregate_score, paired_difference
from repro.stats.verdicts import Outcome, Verdict

__all__ = ["CellOutcomes", "DifferenceResult", "Outcome", "RunOutcomes", "Verdict", "aggregate_score",
           "paired_difference", "verdicts"]

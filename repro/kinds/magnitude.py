"""`magnitude`: "improves by about X": the 95% interval above 0 and the 90% interval inside X ± margin."""
from repro import stats as V
from repro.kinds.base import DifferenceKind

KIND = DifferenceKind("magnitude", ("expected", "margin"), V.judge_magnitude, V.magnitude_rule, ("expected", "margin"))

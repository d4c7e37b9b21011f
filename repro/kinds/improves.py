"""`improves`: a gain above `threshold` (0: any gain): the 95% interval against it."""
from repro import stats as V
from repro.kinds.base import DifferenceKind, number

KIND = DifferenceKind("improves", ("threshold",), V.judge_improves, V.improves_rule, ("threshold",),
                      lambda c: f"gain above {number(c.get('threshold'), False)}", "above_threshold")

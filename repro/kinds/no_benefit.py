"""`no_benefit`: no gain above `margin` (non-superiority; with `two_sided`, equivalence either way)."""
from repro import stats as V
from repro.kinds.base import DifferenceKind, number

KIND = DifferenceKind("no_benefit", ("margin",), V.judge_no_benefit, V.no_benefit_rule, ("margin", "two_sided"),
                      lambda c: f"no gain above {number(c.get('margin'), False)}"
                      + (" (either way)" if c.get("two_sided") else ""), "below_margin")

"""`beats`: better than the baseline, refuted when worse or practically equivalent (± `trivial_margin`)."""
from repro import stats as V
from repro.kinds.base import DifferenceKind, number

KIND = DifferenceKind("beats", ("trivial_margin",), V.judge_beats, V.beats_rule, ("trivial_margin",),
                      lambda c: f"better than baseline (trivial margin {number(c.get('trivial_margin'), False)})",
                      "above_zero")

"""The type of every claim-file field, checked before a claim is built: one line per bad field, naming
the file, the line, the field and the fix (`repro.claims.Claim.from_file` raises them together).

TOML gives each value a type; a claim file whose `margin = "1.5"` (a string), `expected = true`,
`targets = 5`, `configurations = "squad"` or `[[]]`, or a negative margin would otherwise fail
late, in judging after the runs are computed, or be judged wrongly.
"""
from __future__ import annotations

import json
import math

TEXT = ("id", "quote", "source", "kind", "margin_reason", "split", "select_split", "aggregate", "check",
        "comparator", "completion", "note")
# number fields: (may it be negative, an example for the fix)
NUMBERS = {"expected": (True, "8.2"), "margin": (False, "1.5"), "threshold": (True, "0.0"),
           "trivial_margin": (False, "0.5")}
COUNTS = {"seed_claim": 0, "at_least": 0, "seeds": 1}  # whole numbers, with their least value
SMOKE_TYPES = ("configurations", "baselines", "at_least", "seeds", "split", "reason")
#: every field a claim file of any kind may set (repro.claims.Claim's); a kind's own fields take other names
COMMON_FIELDS = (*TEXT, *NUMBERS, "seed_claim", "at_least", "targets", "configurations", "baseline", "baselines",
                 "two_sided", "value", "smoke")


def shown(value) -> str:
    """`value` as TOML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return json.dumps(value) if isinstance(value, str) else repr(value)
    if isinstance(value, dict):
        return "a table"
    return json.dumps(value, default=str)


def _kind(value) -> str:
    for kind, name in ((bool, "a boolean"), (str, "a string"), (int, "an integer"), (float, "a number"),
                       (list, "a list"), (dict, "a table")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _task_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def field_problem(name: str, value, table: str | None = None) -> str | None:
    """What is wrong with the type or range of field `name` (in [table]), with the fix; None if fine."""
    given = f"{name} = {shown(value)} is {_kind(value)}"
    if name in TEXT or (table == "smoke" and name in ("split", "reason")):
        return None if isinstance(value, str) else f"{given}; write text in quotes, e.g. {name} = \"...\""
    if name in NUMBERS:
        negative, example = NUMBERS[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{given}; write a number without quotes, e.g. {name} = {example}"
        if not math.isfinite(value):
            return f"{name} = {shown(value)} is not a finite number; write one, e.g. {name} = {example}"
        if value < 0 and not negative:
            return f"{name} = {shown(value)} is negative; it is a width in points: write a number >= 0"
        return None
    if name in COUNTS:
        least = COUNTS[name]
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{given}; write a whole number without quotes, e.g. {name} = {max(least, 1)}"
        return None if value >= least else f"{name} = {value} is below {least}; write a whole number >= {least}"
    if name == "two_sided":
        return None if isinstance(value, bool) else f"{given}; write true or false"
    if isinstance(value, list):  # a list, but not of the right things
        given = f"{name} = {shown(value)} is " + ("an empty list" if not value else "not a list of task names"
                                                  if name in ("targets", "baseline") else "not a list of lists "
                                                  "of task names")
    if name == "targets":
        if isinstance(value, str) or (_task_list(value) and value):
            return None
        return f"{given}; write a list of target tasks, e.g. targets = [\"xnli\"], or a named set: targets = \"xtreme\""
    if name in ("configurations", "baselines"):
        if not isinstance(value, list) or not all(_task_list(c) for c in value):
            return (f"{given}; write a list of configurations, each a list of intermediate tasks, "
                    f"e.g. {name} = [[\"squad\"]]")
        if name == "configurations" and any(not c for c in value):
            return (f"configurations = {shown(value)} holds an empty configuration, which is the baseline "
                    "(no intermediate training); name at least one task in each, e.g. [[\"squad\"]]")
        return None
    if name == "baseline":
        return None if _task_list(value) else (f"{given}; write a list of intermediate tasks, "
                                               "e.g. baseline = [] (no intermediate training) or [\"mnli\"]")
    if name == "smoke":
        return None if isinstance(value, dict) else f"{given}; write a [smoke] table with a reason"
    return None  # `value` (setup claims) takes any type


def type_problems(raw: dict, at) -> list[str]:
    """One line per badly typed field of a parsed claim file (its [smoke] table too), each naming where
    it is (`at(field, table)`: "path, line N") and the fix."""
    lines = [f"{at(name)}: {problem}" for name, value in raw.items()
             if (problem := field_problem(name, value)) is not None]
    smoke = raw.get("smoke")
    if isinstance(smoke, dict):
        lines += [f"{at(name, 'smoke')}: {problem}" for name, value in smoke.items()
                  if name in SMOKE_TYPES and (problem := field_problem(name, value, "smoke")) is not None]
    return lines

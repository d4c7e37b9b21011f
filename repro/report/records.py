"""Claim records (repro.report.schema) as the report shows them: helpers that format their fields.

Records may come from other sources (e.g. "paper-v1") and lack intervals or
fields; every helper here tolerates a missing value and shows it as "—".
"""
from __future__ import annotations

import re

from repro.tasks import TASKS

DASH = "—"


def num(value, signed: bool = True, digits: int = 2) -> str:
    """A number as text, "—" when absent."""
    if value is None:
        return DASH
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def interval(ci) -> str:
    """An interval as "[lo, hi]", "—" when absent or incomplete."""
    if not ci or len(ci) != 2 or ci[0] is None or ci[1] is None:
        return DASH
    return f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"


def measured(v: dict) -> str:
    """The measured value with its intervals, or labelled as a point estimate when it has none."""
    if v.get("estimate") is None:
        return DASH
    if interval(v.get("ci95")) == DASH and interval(v.get("ci90")) == DASH:
        return f"{num(v['estimate'])} (point estimate, no interval)"
    return f"{num(v['estimate'])}, 90% CI {interval(v.get('ci90'))}, 95% CI {interval(v.get('ci95'))}"


def task_label(name: str) -> str | None:
    """The paper's name of a task a configuration trains on (`Task.paper_label`; targets keep their ids)."""
    task = TASKS.get(name)
    return task.paper_label if task is not None and not task.is_target else None


def config_label(config: str) -> str:
    """A configuration ("squad+mlm", "mnli_translated", all nine tasks) in the paper's words."""
    tasks = config.split("+")
    with_mlm = "mlm" in tasks and len(tasks) > 1
    tasks = [t for t in tasks if t != "mlm"] if with_mlm else tasks
    if len(tasks) > 2:
        head = f"Multi-task ({len(tasks)} tasks)"
    else:
        head = " + ".join((task_label(t.removesuffix("_translated")) or t)
                          + (" (translated)" if t.endswith("_translated") else "") for t in tasks)
    return head + (" + MLM" if with_mlm else "")


def readable(text: str) -> str:
    """`text` with every configuration in it written by `config_label` ("squad+mlm vs squad" ->
    "SQuAD + MLM vs SQuAD")."""
    def one(match):
        word = match.group(0)
        known = "+" in word or task_label(word) is not None or word.endswith("_translated")
        return config_label(word) if known else word
    return re.sub(r"[a-z][a-z0-9_]*(?:\+[a-z][a-z0-9_]*)*", one, text)


def sorted_records(records: list[dict]) -> list[dict]:
    """Records in claim-id order."""
    return sorted(records, key=lambda r: r["claim"]["id"])


def claim_parts(records: list[dict]) -> list[dict]:
    """Every claim part as a flat row: one per comparison (or the claim itself when it has none).

    Keys: label, claim, configuration, estimate, ci90, ci95, expected, margin, outcome, source.
    """
    rows = []
    for r in sorted_records(records):
        c, comps = r["claim"], r.get("comparisons") or []
        items = [(comp.get("configuration"), comp.get("result") or {}, comp.get("verdict") or {})
                 for comp in comps] or [(None, r.get("verdict") or {}, r.get("verdict") or {})]
        for config, res, ver in items:
            label = c["id"] if config is None or len(comps) == 1 else f"{c['id']} · {readable(config)}"
            rows.append({"label": label, "claim": c["id"], "configuration": config,
                         "estimate": res.get("estimate"), "ci90": res.get("ci90"), "ci95": res.get("ci95"),
                         "expected": c.get("expected"), "margin": c.get("margin"), "kind": c.get("kind"),
                         "two_sided": c.get("two_sided", False), "threshold": c.get("threshold"),
                         "outcome": ver.get("outcome") or r["verdict"].get("outcome"),
                         "source": r.get("source", "engine"),
                         "early": bool((r.get("sequential") or {}).get("decided_early"))})
    return rows


def verdict_table(records: list[dict]) -> list[str]:
    """The terminal summary: one line per claim part with its kind, profile, estimate, 95% interval
    (or "point, no CI"), and verdict (with the seeds that would decide an inconclusive one)."""
    lines = [f"{'claim part':<24} {'kind':<15} {'from':<9} {'estimate':>9} {'95% CI':>18}  verdict"]
    for r in sorted_records(records):
        v, c = r["verdict"], r["claim"]
        ci = interval(v.get("ci95"))
        if v.get("estimate") is not None and ci == DASH:
            ci = "point, no CI"
        outcome = v.get("outcome", DASH)
        if outcome == "skipped":
            outcome = f"skipped: {v.get('reason', '')}"
        elif v.get("seeds_needed") and outcome == "inconclusive":
            outcome += f" (about {v['seeds_needed']} seeds would decide it)"
        lines.append(f"{c['id']:<24} {c.get('kind', DASH):<15} {r.get('profile', DASH):<9} "
                     f"{num(v.get('estimate')):>9} {ci:>18}  {outcome}")
    return lines

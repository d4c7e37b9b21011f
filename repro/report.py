"""The verification report: Markdown and JSON rendered from judged claims alone.

`outcome_record` turns a ClaimOutcome into a plain JSON record; everything
else here renders records, so a report can be rebuilt without any training.
"""
from __future__ import annotations

import dataclasses
import enum
import json
import time
from pathlib import Path

import numpy as np

from repro.provenance import environment

NO_EVIDENCE_BANNER = ("> **Smoke profile: no evidence.** These verdicts come from a tiny randomly initialised "
                      "model on synthetic data. They test the machinery, not the paper.")


def _jsonable(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "path"}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def outcome_record(outcome) -> dict:
    """A JSON-ready record of a judged claim (claim, verdict, comparisons, runs, profile)."""
    return _jsonable(outcome)


def _interval(ci) -> str:
    return f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"


def verdict_table(records: list[dict]) -> list[str]:
    """One line per claim part: id, estimate, 95% interval, verdict."""
    lines = [f"{'claim':<28} {'profile':<7} {'estimate':>9} {'95% CI':>18}  verdict"]
    for r in sorted(records, key=lambda r: r["claim"]["id"]):
        v = r["verdict"]
        lines.append(f"{r['claim']['id']:<28} {r['profile']:<7} {v['estimate']:>+9.2f} "
                     f"{_interval(v['ci95']):>18}  {v['outcome']}")
    return lines


def markdown(records: list[dict]) -> str:
    """The report as Markdown."""
    out = ["# Verification report: Phang et al. (2020), English intermediate-task training on XTREME", ""]
    if any(not r["is_evidence"] for r in records):
        out += [NO_EVIDENCE_BANNER, ""]
    out += ["| claim | kind | measured Δ (points) | 95% CI | verdict |", "|---|---|---|---|---|"]
    for r in sorted(records, key=lambda r: r["claim"]["id"]):
        v = r["verdict"]
        out.append(f"| {r['claim']['id']} | {r['claim']['kind']} | {v['estimate']:+.2f} | "
                   f"{_interval(v['ci95'])} | **{v['outcome']}** |")
    for r in sorted(records, key=lambda r: r["claim"]["id"]):
        c, v = r["claim"], r["verdict"]
        out += ["", f"## {c['id']}", "", f"> {c['quote']}", "", f"Source: {c['source']}", "",
                f"- Kind: {c['kind']}; targets: {', '.join(c['targets'])}; "
                f"baseline: {'+'.join(c['baseline']) or 'XLM-R (no intermediate training)'}",
                f"- Expected (paper): {c['expected']:+.2f}; margin {c['margin']:.2f} — {c['margin_reason']}",
                f"- Measured: {v['estimate']:+.2f}, 90% CI {_interval(v['ci90'])}, 95% CI {_interval(v['ci95'])}",
                f"- Verdict: **{v['outcome']}** — {v['reason']}"]
        if v.get("seeds_needed"):
            out.append(f"- Seeds that would likely decide it: {v['seeds_needed']}")
        if c.get("note"):
            out.append(f"- Note: {c['note']}")
        out += ["", "| configuration | Δ | 95% CI | verdict |", "|---|---|---|---|"]
        for comp in r["comparisons"]:
            res, cv = comp["result"], comp["verdict"]
            out.append(f"| {comp['configuration']} | {res['estimate']:+.2f} | {_interval(res['ci95'])} | "
                       f"{cv['outcome']} |")
        out += ["", f"Profile `{r['profile']}`, seeds {', '.join(map(str, r['seeds']))}. Runs:", ""]
        out += [f"- `{name}`" for name in r["runs"]]
    return "\n".join(out) + "\n"


def write_report(records: list[dict], directory: Path) -> list[Path]:
    """Write `report.md` and `report.json` into `directory`; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    md, js = directory / "report.md", directory / "report.json"
    md.write_text(markdown(records), encoding="utf-8")
    payload = {"generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "environment": environment(),
               "claims": sorted(records, key=lambda r: r["claim"]["id"])}
    js.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    return [md, js]

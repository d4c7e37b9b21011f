"""Compare two report.json files: which claim verdicts were added, removed or changed."""
from __future__ import annotations

from pathlib import Path

from repro.report.records import num
from repro.report.schema import read_report


def _claims(payload: dict) -> dict[str, dict]:
    return {r["claim"]["id"]: r for r in payload.get("claims", [])}


def compare(old: dict, new: dict) -> dict[str, list]:
    """{"added": [ids], "removed": [ids], "changed": [(id, old outcome, new outcome, old est., new est.)],
    "same": [ids]} between two report payloads; a claim changes when its outcome does."""
    a, b = _claims(old), _claims(new)
    result: dict[str, list] = {"added": sorted(set(b) - set(a)), "removed": sorted(set(a) - set(b)), "changed": [],
                               "same": []}
    for cid in sorted(set(a) & set(b)):
        va, vb = a[cid]["verdict"], b[cid]["verdict"]
        if va.get("outcome") != vb.get("outcome"):
            result["changed"].append((cid, va.get("outcome"), vb.get("outcome"), va.get("estimate"), vb.get("estimate")))
        else:
            result["same"].append(cid)
    return result


def _origin(payload: dict) -> str:
    """Where a report's verdicts come from: its profiles and result sources."""
    records = payload.get("claims", [])
    profiles = sorted({r.get("profile") for r in records if r.get("profile")})
    sources = sorted({r.get("source", "engine") for r in records})
    return f"profile {', '.join(profiles) or '?'}, source {', '.join(sources) or '?'}"


def compare_lines(old: dict, new: dict) -> list[str]:
    """The comparison as printable lines, after a line naming each side's profile and source."""
    diff, b = compare(old, new), _claims(new)
    lines = [f"A: {_origin(old)}; B: {_origin(new)}"]
    if _origin(old) != _origin(new):
        lines[0] += " (different origins: changes may come from the origin, not the code)"
    lines += [f"changed {cid}: {o} -> {n} (estimate {num(eo)} -> {num(en)})"
              for cid, o, n, eo, en in diff["changed"]]
    lines += [f"added {cid}: {b[cid]['verdict'].get('outcome')} (estimate {num(b[cid]['verdict'].get('estimate'))})"
              for cid in diff["added"]]
    lines += [f"removed {cid}" for cid in diff["removed"]]
    lines.append(f"{len(diff['changed'])} changed, {len(diff['added'])} added, {len(diff['removed'])} removed, "
                 f"{len(diff['same'])} unchanged")
    return lines


def compare_files(old: Path, new: Path) -> list[str]:
    """`compare_lines` of two report.json files."""
    return compare_lines(read_report(old), read_report(new))

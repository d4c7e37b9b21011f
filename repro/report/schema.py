"""report.json: its typed, versioned schema, and the one place that writes and reads it.

A report payload is {schema_version, claims, tables, methods, table2_measured,
provenance, figures}; each claim record is `claim_record(outcome)` of a
`repro.judging.ClaimOutcome`, plus the `judged` stamp (repro.report.judged).
`check_report` and `check_record` raise ReportSchemaError naming the field,
the problem and the fix; `read_report` upgrades an older version on reading.

Version history: 1, records as a generic dump of ClaimOutcome; 2, every
comparison carries `seeds` (the seeds run for it, [] for a printed value) and
a record lists each run once.  Optional `sequential` (no new version: older readers ignore it): the look of
the sequential design a record was judged at (`repro.stats.sequential.look_at`).
"""
from __future__ import annotations

import dataclasses
import enum
import json
import math
from pathlib import Path
from typing import TypedDict

import numpy as np

from repro.errors import ReproError
from repro.results import ClaimOutcome

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
NoneType = type(None)
NUMBER = (int, float)

# field -> accepted JSON types; `required` fields must be present, the others are checked when present
REPORT_FIELDS = {"schema_version": (int,), "claims": (list,), "tables": (dict,), "methods": (list, NoneType),
                 "table2_measured": (dict,), "provenance": (dict,), "figures": (list,)}
RECORD_FIELDS = {"claim": (dict,), "verdict": (dict,), "comparisons": (list,), "runs": (list,), "seeds": (list,),
                 "profile": (str, NoneType), "is_evidence": (bool,), "source": (str,), "skipped": (str, NoneType)}
RECORD_OPTIONAL = {"judged": (dict,), "damaged_runs": (dict,),  # damaged_runs: {run: why}, set by the report
                   "sequential": (dict,)}  # the design's look judged at (repro.stats.sequential.look_at)
CLAIM_FIELDS = {"id": (str,), "kind": (str,)}
VERDICT_FIELDS = {"outcome": (str,)}
VERDICT_OPTIONAL = {"estimate": (*NUMBER, NoneType), "ci90": (list, NoneType), "ci95": (list, NoneType),
                    "reason": (str, NoneType), "seeds_needed": (int, NoneType)}
COMPARISON_FIELDS = {"configuration": (str,), "result": (dict, NoneType), "verdict": (dict,), "seeds": (list,)}


# The same fields as types (a test keeps them equal to the tables above): what code reading a record may
# rely on, checked by mypy; the tables check a record at run time.
class _VerdictOutcome(TypedDict):
    outcome: str                 # repro.stats.Outcome's value, or "skipped" / "damaged"


class VerdictRecord(_VerdictOutcome, total=False):
    estimate: float | None
    ci90: list | None
    ci95: list | None
    reason: str | None
    seeds_needed: int | None


class ComparisonRecord(TypedDict):
    configuration: str
    result: dict | None
    verdict: VerdictRecord
    seeds: list[int]


class _ClaimRecordFields(TypedDict):
    claim: dict
    verdict: VerdictRecord
    comparisons: list[ComparisonRecord]
    runs: list[str]
    seeds: list[int]
    profile: str | None
    is_evidence: bool
    source: str
    skipped: str | None


class ClaimRecord(_ClaimRecordFields, total=False):
    judged: dict                 # repro.report.judged.stamp
    damaged_runs: dict           # {run: why}, set by the report
    sequential: dict             # the sequential design's look the part was judged at (repro.rounds)


class ReportPayload(TypedDict):
    schema_version: int
    claims: list[ClaimRecord]
    tables: dict
    methods: list | None
    table2_measured: dict
    provenance: dict
    figures: list


class ReportSchemaError(ReproError, ValueError):
    """A report payload or claim record that does not follow the schema."""


def _jsonable(value):
    """Plain JSON of dataclasses (fields hidden from repr and `path` left out), enums, arrays, paths."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.repr and f.name != "path"}
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


def comparison_seeds(result, seeds) -> list[int]:
    """The seeds a comparison's result was computed from: the outcome's first seeds, as many as its side
    with the most (it says how many per side: a configuration a later look held has fewer), none for a
    printed point value."""
    if result is None or not hasattr(result, "n_seeds_a"):
        return []
    most = max(result.n_seeds_a, result.n_seeds_b)
    if most > len(seeds):
        raise ReportSchemaError(f"a comparison rests on {most} seeds but the outcome names "
                                f"{len(seeds)} ({list(seeds)}); build the outcome from the seeds it ran")
    return [int(s) for s in seeds[:most]]


def claim_record(outcome: ClaimOutcome) -> ClaimRecord:
    """The report.json record of a judged (or skipped) `ClaimOutcome`, checked against the schema."""
    # a kind's own fields (`Claim.options`) sit beside the common ones
    claim = {**_jsonable(outcome.claim), **_jsonable(dict(getattr(outcome.claim, "options", {})))}
    record: ClaimRecord = {"claim": claim, "verdict": _jsonable(outcome.verdict),
              "comparisons": [{"configuration": c.configuration, "result": _jsonable(c.result),
                               "verdict": _jsonable(c.verdict), "seeds": comparison_seeds(c.result, outcome.seeds)}
                              for c in outcome.comparisons],
              "runs": list(dict.fromkeys(outcome.runs)), "seeds": [int(s) for s in outcome.seeds],
              "profile": outcome.profile, "is_evidence": bool(outcome.is_evidence), "source": outcome.source,
              "skipped": outcome.skipped}
    if getattr(outcome, "sequential", None) is not None:  # additive: records without it read as before
        record["sequential"] = _jsonable(outcome.sequential)
    check_record(record)
    return record


def _check_fields(value, required: dict, optional: dict, where: str) -> None:
    if not isinstance(value, dict):
        raise ReportSchemaError(f"{where}: expected an object, found {type(value).__name__}")
    missing = [k for k in required if k not in value]
    if missing:
        raise ReportSchemaError(f"{where}: missing field(s) {', '.join(missing)}; rebuild it with "
                                "repro.report.schema.claim_record or `repro report`")
    for key, types in {**required, **optional}.items():
        if key in value and (not isinstance(value[key], types) or (bool not in types and isinstance(value[key], bool))):
            names = " or ".join("null" if t is NoneType else t.__name__ for t in types)
            raise ReportSchemaError(f"{where}.{key}: expected {names}, found {type(value[key]).__name__}")


def check_record(record, where: str = "claim record") -> None:
    """ReportSchemaError unless `record` is a claim record of the current schema."""
    _check_fields(record, RECORD_FIELDS, RECORD_OPTIONAL, where)
    cid = record["claim"].get("id", "?")
    where = f"{where} {cid}"
    _check_fields(record["claim"], CLAIM_FIELDS, {}, f"{where}.claim")
    _check_fields(record["verdict"], VERDICT_FIELDS, VERDICT_OPTIONAL, f"{where}.verdict")
    for i, comp in enumerate(record["comparisons"]):
        _check_fields(comp, COMPARISON_FIELDS, {}, f"{where}.comparisons[{i}]")
        _check_fields(comp["verdict"], VERDICT_FIELDS, VERDICT_OPTIONAL, f"{where}.comparisons[{i}].verdict")
        if not all(isinstance(s, int) for s in comp["seeds"]):
            raise ReportSchemaError(f"{where}.comparisons[{i}].seeds: expected a list of integer seeds")
    if len(set(record["runs"])) != len(record["runs"]) or not all(isinstance(n, str) for n in record["runs"]):
        raise ReportSchemaError(f"{where}.runs: expected run folder names, each listed once")
    if not all(isinstance(s, int) for s in record["seeds"]):
        raise ReportSchemaError(f"{where}.seeds: expected a list of integer seeds")


def check_report(payload) -> None:
    """ReportSchemaError unless `payload` is a report.json payload of the current schema."""
    _check_fields(payload, REPORT_FIELDS, {}, "report")
    if payload["schema_version"] != SCHEMA_VERSION:
        raise ReportSchemaError(f"report: schema_version {payload['schema_version']}, expected {SCHEMA_VERSION}; "
                                "read it with repro.report.schema.read_report, which upgrades older versions")
    for i, record in enumerate(payload["claims"]):
        check_record(record, f"report.claims[{i}]")


def upgrade(payload: dict) -> dict:
    """A payload of any readable version as the current one (checked); ReportSchemaError otherwise."""
    if not isinstance(payload, dict):
        raise ReportSchemaError(f"report: expected an object, found {type(payload).__name__}")
    if "claims" not in payload:  # any JSON object would otherwise read as an empty report
        raise ReportSchemaError(f"report: this JSON object is not a report.json (it has no claims field; its "
                                f"fields: {', '.join(sorted(map(str, payload))[:8]) or 'none'}); give a report.json "
                                "written by pytest -m claims or `repro report`")
    version = payload.get("schema_version", 1)
    if version not in READABLE_VERSIONS:
        raise ReportSchemaError(f"report: schema_version {version!r} is not one this code reads "
                                f"({', '.join(map(str, READABLE_VERSIONS))}); rebuild it with `repro report`")
    if version == 1:  # comparisons gain their seeds: the record's, where the result was resampled
        found = payload.get("claims") or []
        if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
            raise ReportSchemaError("report.claims: expected a list of claim records; rebuild it with `repro report`")
        claims = []
        for record in found:
            record = dict(record)
            record["runs"] = list(dict.fromkeys(record.get("runs") or []))
            record["comparisons"] = [{**c, "seeds": list(record.get("seeds") or [])
                                      if "n_seeds_a" in (c.get("result") or {}) else []}
                                     for c in record.get("comparisons") or []]
            claims.append(record)
        payload = {"tables": {}, "methods": None, "table2_measured": {}, "provenance": {}, "figures": [],
                   **payload, "claims": claims, "schema_version": SCHEMA_VERSION}
    check_report(payload)
    return payload


def mark_damaged(records: list[dict], damaged: dict[str, str]) -> list[dict]:
    """`records` with `damaged_runs` ({run: why}) on each that lists a run of `damaged`."""
    out = []
    for record in records:
        hit = {name: damaged[name] for name in record["runs"] if name in damaged}
        rest = {k: v for k, v in record.items() if k != "damaged_runs"}
        out.append({**rest, "damaged_runs": hit} if hit else rest)
    return out


def report_payload(records: list[dict], *, tables: dict, methods, table2_measured: dict, provenance: dict,
                   figures: list[str]) -> dict:
    """The report.json payload of the current version (checked)."""
    payload = {"schema_version": SCHEMA_VERSION, "claims": records, "tables": tables, "methods": methods,
               "table2_measured": table2_measured, "provenance": provenance, "figures": figures}
    check_report(payload)
    return payload


def dumps(payload: dict) -> str:
    """Stable JSON: sorted keys, fixed indentation, UTF-8 text, trailing newline; a value that is not a
    finite number (NaN, infinity) is written as null, never as the non-JSON `NaN`."""
    return json.dumps(finite(payload), sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def finite(value):
    """`value` with every float that is NaN or infinite replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def read_report(path) -> dict:
    """The payload of a report.json file, upgraded to the current version; ReportSchemaError (a
    ValueError) when it is not JSON or does not follow the schema."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ReportSchemaError(f"{path}: not a JSON report ({err}); rebuild it with `repro report`") from None
    try:
        return upgrade(payload)
    except ReportSchemaError as err:
        raise ReportSchemaError(f"{path}: {err}") from None

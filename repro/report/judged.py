"""When and where each claim part was judged, and a report that a selective run keeps whole.

Every claim record carries `judged`: when (UTC), on which profile, from which
source, on which run store and at which commit of this project it was judged.
`merge_records` lets a `pytest -m claims -k ...` run replace only its own parts
of an existing report.json and marks the parts it kept that were judged on
another profile, store or commit than this run.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from repro.errors import ReproError
from repro.report.schema import ReportSchemaError, claim_record, read_report
from repro.results import ClaimOutcome

#: the fields of `judged` that say whether two verdicts rest on the same runs and code
CONTEXT = ("profile", "store", "commit")


class ReportDirError(ReproError, ValueError):
    """A report location that cannot take the report (a file, or not writable)."""


def stamp(*, profile: str | None, source: str, store, commit: str | None, at: float | None = None) -> dict:
    """The `judged` entry of a record: time (ISO 8601, UTC), profile, source, store (absolute; None for a
    source that reads no store) and commit."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if at is None else at))
    return {"at": when, "profile": profile, "source": source,
            "store": None if store is None else str(Path(store).absolute()), "commit": commit}


def judged_record(outcome: ClaimOutcome, *, source: str, store, commit: str | None) -> dict:
    """The report.json record of an outcome with its `judged` stamp: the one path from judged outcomes to
    records, taken by the pytest plugin and by `repro report`."""
    return {**claim_record(outcome),
            "judged": stamp(profile=outcome.profile, source=source, store=store, commit=commit)}


def context_of(records: list[dict]) -> dict:
    """The profile, store and commit of this run's records (those of the first one that says)."""
    judged: dict = next((r["judged"] for r in records if r.get("judged")), {})
    return {k: judged.get(k) for k in CONTEXT}


def merge_records(previous: list[dict], current: list[dict]) -> list[dict]:
    """`current` records, plus the `previous` ones of claim parts `current` does not judge again.

    A kept record gets `judged["differs"]`: the fields of CONTEXT in which it differs from this run
    (empty when it was judged on the same profile, store and commit); records of this run get none.
    """
    now = context_of(current)
    ids = {r["claim"]["id"] for r in current}
    kept = []
    for record in previous:
        if record.get("claim", {}).get("id") in ids:
            continue
        judged = dict(record.get("judged") or {})
        judged["differs"] = [k for k in CONTEXT if judged.get(k) != now[k]]
        kept.append({**record, "judged": judged})
    fresh = [{**r, "judged": {k: v for k, v in (r.get("judged") or {}).items() if k != "differs"}} for r in current]
    return fresh + kept


def previous_records(directory) -> tuple[list[dict], str | None]:
    """The claim records of `directory/report.json`, and a problem to report when it exists but is
    unreadable (then it is kept as `report.json.unreadable-<time>` and nothing is merged from it)."""
    path = Path(directory) / "report.json"
    if not path.is_file():
        return [], None
    try:
        return read_report(path)["claims"], None
    except ReportSchemaError as err:
        aside = path.with_name(f"report.json.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(path, aside)
        return [], f"{path} was unreadable ({err}); kept as {aside}, the report holds this run's parts only"


def report_lock(directory):
    """The lock that one writer of `directory`'s report holds while it reads, merges and writes
    report.json, so that two runs into one --report keep both their records."""
    from filelock import FileLock
    Path(directory).mkdir(parents=True, exist_ok=True)
    return FileLock(str(Path(directory) / ".report.lock"))


def differs_note(record: dict) -> str:
    """"" for a part judged in this run; otherwise when and on what it was judged, naming the
    profile, store or commit that differ from this run."""
    judged = record.get("judged") or {}
    if "differs" not in judged:
        return ""
    where = ", ".join(f"{k} {judged.get(k) or '—'}" for k in CONTEXT)
    other = f"; another {', '.join(judged['differs'])} than this run" if judged["differs"] else ""
    return f"kept from a run of {judged.get('at') or '—'} ({where}){other}"


def check_report_dir(directory, flag: str = "--report") -> Path:
    """`directory` as a Path when a report can be written there (created later if absent);
    ReportDirError naming the problem and the fix otherwise."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ReportDirError(f"report directory {directory} is a file; give {flag} a directory "
                             "(it is created when missing)")
    existing = next(p for p in (directory, *directory.absolute().parents) if p.exists())
    try:
        if not existing.is_dir():
            raise NotADirectoryError(0, f"{existing} is a file")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise ReportDirError(f"report directory {directory} cannot be written ({err.strerror}); "
                             f"give {flag} a writable directory") from None
    return directory

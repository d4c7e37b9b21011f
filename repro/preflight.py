"""Before any run computes: every data read of the planned runs resolved, so a missing split is found
before hours of training, not after.

A read from the data directory needs its files (`DataSource.files_read`), and a JSON-lines file the
fields its task's rows need (checked on its first row; the run checks every row when it reads it).
A read from the hub (or its stand-ins) needs its repository, revision, config and split in the
recorded schemas (`repro/hub_schemas.json`), with the columns the task reads.  Each problem is one
line naming the file or the hub request, and the fix.  Generated fixtures need nothing.
"""
from __future__ import annotations

import json

from repro.data import DataError, DataSource, expected_fields
from repro.data_requests import reads_of
from repro.errors import ReproError
from repro.tasks import get_task

SHOWN = 12  # problems listed before "and N more"


class PreflightError(ReproError, ValueError):
    """Data that the planned runs read and that cannot be had; one line per problem."""


def read_problems(data: DataSource, specs) -> list[str]:
    """One line per read of the runs `specs` that cannot be served, each once."""
    problems: dict[str, None] = {}
    if data.root is not None and not data.root.is_dir() and not data.synthetic:
        problems[f"data directory {data.root} does not exist: give --data-dir (or REPRO_DATA_DIR) the directory "
                 "that holds the data"] = None
    for read in sorted({read for spec in specs for read in reads_of(spec)}):
        for line in _task_problems(data, get_task(read.task), read.split, read.lang):
            problems.setdefault(line)
    return list(problems)


def check_reads(data: DataSource, specs) -> None:
    """PreflightError listing the reads of `specs` that cannot be served (see `read_problems`)."""
    problems = read_problems(data, specs)
    if problems:
        more = f"\n... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        raise PreflightError(f"{len(problems)} data read(s) of the planned runs cannot be served; nothing was "
                             "computed:\n" + "\n".join(problems[:SHOWN]) + more)


def _task_problems(data: DataSource, task, split: str, lang: str) -> list[str]:
    if task.parts:  # ANLI+: each part from the same source
        return [p for part in task.parts for p in _task_problems(data, part, split, lang)]
    if data.layout_files(task, split, lang):
        return _layout_problems(data, task, split, lang)
    files = data.files_read(task, split, lang)
    if files:
        return [p for rel in files if (p := _file_problem(data, task, rel, split, lang)) is not None]
    if task.hub is None or task.reader is not None:
        return []  # generated rows of data the hub does not hold
    return _hub_problems(task, split, lang)


def _layout_problems(data: DataSource, task, split: str, lang: str) -> list[str]:
    """A read served by XTREME's layout: its files parse, and carry gold labels where nothing stands in."""
    try:
        labelled = data.labelled(task, split, lang)  # reads the files once per process
    except DataError as err:
        return [str(err)]
    if labelled is False and not data.synthetic:
        where = ", ".join(str(p) for p in data.layout_files(task, split, lang))
        return [f"{where} has no gold labels, so it cannot train or score {task.name} ({split}, {lang}): "
                f"put a labelled copy in {data.root}/{task.name}/{lang}/{split}.jsonl and move this file away"]
    return []


def _file_problem(data: DataSource, task, rel: str, split: str, lang: str) -> str | None:
    where = f"{task.name} ({split}, {lang})"
    if data.root is None:
        return (f"{where} is read from a data directory, but none was given: pass --data-dir DIR (or set "
                f"REPRO_DATA_DIR) holding DIR/{rel}. {task.obtain}").rstrip()
    path = data.root / rel
    if not path.is_file():
        return f"{path} is missing: put the {split} split of {task.name} ({lang}) there. {task.obtain}".rstrip()
    if path.suffix != ".jsonl":
        return None
    try:
        with path.open(encoding="utf-8-sig") as fh:
            first = next((line for line in fh if line.strip()), None)
    except (OSError, UnicodeDecodeError) as err:
        return f"{path} cannot be read as UTF-8 text ({err}); write it as UTF-8 JSON lines"
    if first is None:
        return f"{path} holds no rows; one JSON object per line"
    try:
        row = json.loads(first)
    except json.JSONDecodeError as err:
        return f"{path}: its first row is not valid JSON ({err.msg}); one JSON object per line"
    missing = [f for f in expected_fields(task) if not isinstance(row, dict) or f not in row]
    if missing:
        return (f"{path}: rows lack field(s) {', '.join(missing)}; {task.name} rows need "
                f"{', '.join(expected_fields(task))}")
    return None


def _hub_problems(task, split: str, lang: str) -> list[str]:
    from repro.hub_schemas import load_schemas, resolve

    hub = task.hub
    config, split_name = hub.config_for(lang), hub.split_for(split)
    revision = f", revision {hub.revision}" if hub.revision else ""
    asked = f"{hub.path} (config {config!r}, split {split_name!r}{revision})"
    if hub.path not in load_schemas().datasets:  # a new task's dataset: its schema is not recorded yet
        return [f"{task.name} ({split}, {lang}): {hub.path} is not recorded in repro/hub_schemas.json: add it "
                "under \"datasets\" (revisions, configs, splits with num_examples, features, and the hub card "
                f"they come from as \"source\"), or put a local copy in --data-dir as {task.name}/{lang}/{split}.jsonl"]
    try:
        schema = resolve(load_schemas(), hub.path, config, split_name, hub.revision)[0]
    except (ValueError, FileNotFoundError) as err:
        first = str(err).splitlines()[0]
        return [f"{task.name} ({split}, {lang}): the hub has no {asked} ({first}); correct the task's HubSource "
                f"or the claim's split, or put a local copy in --data-dir as {task.name}/{lang}/{split}.jsonl"]
    missing = [f for f in expected_fields(task) if f not in schema.features]
    if missing:
        return [f"{task.name} ({split}, {lang}): {asked} has no column(s) {', '.join(missing)} (recorded: "
                f"{', '.join(schema.features)}); correct the task's fields"]
    return []

"""What data a run reads: every (task, split, language), and the hub request each one becomes.

The one description of a run's reads: the engine reads through it (`training_source` for the
task whose rows train a task, `evaluation_sets` for the sets a run predicts; the translated and
MLM formats' `training_reads` say what their `load_rows` reads), and `reads_of` lists them without
loading anything, so that a plan can be checked against the recorded hub schemas
(`repro.hub_schemas`) before any run and a run's key holds the content of what it reads.
"""
from __future__ import annotations

from dataclasses import dataclass

from repro.tasks import Task, get_task


@dataclass(frozen=True, order=True)
class Read:
    """One read of a task's split in one language."""

    task: str
    split: str
    lang: str


@dataclass(frozen=True, order=True)
class HubRequest:
    """One `datasets.load_dataset(path, config, split=split, revision=revision)` call."""

    path: str
    config: str | None
    split: str
    revision: str | None


def training_source(name: str) -> Task:
    """The task whose rows train `name` (XNLI: MNLI)."""
    return get_task(get_task(name).trains_on)


def evaluation_sets(spec) -> list[tuple[str, str]]:
    """Every (split, language) a target or retrieval run predicts, in the order it predicts them."""
    return [(split, lang) for split, languages in spec.eval_sets for lang in languages]


def reads_of(spec) -> set[Read]:
    """The reads of one run (not of its parents)."""
    reads: set[Read] = set()
    for name, _ in spec.train:
        reads |= training_reads(name)
    if spec.kind in ("target", "retrieval"):
        task = get_task(spec.eval_task)
        reads |= {Read(*read) for split, lang in evaluation_sets(spec)
                  for read in task.format.evaluation_reads(task, split, lang)}  # BUCC: dev too
    return reads


def training_reads(name: str) -> set[Read]:
    """The reads that train `name`: English train and dev of the task it trains on, the
    translations of a `<task>_translated`, the Wikipedia languages of `mlm`."""
    source = training_source(name)
    return {Read(*read) for read in source.trained_format.training_reads(source)}


def hub_requests(read: Read, local=None) -> list[HubRequest]:
    """The hub calls a read makes (one per part of a task built from parts; none for data the
    hub does not hold: licensed CCGbank, BUCC's corpora, translations no hub dataset has, nor for
    a task with a local copy, `local(task)` true, which the data source reads instead)."""
    return _task_requests(get_task(read.task), read.split, read.lang, local or (lambda task: False))


def _task_requests(task, split: str, lang: str, local) -> list[HubRequest]:
    if task.parts:
        return [r for part in task.parts for r in _task_requests(part, split, lang, local)]
    hub = task.hub
    if task.reader is not None or hub is None or local(task):
        return []
    return [HubRequest(hub.path, hub.config_for(lang), hub.split_for(split), hub.revision)]

"""The task registry: every dataset the engine knows, by name.

Each entry (`Task`) carries everything known about its task; the tables elsewhere (metrics
and submission formats of `repro score`, the cost model's sizes, the paper's labels, the
length samples' task lists) derive from it.  `register` adds a task defined outside this
package (a test's toy task) for as long as its `with` block lasts.
"""
from __future__ import annotations

from contextlib import contextmanager
from types import MappingProxyType

from repro.errors import UnknownName
from repro.tasks import classification, mlm, multiple_choice, planted, qa, retrieval, tagging, translated
from repro.tasks.base import HubSource, Sizes, Task

_BUILT_IN = {t.name: t for t in (*classification.TASKS, *multiple_choice.TASKS, *tagging.TASKS,
                                  *qa.TASKS, *retrieval.TASKS, *planted.TASKS)}
# the MLM pseudo-task and `<task>_translated` for every English intermediate task
_BUILT_IN.update({t.name: t for t in (*mlm.TASKS, *translated.variants(_BUILT_IN.values()))})
_REGISTRY: dict[str, Task] = dict(_BUILT_IN)
TASKS = MappingProxyType(_REGISTRY)  # a read-only view: it shows registered tasks too


class UnknownTask(UnknownName):
    """A task name the registry does not hold."""


def get_task(name: str) -> Task:
    """The registered task `name`; UnknownTask (a KeyError) listing the known ones otherwise."""
    try:
        return TASKS[name]
    except KeyError:
        raise UnknownTask(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}") from None


@contextmanager
def register(task: Task):
    """Register `task` for the `with` block (`with register(toy): ...`) and remove it after;
    ValueError if a task of that name is registered already."""
    if not isinstance(task, Task):
        raise TypeError(f"register takes a repro.tasks.Task, got {type(task).__name__}")
    if task.name in _REGISTRY:
        raise ValueError(f"a task named {task.name!r} is registered already; give the new task another name")
    _REGISTRY[task.name] = task
    try:
        yield task
    finally:
        if _REGISTRY.get(task.name) is task:
            del _REGISTRY[task.name]


def target_tasks() -> tuple[Task, ...]:
    """The registered target tasks (those with evaluation sizes), in registry order."""
    return tuple(t for t in TASKS.values() if t.is_target)


def paper_targets() -> tuple[str, ...]:
    """The target tasks that are columns of the paper's tables (those with a paper label), in registry order."""
    return tuple(t.name for t in target_tasks() if t.paper_label)


__all__ = ["TASKS", "HubSource", "Sizes", "Task", "get_task", "paper_targets", "register", "target_tasks", "UnknownTask"]

"""The task registry: every dataset the engine knows, by name.

Each entry (`Task`) carries everything known about its task; the tables elsewhere (metrics
and submission formats of `repro score`, the cost model's sizes, the paper's labels, the
length samples' task lists) derive from it.  `register` adds a task defined outside this
package (a test's toy task) for as long as its `with` block lasts.
"""
from __future__ import annotations

from repro.errors import UnknownName
from repro.registry import Registry
from repro.tasks import classification, mlm, multiple_choice, planted, qa, retrieval, tagging, translated
from repro.tasks.base import HubSource, Sizes, Task

_BUILT_IN = {t.name: t for t in (*classification.TASKS, *multiple_choice.TASKS, *tagging.TASKS,
                                  *qa.TASKS, *retrieval.TASKS, *planted.TASKS)}
# the MLM pseudo-task and `<task>_translated` for every English intermediate task
_BUILT_IN.update({t.name: t for t in (*mlm.TASKS, *translated.variants(_BUILT_IN.values()))})


class UnknownTask(UnknownName):
    """A task name the registry does not hold."""


_TASKS: Registry[Task] = Registry("task", Task, _BUILT_IN.values(), unknown=UnknownTask)
TASKS = _TASKS.view
get_task = _TASKS.get


def register(task: Task):
    """Register `task` for the `with` block (`with register(toy): ...`) and remove it after;
    NameClash (a ValueError) if a task of that name is registered already."""
    return _TASKS.register(task)


def target_tasks() -> tuple[Task, ...]:
    """The registered target tasks (those with evaluation sizes), in registry order."""
    return tuple(t for t in TASKS.values() if t.is_target)


def paper_targets() -> tuple[str, ...]:
    """The target tasks that are columns of the paper's tables (those with a paper label), in registry order."""
    return tuple(t.name for t in target_tasks() if t.paper_label)


__all__ = ["TASKS", "HubSource", "Sizes", "Task", "get_task", "paper_targets", "register", "target_tasks", "UnknownTask"]

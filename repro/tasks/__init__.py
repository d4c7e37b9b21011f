"""The task registry: every dataset the engine knows, by name."""
from __future__ import annotations

from types import MappingProxyType

from repro.tasks import classification, multiple_choice, qa, retrieval, tagging
from repro.tasks.base import HubSource, Task

TASKS = MappingProxyType({t.name: t for t in (*classification.TASKS, *multiple_choice.TASKS, *tagging.TASKS,
                                                      *qa.TASKS, *retrieval.TASKS)})


def get_task(name: str) -> Task:
    """The registered task `name`; KeyError listing the known ones otherwise."""
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}") from None


__all__ = ["TASKS", "HubSource", "Task", "get_task"]

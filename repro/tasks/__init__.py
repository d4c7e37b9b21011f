"""The task registry: every dataset the engine knows, by name."""
from __future__ import annotations

from types import MappingProxyType

from repro.tasks import classification, mlm, multiple_choice, planted, qa, retrieval, tagging, translated
from repro.tasks.base import HubSource, Task

TASKS = MappingProxyType({t.name: t for t in (*classification.TASKS, *multiple_choice.TASKS, *tagging.TASKS,
                                                      *qa.TASKS, *retrieval.TASKS,
                                                      *planted.TASKS)})
# the MLM pseudo-task and `<task>_translated` for every English intermediate task
TASKS = MappingProxyType({**TASKS, **{t.name: t for t in (*mlm.TASKS, *translated.variants(TASKS.values()))}})


def get_task(name: str) -> Task:
    """The registered task `name`; KeyError listing the known ones otherwise."""
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}") from None


__all__ = ["TASKS", "HubSource", "Task", "get_task"]

"""The Task entry: where a dataset comes from, its languages, head and metric.

One module per format (`classification`, ...) holds the format's head,
preprocessing and prediction code together with the registry entries of its
tasks; `repro.tasks` collects them.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from repro.metrics.base import Metric


@dataclass(frozen=True)
class HubSource:
    """How to read a task from the Hugging Face hub with `datasets.load_dataset`."""

    path: str
    config: str | None = None  # may contain "{lang}"
    splits: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # ours -> hub's

    def config_for(self, lang: str) -> str | None:
        return self.config.format(lang=lang) if self.config else None

    def split_for(self, split: str) -> str:
        return self.splits.get(split, split)


@dataclass(frozen=True)
class Task:
    """One dataset, as an intermediate task, a target task, or both."""

    name: str
    format: object                      # the format module's handler (head, preprocessing, prediction)
    languages: tuple[str, ...]          # evaluation languages (XTREME lists); ("en",) if English only
    hub: HubSource
    fixture: Callable[[str, str, int], list[dict]]  # (split, lang, n) -> rows in the hub schema
    metric: Metric
    fields: tuple[str, ...]             # input fields of a row, in order
    labels: tuple[str, ...] = ()        # label names, in the hub's ClassLabel order
    train_task: str | None = None       # the English task whose train set trains this target
    parallel: bool = False              # evaluation items are translations aligned by row across languages
    source: str = ""                    # where the facts of this entry come from

    @property
    def trains_on(self) -> str:
        """The task whose English training data trains this one."""
        return self.train_task or self.name

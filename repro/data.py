"""Where task data comes from: generated fixtures, the Hugging Face hub, or local files.

Every source yields a `datasets.Dataset` in the hub's schema for a
(task, split, language).  Local directories mirror the hub:
`<root>/<task>/<lang>/<split>.jsonl`, one JSON row per line with the hub's fields.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from repro.tasks import Task

# Bump when the fixture generators change what they produce.
FIXTURE_VERSION = 2
SOURCES = ("fixture", "hub", "local")


class DataError(ValueError):
    """Task data that is missing or malformed."""


@dataclass(frozen=True)
class DataSource:
    """A source of task data; `identity` enters run keys, `root` does not."""

    kind: str
    root: Path | None = None
    fixture_sizes: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        if self.kind not in SOURCES:
            raise DataError(f"unknown data source {self.kind!r}; one of {SOURCES}")
        if self.kind == "local" and self.root is None:
            raise DataError("the local data source needs a directory: pass --data-dir or set REPRO_DATA_DIR")

    @property
    def identity(self) -> str:
        if self.kind == "fixture":
            sizes = ",".join(f"{k}={v}" for k, v in sorted(self.fixture_sizes.items()))
            return f"fixture-v{FIXTURE_VERSION}[{sizes}]"
        return self.kind

    def load(self, task: Task, split: str, lang: str = "en"):
        """The rows of `task` in `lang` and `split` as a `datasets.Dataset`."""
        if self.kind == "fixture":
            data = self._from_rows(task, task.fixture(split, lang, self.fixture_sizes.get(split, 100)))
        elif task.reader is not None:  # files the hub does not hold (BUCC's corpora)
            data = self._from_rows(task, task.reader(self.root, split, lang))
        elif self.kind == "local":
            data = self._load_local(task, split, lang)
        else:
            from datasets import load_dataset
            data = load_dataset(task.hub.path, task.hub.config_for(lang), split=task.hub.split_for(split))
        return task.select(data, lang) if task.select is not None else data

    def _from_rows(self, task: Task, rows: list[dict]):
        from datasets import Dataset
        return Dataset.from_list(rows)

    def _load_local(self, task: Task, split: str, lang: str):
        path = self.root / task.name / lang / f"{split}.jsonl"
        if not path.is_file():
            raise DataError(f"{path} is missing: put the {split} split of {task.name} ({lang}) there as JSON "
                            f"lines with fields {', '.join(_expected_fields(task))}")
        rows = []
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataError(f"{path}:{number}: not valid JSON ({err.msg}); one JSON object per line") from err
                missing = [f for f in task.fields if f not in row]
                if missing:
                    raise DataError(f"{path}:{number}: missing field(s) {', '.join(missing)}; "
                                    f"{task.name} rows need {', '.join(task.fields)}")
                rows.append(row)
        if not rows:
            raise DataError(f"{path} holds no rows")
        return self._from_rows(task, rows)


def _expected_fields(task: Task) -> tuple[str, ...]:
    """The fields a local row needs: the inputs, plus `label` for classification tasks."""
    return task.fields + ("label",) if hasattr(task.format, "label_names") else task.fields

"""The recorded schemas of the hub datasets that the `paper` profile reads (`hub_schemas.json`).

For every repository: its revisions, configs, split names with num_examples (null where no
stored source confirms the count) and features, ClassLabel names in order, each entry with
its source.  `resolve` answers a `datasets.load_dataset(path, name, split=..., revision=...)`
request from them and refuses an unknown revision, config or split with the exception type
and message that `datasets` (5.x) raises for it, so that the rehearsal profile's hub
stand-in and the smoke fixtures fail where the hub would.

Feature notation: a dtype string ("string", "int32"), {"class_label": [names]},
{"sequence": feature} (a dict of features inside: a sequence of records), or a dict of
features.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from repro.errors import ReproError

SCHEMA_PATH = Path(__file__).with_name("hub_schemas.json")
FORMAT = 1
DEFAULT_REVISION = "main"


class SchemaError(ReproError, ValueError):
    """A recorded-schema file that is malformed or lacks a dataset."""


@dataclass(frozen=True)
class ConfigSchema:
    """One config of a hub dataset: its features and its splits' sizes (None: not confirmed)."""

    name: str
    features: Mapping[str, object]
    splits: Mapping[str, int | None]

    def class_labels(self) -> dict[str, tuple[str, ...]]:
        """ClassLabel names per column, in order (also for a sequence of labels, as tags)."""
        out = {}
        for column, feature in self.features.items():
            if isinstance(feature, dict) and "sequence" in feature:
                feature = feature["sequence"]
            if isinstance(feature, dict) and "class_label" in feature:
                out[column] = tuple(feature["class_label"])
        return out


@dataclass(frozen=True)
class DatasetSchema:
    """One hub repository as recorded."""

    path: str
    revisions: tuple[str, ...]
    configs: Mapping[str, ConfigSchema]
    source: str


@dataclass(frozen=True)
class HubSchemas:
    """Every recorded dataset, and the data the paper profile reads from local files only."""

    file: Path
    datasets: Mapping[str, DatasetSchema]
    local_only: Mapping[str, str]

    def dataset(self, path: str) -> DatasetSchema:
        """The recorded schema of the repository `path`; SchemaError naming the file if absent."""
        try:
            return self.datasets[path]
        except KeyError:
            raise SchemaError(f"{self.file}: no entry datasets/{path}: record the dataset's revisions, configs, "
                              f"splits and features there (from its hub card), with their source; recorded: "
                              f"{', '.join(sorted(self.datasets))}") from None


def resolve(schemas: HubSchemas, path: str, name: str | None = None, split: str | None = None,
            revision: str | None = None) -> tuple[ConfigSchema, tuple[str, ...]]:
    """The config and the hub splits that `load_dataset(path, name, split=split, revision=revision)`
    reads; the error `datasets` raises where the hub lacks the revision, config or split.

    `split` may join splits with "+" and slice them ("train_r1+train_r2", "train[:10%]");
    None means every split.
    """
    from datasets.exceptions import DatasetNotFoundError

    dataset = schemas.dataset(path)
    if (revision or DEFAULT_REVISION) not in dataset.revisions:
        raise DatasetNotFoundError(f"Revision '{revision}' doesn't exist for dataset '{path}' on the Hub.")
    names = list(dataset.configs)
    if name is None:
        if len(names) > 1:
            raise ValueError("Config name is missing."
                             f"\nPlease pick one among the available configs: {names}"
                             + f"\nExample of usage:\n\t`load_dataset('{path}', '{names[0]}')`")
        name = names[0]
    config = dataset.configs.get(name)
    if config is None:
        raise ValueError(f"BuilderConfig '{name}' not found. Available: {names}")
    if split is None:
        return config, tuple(config.splits)
    wanted = tuple(re.sub(r"\[.*\]$", "", part.strip()) for part in split.split("+"))
    for part in wanted:
        if part not in config.splits:
            raise ValueError(f'Unknown split "{part}". Should be one of {list(config.splits)}.')
    return config, wanted


@functools.lru_cache(maxsize=None)
def load_schemas(path: str | Path = SCHEMA_PATH) -> HubSchemas:
    """The recorded schemas in `path` (default: the package's `hub_schemas.json`), checked."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{path} is missing: the recorded hub schemas ship with the package "
                          "(repro/hub_schemas.json); reinstall it or restore the file") from None
    except json.JSONDecodeError as err:
        raise SchemaError(f"{path}:{err.lineno}: not valid JSON ({err.msg}); fix the file") from err
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise SchemaError(f"{path}: expected a JSON object with \"format\": {FORMAT}, got "
                          f"{raw.get('format') if isinstance(raw, dict) else type(raw).__name__!r}")
    entries = raw.get("datasets")
    if not isinstance(entries, dict) or not entries:
        raise SchemaError(f"{path}: \"datasets\" must map each hub repository id to its schema")
    datasets = {repo: _dataset(path, repo, entry) for repo, entry in entries.items()}
    local_only = raw.get("local_only", {})
    if not isinstance(local_only, dict) or not all(isinstance(v, str) for v in local_only.values()):
        raise SchemaError(f"{path}: \"local_only\" must map a task to a sentence saying where its data comes from")
    return HubSchemas(path, MappingProxyType(datasets), MappingProxyType(local_only))


def _dataset(file: Path, repo: str, entry) -> DatasetSchema:
    where = f"{file}: entry datasets/{repo}"
    if not isinstance(entry, dict):
        raise SchemaError(f"{where}: expected an object with revisions, source and configs")
    revisions, source, configs = entry.get("revisions"), entry.get("source"), entry.get("configs")
    if not isinstance(revisions, list) or not revisions or not all(isinstance(r, str) for r in revisions):
        raise SchemaError(f"{where}: \"revisions\" must be a non-empty list of branch or ref names, e.g. [\"main\"]")
    if not isinstance(source, str) or not source.strip():
        raise SchemaError(f"{where}: \"source\" must say where its facts come from (a dataset card commit)")
    if not isinstance(configs, dict) or not configs:
        raise SchemaError(f"{where}: \"configs\" must map each config name to its features and splits")
    return DatasetSchema(repo, tuple(revisions),
                         MappingProxyType({name: _config(f"{where}/configs/{name}", name, c)
                                           for name, c in configs.items()}), source)


def _config(where: str, name: str, entry) -> ConfigSchema:
    if not isinstance(entry, dict) or not isinstance(entry.get("features"), dict) or not entry["features"]:
        raise SchemaError(f"{where}: expected {{\"features\": {{column: feature}}, \"splits\": {{name: count}}}}")
    splits = entry.get("splits")
    if not isinstance(splits, dict) or not splits:
        raise SchemaError(f"{where}: \"splits\" must map each split name to its num_examples (null if unconfirmed)")
    bad = [s for s, n in splits.items() if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0)]
    if bad:
        raise SchemaError(f"{where}: split(s) {', '.join(bad)}: num_examples must be a count >= 0 or null")
    for column, feature in entry["features"].items():
        problem = _feature_problem(feature)
        if problem:
            raise SchemaError(f"{where}: feature {column!r}: {problem}")
    return ConfigSchema(name, MappingProxyType(entry["features"]), MappingProxyType(splits))


_DTYPES = {"string", "int32", "int64", "float32", "float64", "bool", "large_string"}


def _feature_problem(feature) -> str:
    """Why `feature` is not in the recorded notation ("" if it is)."""
    if isinstance(feature, str):
        return "" if feature in _DTYPES else f"unknown dtype {feature!r} (one of {', '.join(sorted(_DTYPES))})"
    if isinstance(feature, dict) and "class_label" in feature:
        names = feature["class_label"]
        ok = isinstance(names, list) and names and all(isinstance(n, str) for n in names)
        return "" if ok and len(set(names)) == len(names) else "class_label needs a list of distinct names, in order"
    if isinstance(feature, dict) and "sequence" in feature:
        return _feature_problem(feature["sequence"])
    if isinstance(feature, dict) and any(k in feature for k in ("translation", "translation_variable_languages")):
        return ""
    if isinstance(feature, dict) and feature:
        return next((p for p in map(_feature_problem, feature.values()) if p), "")
    return f"expected a dtype, {{\"class_label\": [...]}}, {{\"sequence\": ...}} or a record, got {feature!r}"


def hf_features(config: ConfigSchema):
    """The recorded features as `datasets.Features`."""
    from datasets import ClassLabel, Features, List, Value

    def build(feature):
        if isinstance(feature, str):
            return Value(feature)
        if {"translation", "translation_variable_languages"} & set(feature):
            raise SchemaError(f"config {config.name}: translation features are recorded but not served; "
                              "read a per-language config instead")
        if "class_label" in feature:
            return ClassLabel(names=list(feature["class_label"]))
        if "sequence" in feature:
            inner = feature["sequence"]
            if isinstance(inner, dict) and not ({"class_label", "sequence"} & set(inner)):
                return {k: List(build(v)) for k, v in inner.items()}  # a sequence of records: columns of lists
            return List(build(inner))
        return {k: build(v) for k, v in feature.items()}

    return Features({column: build(feature) for column, feature in config.features.items()})

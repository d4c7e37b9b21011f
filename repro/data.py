"""Where task data comes from: generated fixtures, the Hugging Face hub, its stand-in, or local files.

Every source yields a `datasets.Dataset` in the hub's schema for a (task, split, language).  Local
directories mirror the hub: `<root>/<task>/<lang>/<split>.jsonl`, one JSON row per line with the hub's
fields.  A task built from `parts` (ANLI+) is the concatenation of its parts, each read from the same
source.  The hub source with a `root` reads a task from the local layout when `<root>/<task>/` exists
(a copy made on a machine without network) and always for tasks the hub does not hold (CCG; BUCC's corpora).

Fixtures and the rehearsal profile's hub stand-in synthesise rows, and both ask first what the hub
would be asked (`repro.hub_schemas`): a config or split the recorded schema lacks is refused, by the
fixtures with a DataError that names the fix, by the stand-in with the exception and message of
`datasets.load_dataset`.  It serves its rows in the recorded features (ClassLabel columns included).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, cast

from repro import xtreme_layout
from repro.errors import ReproError
from repro.tasks import TASKS, Task

# Bump when the fixture generators change what they produce.
FIXTURE_VERSION = 2
SOURCES = ("fixture", "hub", "local", "rehearsal")  # rehearsal: the hub stand-in


# (source identity, task, its generator, split, lang) -> generated rows; a Dataset is never changed in place
_SYNTHESISED: dict = {}
# (task, split, lang, cap, files with their size and mtime) -> (Dataset, labelled) read from XTREME's layout
_LAYOUT_READS: dict = {}


class DataError(ReproError, ValueError):
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
        if self.root is not None and not isinstance(self.root, Path):
            object.__setattr__(self, "root", Path(self.root))  # a str or PathLike directory is welcome too

    @property
    def identity(self) -> str:
        sizes = ",".join(f"{k}={v}" for k, v in sorted(self.fixture_sizes.items()))
        if self.kind == "fixture":
            return f"fixture-v{FIXTURE_VERSION}[{sizes}]"
        if self.kind == "rehearsal":  # with real rows from XTREME's layout where the data directory has them
            real = "+xtreme-layout" if xtreme_layout.detect(self.root) else ""
            return f"hub-standin-v{FIXTURE_VERSION}[{sizes}]{real}"
        return self.kind

    @property
    def synthetic(self) -> bool:
        """True where rows are generated (fixtures, the hub stand-in)."""
        return self.kind in ("fixture", "rehearsal")

    def load(self, task: Task, split: str, lang: str = "en", need_labels: bool = True):
        """The rows of `task` in `lang` and `split` as a `datasets.Dataset`.

        Where the data directory holds the split in XTREME's download layout (`repro.xtreme_layout`)
        those rows win (on the hub stand-in: the first `fixture_sizes[split]`, labelled files only);
        a file without gold labels is refused unless `need_labels` is False (lengths).
        """
        real = None if task.parts else self._layout_read(task, split, lang)
        if real is not None and not real[1] and need_labels:
            if self.synthetic:
                real = None  # the stand-in serves what the layout cannot score
            else:
                raise DataError(f"{real[2][0]} has no gold labels (XTREME's download strips them from most test "
                                f"sets), so it cannot train or score {task.name}: measure on a labelled split "
                                f"(dev), or put a labelled copy in {self.root}/{task.name}/{lang}/{split}.jsonl "
                                "and move this file away; unlabelled files serve lengths only (repro check-data)")
        if real is not None:
            data = real[0]
        elif task.parts:  # ANLI+: its datasets one after the other
            data = concatenate_parts(task, [self.load(part, split, lang) for part in task.parts])
        elif self.synthetic:
            data = self._synthesise(task, split, lang)
        elif task.reader is not None:  # files the hub does not hold (BUCC's corpora)
            data = self._from_rows(task, task.reader(self.root, split, lang))
        elif self.kind == "local" or task.hub is None or self.has_local_copy(task):
            # licensed data (CCGbank) is only ever local; a local copy of a hub dataset wins
            data = self._load_local(task, split, lang)
        else:
            data = _from_hub(task, split, lang)
        return task.select(data, lang) if task.select is not None else data

    def layout_files(self, task: Task, split: str, lang: str = "en") -> tuple[Path, ...]:
        """The files of XTREME's layout that `load(task, split, lang)` opens; () when it reads elsewhere."""
        if self.root is None or task.xtreme is None or task.parts:
            return ()
        languages = task.languages if self._whole_config(task) else (lang,)
        found = [xtreme_layout.paths(task, self.root, split, code) for code in languages]
        return () if not all(found) else tuple(p for files in found for p in files)

    def labelled(self, task: Task, split: str, lang: str = "en") -> bool | None:
        """Whether the XTREME-layout file(s) of (`task`, `split`, `lang`) carry gold labels; None: not there."""
        real = self._layout_read(task, split, lang)
        return None if real is None else real[1]

    @staticmethod
    def _whole_config(task: Task) -> bool:
        """True for a read of every language of a multilingual hub config (TyDiQA's `select=None` copy)."""
        registered = TASKS.get(task.name)
        return task.select is None and registered is not None and registered.select is not None

    def _layout_read(self, task: Task, split: str, lang: str):
        """(Dataset, labelled, paths) from XTREME's layout, or None where it lacks the split: a whole-config
        read needs every language's file.  Read once per process and file version."""
        files = self.layout_files(task, split, lang)
        if not files:
            return None
        cap = self.fixture_sizes.get(split) if self.synthetic else None
        key = (task.name, split, lang, cap, self._whole_config(task),
               tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
        if key not in _LAYOUT_READS:
            languages = task.languages if self._whole_config(task) else (lang,)
            try:
                reads = [xtreme_layout.read(task, self.root, split, code, cap) for code in languages]
            except xtreme_layout.LayoutError as err:
                raise DataError(str(err)) from None
            if any(read is None for read in reads):
                raise DataError(f"{task.name}: XTREME's layout in {self.root} lacks a language's {split} file, which a "
                                "whole-config read needs; re-run XTREME's download_data.sh")
            found = [read for read in reads if read is not None]
            rows = [row for read in found for row in read.rows]
            _LAYOUT_READS[key] = (self._from_rows(task, rows), all(r.labelled for r in found), files)
        return _LAYOUT_READS[key]

    def load_parts(self, task: Task, split: str, lang: str = "en") -> list:
        """The rows of each of `task`'s parts (ANLI+: ANLI, MNLI, SNLI) as `load` concatenates them;
        `[load(task)]` for a task without parts."""
        if not task.parts:
            return [self.load(task, split, lang)]
        return conform_parts(task, [self.load(part, split, lang) for part in task.parts])

    def check_hub(self, hub, split: str, lang: str):
        """The recorded config that `hub` (a HubSource) would serve for our `split` in `lang`.

        Where the recorded schema lacks the config or split, the stand-in raises what
        `datasets.load_dataset` raises; fixtures raise a DataError naming the schema entry.
        """
        from repro.hub_schemas import SchemaError, load_schemas, resolve
        config, split_name = hub.config_for(lang), hub.split_for(split)
        try:
            return resolve(load_schemas(), hub.path, config, split_name, hub.revision)[0]
        except SchemaError:
            raise
        except (ValueError, FileNotFoundError) as err:  # what the hub raises (DatasetNotFoundError: revision)
            if self.kind == "rehearsal":
                raise
            raise DataError(f"the hub would refuse {hub.path} config {config!r} split {split_name!r} ({err}), so "
                            f"the fixtures refuse it too: ask for a config and split that repro/hub_schemas.json "
                            f"records under datasets/{hub.path}, or correct the task's HubSource") from err

    def _synthesise(self, task: Task, split: str, lang: str):
        """Fixture rows for a (task, split, lang), checked against the recorded hub schema first;
        the stand-in serves them in the recorded features.  Generated once per process: every
        run of a target reads the same rows in each of its languages."""
        key = (self.identity, task.name, task.fixture, split, lang)
        if key not in _SYNTHESISED:
            _SYNTHESISED[key] = self._generate(task, split, lang)
        return _SYNTHESISED[key]

    def _generate(self, task: Task, split: str, lang: str):
        local_only = task.hub is None or task.reader is not None  # data the hub does not hold: nothing to ask
        config = None if local_only else self.check_hub(task.hub, split, lang)
        if task.fixture is None:
            raise DataError(f"{task.name}: no fixture generator (Task.fixture); give it one, or use --data-dir")
        rows = task.fixture(split, lang, self.fixture_sizes.get(split, 100))
        if config is None or self.kind == "fixture":
            return self._from_rows(task, rows)
        from datasets import Dataset
        from repro.hub_schemas import hf_features
        features = hf_features(config)
        return Dataset.from_list([_in_schema(row, config.features) for row in rows], features=features)

    def files_read(self, task: Task, split: str, lang: str = "en") -> list[str]:
        """The files inside the data directory that `load(task, split, lang)` (or the task format's own
        reader) reads, as paths relative to it; none for generated rows and hub reads.  A file read
        without a data directory is listed all the same (it enters the fingerprint as missing).  Files of
        XTREME's layout come first, as `load` reads them first (on the hub stand-in too)."""
        layout = () if task.parts else self.layout_files(task, split, lang)
        if layout:
            return [p.relative_to(cast(Path, self.root)).as_posix() for p in layout]  # found under the root
        if self.synthetic:
            return []
        own = task.format.local_files(self, task, split, lang)
        if own is not None:
            return list(own)
        if task.parts:
            return [rel for part in task.parts for rel in self.files_read(part, split, lang)]
        if task.reader is not None:
            if task.reader_files is None:
                raise DataError(f"{task.name} has a reader but no reader_files: give its Task the files the reader "
                                "reads, so that a run's key can hold their content")
            return list(task.reader_files(split, lang))
        if self.kind == "local" or task.hub is None or self.has_local_copy(task):
            return [f"{task.name}/{lang}/{split}.jsonl"]
        return []

    def run_identity(self, reads) -> str:
        """The `data` field of a run's key given its reads (`repro.data_requests.Read`s): the source's
        `identity`, plus a content fingerprint of the local files they touch (`repro.fingerprint`)."""
        from repro.fingerprint import file_digests, fingerprint
        from repro.tasks import get_task
        files = {rel for read in reads for rel in self.files_read(get_task(read.task), read.split, read.lang)}
        if not files:
            return self.identity
        return f"{self.identity}+files:{fingerprint(file_digests(self.root, files))}"

    def has_local_copy(self, task: Task) -> bool:
        """True when the data directory holds `task` (read instead of the hub)."""
        if self.root is None or not (self.root / task.name).is_dir():
            return False
        folder = self.root / task.name  # XTREME's layout uses the same folder names: a copy is jsonl in it
        return task.name not in xtreme_layout.detect(self.root) or any(folder.glob("*/*.jsonl"))

    def _from_rows(self, task: Task, rows: list[dict]):
        from datasets import Dataset
        return Dataset.from_list(rows)

    def _load_local(self, task: Task, split: str, lang: str):
        where = f"{task.name}/{lang}/{split}.jsonl"
        if self.root is None:
            raise DataError(f"{task.name} is not on the hub, so it is read from a data directory: pass --data-dir "
                            f"DIR (or set REPRO_DATA_DIR) and put its {split} split in DIR/{where} as JSON lines "
                            f"with fields {', '.join(expected_fields(task))}. {task.obtain}".rstrip())
        path = self.root / where
        if not path.is_file():
            raise DataError(f"{path} is missing: put the {split} split of {task.name} ({lang}) there as JSON "
                            f"lines with fields {', '.join(expected_fields(task))}. {task.obtain}".rstrip())
        rows = []
        try:
            with path.open(encoding="utf-8-sig") as fh:  # a byte-order mark is not part of the first row
                for number, line in enumerate(fh, 1):
                    if line.strip():
                        rows.append(_local_row(task, path, number, line))
        except UnicodeDecodeError as err:
            raise DataError(f"{path}: not UTF-8 text (byte {err.start}: {err.reason}); write it as UTF-8") from None
        if not rows:
            raise DataError(f"{path} holds no rows")
        return self._from_rows(task, rows)


def _local_row(task: Task, path: Path, number: int, line: str) -> dict:
    """One JSON line of a local file as a row with the fields `task` needs; DataError naming file and line."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{number}: not valid JSON ({err.msg}); one JSON object per line") from err
    if not isinstance(row, dict):
        raise DataError(f"{path}:{number}: a JSON {type(row).__name__}, not an object; one JSON object per line")
    missing = [f for f in expected_fields(task) if f not in row]
    if missing:
        raise DataError(f"{path}:{number}: missing field(s) {', '.join(missing)}; "
                        f"{task.name} rows need {', '.join(expected_fields(task))}")
    return row


def _from_hub(task: Task, split: str, lang: str):
    """`task.hub.load`, with a hub that cannot be reached (offline mode, no network, not cached) as a
    DataError naming the dataset and the fixes."""
    try:
        return task.hub_source.load(split, lang)
    except ConnectionError as err:  # datasets: "Couldn't reach ... on the Hub"
        hub = task.hub_source
        raise DataError(f"{task.name}: {hub.path} (config {hub.config_for(lang)!r}, split {hub.split_for(split)!r}) "
                        f"cannot be read ({err}); download it beforehand into the same HF_HOME on a machine "
                        "that reaches the hub (offline mode reads only the cache), or put a local copy in "
                        f"--data-dir as {task.name}/{lang}/{split}.jsonl") from err


def concatenate_parts(task: Task, datasets: list):
    """The parts' rows one after the other, in `task`'s fields (and integer `label`).

    Every part must name its labels as `task.labels` does, in the same order (ClassLabel
    names, or strings); rows without a gold label (-1, as in SNLI) are dropped.
    """
    from datasets import concatenate_datasets
    return concatenate_datasets(conform_parts(task, datasets))


def conform_parts(task: Task, datasets: list) -> list:
    """Each part's rows in `task`'s fields and label ids, with one shared schema (see `concatenate_parts`)."""
    from datasets import ClassLabel

    columns = list(task.fields) + (["label"] if task.labels else [])
    out: list = []
    for part, data in zip(task.parts, datasets, strict=True):
        missing = [c for c in columns if c not in data.column_names]
        if missing:
            raise DataError(f"{task.name}: its part {part.name} lacks column(s) {', '.join(missing)}")
        data = data.select_columns(columns)
        if task.labels:
            data = _label_ids(task, part, data).filter(lambda label: label >= 0, input_columns="label")
            data = data.cast_column("label", ClassLabel(names=list(task.labels)))
        out.append(data if not out else data.cast(out[0].features))
    return out


def _label_ids(task: Task, part: Task, data):
    """`data` with integer labels in `task.labels`' order; DataError if the label spaces disagree."""
    from datasets import ClassLabel

    feature = data.features["label"]
    if isinstance(feature, ClassLabel):
        if tuple(feature.names) != task.labels:
            raise DataError(f"{task.name}: part {part.name} labels {feature.names}, but {task.name} needs "
                            f"{list(task.labels)} in this order")
        return data
    values = set(data.unique("label"))
    if all(isinstance(v, str) for v in values):
        unknown = sorted(values - set(task.labels))
        if unknown:
            raise DataError(f"{task.name}: part {part.name} has unknown label(s) {unknown}; "
                            f"expected {list(task.labels)}")
        index = {name: i for i, name in enumerate(task.labels)}
        return data.map(lambda label: {"label": index[label]}, input_columns="label")
    outside = sorted(v for v in values if not (isinstance(v, int) and -1 <= v < len(task.labels)))
    if outside:
        raise DataError(f"{task.name}: part {part.name} has label(s) {outside} outside -1..{len(task.labels) - 1} "
                        f"(ids of {list(task.labels)}; -1: no gold label)")
    return data


def _in_schema(row: dict, features) -> dict:
    """`row` with exactly the recorded columns: extra ones dropped, missing ones an empty value."""
    return {column: row[column] if column in row else _empty(feature) for column, feature in features.items()}


def _empty(feature):
    if isinstance(feature, str):
        return "" if "string" in feature else 0
    if "class_label" in feature:
        return 0
    if "sequence" in feature:
        inner = feature["sequence"]
        is_record = isinstance(inner, dict) and not ({"class_label", "sequence"} & set(inner))
        return {k: [] for k in inner} if is_record else []
    return {k: _empty(v) for k, v in feature.items()}


def expected_fields(task: Task) -> tuple[str, ...]:
    """The fields a local row needs: the inputs, plus the gold field of classification
    (`label`) and multiple-choice tasks (the format's `label_field`)."""
    gold = task.format.label_field
    return task.fields + ((gold,) if gold else ())


def data_source(profile, data_dir: str | os.PathLike | None = None) -> DataSource:
    """The profile's data source with the data directory `data_dir` (else $REPRO_DATA_DIR).

    On the hub the directory holds what the hub lacks (CCGbank, BUCC's corpora) and local
    copies, which win; a fixture profile given a directory reads everything from it.
    """
    if isinstance(data_dir, str) and not data_dir.strip():
        raise DataError("--data-dir is empty: give it a directory, or leave it out (then $REPRO_DATA_DIR, else none)")
    data_dir = data_dir or os.environ.get("REPRO_DATA_DIR")
    root = Path(data_dir) if data_dir else None
    if root is not None and root.exists() and not root.is_dir():
        raise DataError(f"--data-dir {root} is a file, not a directory; give it the directory that holds "
                        "<task>/<lang>/<split>.jsonl or XTREME's download layout")
    check_data_dir(root)
    if root is not None and profile.data_source == "fixture":
        return DataSource("local", root)
    return DataSource(profile.data_source, root, fixture_sizes=profile.fixture_sizes)


def check_data_dir(root: Path | None) -> None:
    """DataError when `root` is a folder with entries but none of them a task's folder (neither XTREME's
    download layout nor `<task>/<lang>/<split>.jsonl`): most often one level too deep or too high."""
    if root is None or not root.is_dir() or any((root / name).is_dir() for name in TASKS):
        return
    entries = sorted(p.name for p in root.iterdir())
    if not entries:
        return
    inside = [p.name for p in root.iterdir() if p.is_dir() and any((p / name).is_dir() for name in TASKS)]
    hint = (f"point it at {root / inside[0]}" if inside else
            f"point it at the folder that holds them (e.g. {root.parent}, if {root.name} is one task's folder)"
            if root.name in TASKS else "point it at the folder that holds the task folders")
    raise DataError(f"data directory {root} holds no known task folder (it has {', '.join(entries[:5])}"
                    f"{', ...' if len(entries) > 5 else ''}); task folders are XTREME's download layout (xnli/, "
                    f"udpos/, xquad/, ...) or <task>/<lang>/<split>.jsonl: {hint}")

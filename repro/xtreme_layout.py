"""XTREME's download layout as a data source: the folder google-research/xtreme's
`scripts/download_data.sh` writes (`xnli/dev-de.tsv`, `udpos/train-en.tsv`, `xquad/xquad.de.json`,
`mlqa/MLQA_V1/dev/...`, `tatoeba/tatoeba.deu-eng.deu`, ...).

Each task's registry entry says where its files lie and how they read (`Task.xtreme`, an
`XtremeFiles`); this module turns a file into rows in the hub's schema (labels by name, checked
against the task's label set), says whether the file carries gold labels (XTREME strips most test
labels: such a file serves lengths, never scoring) and which paths a read opens (`paths`), so a
run's inputs can be fingerprinted.  Every malformed file is a `LayoutError` naming the file, the
line and the fix.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from repro.errors import ReproError
from repro.tasks import TASKS, Task


class LayoutError(ReproError, ValueError):
    """A file of the XTREME layout that cannot be read as its task's rows."""


@dataclass(frozen=True)
class LayoutRows:
    """The rows of one read, whether they carry gold labels, and the files they came from."""

    rows: list
    labelled: bool
    paths: tuple[Path, ...]


def _files(task: Task, root: Path, split: str, lang: str) -> tuple[Path, ...]:
    """The files one (split, lang) of `task` is read from (all must exist; BUCC's gold may not)."""
    rel = task.xtreme_files.path(split, lang)
    if rel is None:
        return ()
    base = root / rel
    if task.xtreme_files.kind == "parallel":
        return (base.with_name(f"{base.name}.{task.xtreme_files.lang_names.get(lang, lang)}"),
                base.with_name(f"{base.name}.eng"))
    if task.xtreme_files.kind == "bucc":
        return tuple(base.with_name(f"{base.name}.{side}") for side in (lang, "en", "gold"))
    return (base,)


def paths(task: Task, root: Path, split: str, lang: str) -> tuple[Path, ...]:
    """The paths a read of (`split`, `lang`) opens under `root`; () when the layout lacks them."""
    if task.xtreme is None or root is None:
        return ()
    files = _files(task, Path(root), split, lang)
    required = files[:2] if task.xtreme_files.kind == "bucc" else files  # BUCC's test gold is not public
    if not files or not all(p.is_file() for p in required):
        return ()
    return tuple(p for p in files if p.is_file())


def has(task: Task, root, split: str, lang: str) -> bool:
    """True when `root` holds `task`'s (`split`, `lang`) in XTREME's layout."""
    return bool(paths(task, root, split, lang))


_DETECTED: dict = {}  # (root, the layout's tasks, their folders' mtimes) -> detect(root)


def detect(root) -> tuple[str, ...]:
    """The registered tasks with at least one file of XTREME's layout under `root` (looked for once per
    process while the registered tasks, `root` and their layout folders stay unchanged: every run key asks,
    `DataSource.identity`)."""
    if root is None or not Path(root).is_dir():
        return ()
    top = os.fspath(root)
    tasks = tuple(t for t in TASKS.values() if t.xtreme is not None)
    folders = sorted({os.path.dirname(pattern) for t in tasks for pattern in t.xtreme_files.files.values()})
    key = (top, tuple(t.name for t in tasks), os.stat(top).st_mtime_ns,
           tuple(_mtime(os.path.join(top, folder)) for folder in folders))
    if key not in _DETECTED:
        _DETECTED[key] = tuple(t.name for t in tasks if _any_file(t, Path(root)))
    return _DETECTED[key]


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _any_file(task: Task, root: Path) -> bool:
    for split, pattern in task.xtreme_files.files.items():
        folder = (root / pattern).parent
        if folder.is_dir() and any(has(task, root, split, lang) for lang in task.languages):
            return True
    return False


def read(task: Task, root, split: str, lang: str, limit: int | None = None) -> LayoutRows | None:
    """`task`'s (`split`, `lang`) rows from the layout under `root` (None when it lacks them), the
    first `limit` rows where one is given (BUCC: the sentences of its first gold pairs and distractors)."""
    files = paths(task, root, split, lang)
    if not files:
        return None
    kind = task.xtreme_files.kind
    stop = None if limit is None or kind == "bucc" else limit
    rows, labelled = _READERS[kind](task, files, lang, stop)
    if kind in ("tsv", "conll") and split != "test" and rows and not labelled:
        raise LayoutError(f"{files[0]}: no label column, but XTREME strips labels from test sets only: every "
                          f"line of its {split} file needs {_row_format(task)}; re-download the file")
    prefix = task.xtreme_files.id_prefix.get(lang, "")
    if prefix:
        rows = [{**r, "id": prefix + r["id"]} for r in rows]
    if limit is not None:
        rows = _bucc_cap(rows, lang, limit) if kind == "bucc" else rows[:limit]
    return LayoutRows(rows, labelled, files)


def _lines(path: Path):
    try:
        with path.open(encoding="utf-8") as fh:
            yield from enumerate(fh, 1)
    except UnicodeDecodeError as err:
        raise LayoutError(f"{path}: not UTF-8 text ({err.reason}); re-run XTREME's download_data.sh for it") from None


def _row_format(task: Task) -> str:
    return "word<TAB>tag" if task.xtreme_files.kind == "conll" else "<TAB>".join((*task.fields, "label"))


def _check_label(task: Task, path: Path, number: int, label: str) -> str:
    if label not in task.labels:
        raise LayoutError(f"{path}:{number}: unknown label {label!r}; {task.name} labels are "
                          f"{', '.join(task.labels)} (by name): correct the line or re-download the file")
    return label


def _tsv(task: Task, files, lang: str, stop: int | None = None):
    """Rows of the task's fields then the label (no label: XTREME's stripped test sets)."""
    path, n = files[0], len(task.fields)
    rows, widths = [], set()
    for number, line in _lines(path):
        if not line.strip():
            continue
        cells = line.rstrip("\n").rstrip("\r").split("\t")
        if number == 1 and cells[:n] == list(task.fields):
            continue  # a header line
        if len(cells) not in (n, n + 1):
            raise LayoutError(f"{path}:{number}: {len(cells)} tab-separated column(s), but {task.name} rows are "
                              f"{', '.join(task.fields)}, label ({n + 1} columns; {n} without labels): "
                              "fix the line or re-download the file")
        widths.add(len(cells))
        row = dict(zip(task.fields, cells))
        if len(cells) > n:
            row["label"] = _check_label(task, path, number, cells[n])
        rows.append(row)
        if stop is not None and len(rows) >= stop:
            break
    if len(widths) > 1:
        raise LayoutError(f"{path}: some lines carry a label and some do not; every line needs "
                          f"{', '.join(task.fields)}, label: re-download the file")
    return rows, widths == {n + 1}


def _conll(task: Task, files, lang: str, stop: int | None = None):
    """Sentences of `word<TAB>tag` lines, a blank line between them (no tag: unlabelled)."""
    path = files[0]
    words_field, tags_field = task.fields
    rows: list[dict] = []
    words: list[str] = []
    tags: list[str] = []
    widths: set = set()
    for number, line in _lines(path):
        line = line.rstrip("\n").rstrip("\r")
        if not line.strip():
            if words:
                rows.append({words_field: words, tags_field: tags})
                words, tags = [], []
                if stop is not None and len(rows) >= stop:
                    break
            continue
        cells = line.split("\t")
        if len(cells) > 2:
            raise LayoutError(f"{path}:{number}: {len(cells)} tab-separated columns, but {task.name} lines are "
                              "word<TAB>tag: fix the line or re-download the file")
        widths.add(len(cells))
        words.append(cells[0])
        if len(cells) == 2:
            tags.append(_check_label(task, path, number, cells[1]))
    if words:
        rows.append({words_field: words, tags_field: tags})
    if len(widths) > 1:
        raise LayoutError(f"{path}: some words carry a tag and some do not; every line needs word<TAB>tag: "
                          "re-download the file")
    return rows, widths == {2}


def _squad(task: Task, files, lang: str, stop: int | None = None):
    """Questions of a SQuAD v1.1 JSON file, answers as the hub's {answer_start: [...], text: [...]}."""
    path = files[0]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as err:
        raise LayoutError(f"{path}: not SQuAD v1.1 JSON ({type(err).__name__}: {err}); expected "
                          '{"data": [{"paragraphs": [{"context", "qas"}]}]}: re-download the file') from None
    rows = []
    try:
        for article in data:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    answers = qa.get("answers") or []
                    rows.append({"id": str(qa["id"]), "title": article.get("title", ""),
                                 "context": paragraph["context"], "question": qa["question"],
                                 "answers": {"answer_start": [int(a["answer_start"]) for a in answers],
                                             "text": [a["text"] for a in answers]}})
    except (KeyError, TypeError, ValueError) as err:
        raise LayoutError(f"{path}: a question lacks {err} (SQuAD v1.1: paragraphs with context and qas of "
                          "id, question, answers[answer_start, text]): re-download the file") from None
    return rows, any(r["answers"]["text"] for r in rows)


def _parallel(task: Task, files, lang: str, stop: int | None = None):
    """Tatoeba's aligned pairs: line i of the non-English file translates line i of the English one."""
    source, target = ([line.rstrip("\n") for _, line in _lines(p)] for p in files)
    if len(source) != len(target):
        raise LayoutError(f"{files[0]} has {len(source)} lines but {files[1]} has {len(target)}: line i of one "
                          "translates line i of the other, so both need as many; re-download the pair")
    iso = task.xtreme_files.lang_names.get(lang, lang)
    return ([{"source_sentence": s, "target_sentence": t, "source_lang": iso, "target_lang": "eng"}
             for s, t in zip(source, target)], True)


def _bucc(task: Task, files, lang: str, stop: int | None = None):
    """BUCC's `id<TAB>sentence` files as rows {id, lang, sentence, gold} (gold: the English ids of its pairs,
    separated by spaces: every pair of a repeated sentence is kept, `repro.tasks.retrieval.gold_ids`)."""
    gold: dict[str, list[str]] = {}
    if len(files) > 2:
        for number, line in _lines(files[2]):
            if line.strip():
                cells = line.rstrip("\n").split("\t")
                if len(cells) != 2:
                    raise LayoutError(f"{files[2]}:{number}: a gold line is {lang}-id<TAB>en-id: fix the line")
                gold.setdefault(cells[0], []).append(cells[1])
    rows = []
    for side, path in ((lang, files[0]), ("en", files[1])):
        for number, line in _lines(path):
            if line.strip():
                cells = line.rstrip("\n").split("\t", 1)
                if len(cells) != 2:
                    raise LayoutError(f"{path}:{number}: a line is id<TAB>sentence: fix the line")
                rows.append({"id": cells[0], "lang": side, "sentence": cells[1], "gold": " ".join(gold.get(cells[0], []))})
    return rows, bool(gold)


def _bucc_cap(rows: list, lang: str, limit: int) -> list:
    """The sentences of the first `limit // 2` gold pairs, with distractors up to `limit` per side."""
    pairs = [(r["id"], r["gold"].split()) for r in rows if r["lang"] == lang and r["gold"]][:max(limit // 2, 1)]
    keep = {i for source, english in pairs for i in (source, *english)}
    out = []
    for side in (lang, "en"):
        sentences = [r for r in rows if r["lang"] == side]
        chosen = [r for r in sentences if r["id"] in keep]
        chosen += [r for r in sentences if r["id"] not in keep][:max(limit - len(chosen), 0)]
        out += [r if r["id"] in keep or r["gold"] == "" else {**r, "gold": ""} for r in chosen]
    return out


_READERS = {"tsv": _tsv, "conll": _conll, "squad": _squad, "parallel": _parallel, "bucc": _bucc}

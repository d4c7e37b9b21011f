"""`repro score`: score an XTREME submission against gold labels, like XTREME's evaluate.py.

Inputs are files or directories in the XTREME submission layout, `test-LANG.tsv` or
`test-LANG.json` per language.  The tasks and their file formats are the registry's
(`Task.submission`, `Task.metric`); the XTREME tasks':

* xnli, pawsx, tatoeba: one label per line;
* udpos, panx: one tag per line, a blank line between sentences;
* bucc2018: one `src-id<TAB>trg-id` pair per line;
* xquad, mlqa, tydiqa: labels in SQuAD JSON (`data[].paragraphs[].qas[]` with `id` and
  `answers[].text`), predictions a JSON object {question id: answer text}; a question
  without a prediction scores 0 and predictions for unknown ids are ignored, as in
  the official SQuAD and MLQA scripts.

Every defect of the input raises `ScoringError`, whose message names the file, the line
(or JSON path) and the fix.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from repro.errors import ReproError, UnknownName
from repro.metrics import Metric, MlqaEmF1
from repro.metrics.qa import MLQA_LANGUAGES
from repro.tasks import TASKS, Task

_EXTENSIONS = {"labels": "tsv", "tags": "tsv", "pairs": "tsv", "qa": "json"}
# what a predicted label outside the task's label set does: stop with its file and line, or count as wrong
# (XTREME's evaluate.py, which compares strings)
UNKNOWN_LABELS = ("error", "wrong")
_FILE_NAME = re.compile(r"^test-(?P<lang>[^.]+)\.(?P<ext>tsv|json)$")


class ScoringError(ReproError):
    """Bad input to the scorer; the message says which file, where, and how to fix it."""


class UnknownTaskError(UnknownName):
    """A task name that no registered task with a submission format has."""


def scored_tasks() -> tuple[str, ...]:
    """The tasks `repro score` scores: every registered task with a submission file format, sorted."""
    return tuple(sorted(name for name, task in TASKS.items() if task.submission))


def scored_task(task: str) -> Task:
    """The registry entry of a scored task; `UnknownTaskError` listing the scored tasks otherwise."""
    entry = TASKS.get(task)
    if entry is None or not entry.submission:
        raise UnknownTaskError(f"unknown task {task!r}; known tasks: {', '.join(scored_tasks())}")
    return entry


def metric_for(task: str) -> Metric:
    """The metric XTREME's evaluator applies to a scored task (its registry entry's `metric`)."""
    return scored_task(task).metric


def submission_format(task: str) -> str:
    """The file format of a scored task's submission files: labels, tags, pairs or qa."""
    return str(scored_task(task).submission)  # a scored task has one (scored_task checks)


# ---------------------------------------------------------------- readers


def _lines(path: Path) -> list[str]:
    """The file's lines, stripped, without trailing blank lines."""
    try:
        # read_text turns \r\n and \r into \n, like iterating over a text file does
        # utf-8-sig: a byte-order mark (as some editors write) is not part of the first label
        lines = [line.strip() for line in path.read_text(encoding="utf-8-sig").split("\n")]
    except UnicodeDecodeError as err:
        raise ScoringError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8") from None
    while lines and not lines[-1]:
        lines.pop()
    return lines


def read_labels(path: Path) -> list[str]:
    """One label per line (xnli, pawsx, tatoeba)."""
    labels = _lines(path)
    for number, line in enumerate(labels, 1):
        if not line or "\t" in line:
            what = "is blank" if not line else f"holds several tab-separated fields ({line!r})"
            raise ScoringError(f"{path}, line {number}: {what}; write exactly one label per line")
    return labels


def read_tags(path: Path) -> list[tuple[int, list[str]]]:
    """Sentences of one-tag-per-line files, each with the line number it starts on (udpos, panx)."""
    sentences: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate([*_lines(path), ""], 1):  # the extra "" closes the last sentence
        if len(line.split()) > 1:
            raise ScoringError(
                f"{path}, line {number}: {line!r} is not a single tag; write one tag per line "
                "and a blank line between sentences"
            )
        if line:
            current.append(line)
        elif current:
            sentences.append((number - len(current), current))
            current = []
    return sentences


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """`src-id<TAB>trg-id` per line (bucc2018)."""
    pairs = []
    for number, line in enumerate(_lines(path), 1):
        fields = line.split("\t")
        if len(fields) != 2 or not all(fields):
            raise ScoringError(
                f"{path}, line {number}: expected 'SOURCE_ID<TAB>ENGLISH_ID', got {line!r}; "
                "write one tab-separated pair per line"
            )
        pairs.append((fields[0], fields[1]))
    return pairs


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        raise ScoringError(f"{path}, line {err.lineno}, column {err.colno}: malformed JSON ({err.msg}); fix the JSON syntax") from None
    except UnicodeDecodeError as err:
        raise ScoringError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8") from None


def read_squad_gold(path: Path) -> list[tuple[str, list[str]]]:
    """(question id, gold answer texts) for every question of a SQuAD-format file."""
    data = _json(path)
    questions = []
    where = "data"
    try:
        for a, article in enumerate(data["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                for q, qa in enumerate(paragraph["qas"]):
                    where = f"data[{a}].paragraphs[{p}].qas[{q}]"
                    answers = [str(answer["text"]) for answer in qa["answers"]]
                    if not answers:
                        raise ScoringError(f"{path}, {where}: question {qa['id']!r} has no gold answer; give it at least one")
                    questions.append((str(qa["id"]), answers))
    except (KeyError, TypeError) as err:
        raise ScoringError(
            f"{path}, {where}: not SQuAD format (missing or wrong {err}); expected "
            '{"data": [{"paragraphs": [{"qas": [{"id": ..., "answers": [{"text": ...}]}]}]}]}'
        ) from None
    return questions


def read_qa_predictions(path: Path) -> dict[str, str]:
    """A JSON object {question id: answer text}."""
    predictions = _json(path)
    if not isinstance(predictions, dict):
        raise ScoringError(f"{path}: expected a JSON object {{question id: answer text}}, got a {type(predictions).__name__}")
    for qid, answer in predictions.items():
        if not isinstance(answer, str):
            raise ScoringError(f"{path}: the answer to question {qid!r} is {answer!r}; every answer must be a string")
    return predictions


# ---------------------------------------------------------------- pairing predictions with labels


def _check_label_set(task: str, pred_path: Path, predictions: list[tuple[int, str]], golds) -> None:
    """ScoringError naming the first predicted label (with its line) that is neither in the task's label
    set nor among the gold labels: a typo or another casing would otherwise score as wrong silently."""
    known = set(scored_task(task).labels) | set(golds)
    for number, label in predictions:
        if label not in known:
            shown = ", ".join(sorted(scored_task(task).labels) or sorted(set(golds))[:20])
            raise ScoringError(f"{pred_path}, line {number}: {label!r} is not a label of {task} ({shown}); "
                               "correct the label, or pass --unknown-labels wrong to score it as wrong (XTREME's "
                               "evaluate.py does)")


def _aligned(task: str, pred_path: Path, label_path: Path, unknown_labels: str = "error") -> tuple[list, list]:
    """(predictions, references) of one language, in the shape `metric_for(task)` takes; a predicted label
    outside the label set is an error unless `unknown_labels` is "wrong"."""
    if unknown_labels not in UNKNOWN_LABELS:
        raise ScoringError(f"unknown_labels={unknown_labels!r}: one of {', '.join(UNKNOWN_LABELS)}")
    check = unknown_labels == "error" and scored_task(task).labels
    fmt = submission_format(task)
    if fmt == "labels":
        preds, golds = read_labels(pred_path), read_labels(label_path)
        if len(preds) != len(golds):
            longer = label_path if len(golds) > len(preds) else pred_path
            raise ScoringError(
                f"{pred_path} has {len(preds)} lines but {label_path} has {len(golds)} "
                f"(line {min(len(preds), len(golds)) + 1} of {longer} has no counterpart); "
                "write exactly one prediction per label line, in the same order"
            )
        if check:
            _check_label_set(task, pred_path, list(enumerate(preds, 1)), golds)
        return preds, golds
    if fmt == "tags":
        tag_preds, tag_golds = read_tags(pred_path), read_tags(label_path)
        if len(tag_preds) != len(tag_golds):
            raise ScoringError(
                f"{pred_path} has {len(tag_preds)} sentences but {label_path} has {len(tag_golds)}; write one block "
                "of tags per gold sentence, separated by blank lines"
            )
        for i, ((p_line, p), (g_line, g)) in enumerate(zip(tag_preds, tag_golds), 1):
            if len(p) != len(g):
                raise ScoringError(
                    f"{pred_path}, line {p_line}: sentence {i} has {len(p)} tags but in {label_path}, line {g_line}, "
                    f"it has {len(g)} gold tokens; predict exactly one tag per gold token"
                )
        if check:
            _check_label_set(task, pred_path, [(line + i, tag) for line, tags in tag_preds
                                               for i, tag in enumerate(tags)],
                             {tag for _, tags in tag_golds for tag in tags})
        return [p for _, p in tag_preds], [g for _, g in tag_golds]
    if fmt == "pairs":
        return read_pairs(pred_path), read_pairs(label_path)
    gold = read_squad_gold(label_path)
    answers = read_qa_predictions(pred_path)
    return [answers.get(qid) for qid, _ in gold], [texts for _, texts in gold]


def score_language(task: str, pred_path: Path, label_path: Path, lang: str,
                   unknown_labels: str = "error") -> dict[str, float]:
    """The evaluator's values for one language file (`unknown_labels`: see `_aligned`)."""
    if isinstance(metric_for(task), MlqaEmF1) and lang not in MLQA_LANGUAGES:
        raise ScoringError(
            f"{label_path}: MLQA has no answer normalisation for language {lang!r}; name the file "
            f"test-LANG.json or pass --lang with LANG one of {', '.join(MLQA_LANGUAGES)}"
        )
    predictions, references = _aligned(task, Path(pred_path), Path(label_path), unknown_labels)
    try:
        return metric_for(task).compute(predictions=predictions, references=references, lang=lang)
    except ValueError as err:
        raise ScoringError(f"{pred_path} against {label_path}: {err}") from None


def _lang_of(path: Path, ext: str) -> str:
    match = _FILE_NAME.match(path.name)
    if not match or match["ext"] != ext:
        raise ScoringError(f"{path}: the language comes from a file name test-LANG.{ext}; rename the file or pass --lang")
    return match["lang"]


def _file_pairs(task: str, predictions: Path, labels: Path, lang: str | None) -> list[tuple[str, Path, Path]]:
    """(language, prediction file, label file) triples to score."""
    ext = _EXTENSIONS[submission_format(task)]
    for path in (predictions, labels):
        if not path.exists():
            raise ScoringError(f"{path}: no such file or directory; give an existing file or directory")
    if predictions.is_dir() != labels.is_dir():
        raise ScoringError(f"{predictions} and {labels}: give two files or two directories, not one of each")
    if not labels.is_dir():
        return [(lang or _lang_of(labels, ext), predictions, labels)]
    label_files = sorted(labels.glob(f"test-{lang or '*'}.{ext}"))
    if not label_files:
        raise ScoringError(f"{labels}: no label file test-{lang or 'LANG'}.{ext}; point --labels at the task's label directory")
    extra = {p.name for p in predictions.glob(f"test-{lang or '*'}.{ext}")} - {p.name for p in label_files}
    if extra:
        raise ScoringError(
            f"{predictions}: {', '.join(sorted(extra))} has no label file in {labels}; "
            "remove it or add its labels (or choose one language with --lang)"
        )
    triples = []
    for label_file in label_files:
        pred_file = predictions / label_file.name
        if not pred_file.is_file():
            raise ScoringError(f"{pred_file}: missing; the label file {label_file} needs a prediction file of the same name")
        triples.append((_lang_of(label_file, ext), pred_file, label_file))
    return triples


def score(task: str, predictions: str | Path, labels: str | Path, lang: str | None = None,
          unknown_labels: str = "error") -> dict:
    """Per-language values and their unweighted averages, as XTREME's evaluator prints them.  A predicted
    label outside the task's label set stops with its file and line; `unknown_labels="wrong"` scores it
    as a wrong prediction instead, as XTREME's evaluate.py does."""
    try:
        metric = metric_for(task)
    except UnknownTaskError as err:
        raise ScoringError(f"{err}; pass one of them as TASK") from None
    per_language = {
        language: score_language(task, pred_file, label_file, language, unknown_labels)
        for language, pred_file, label_file in _file_pairs(task, Path(predictions), Path(labels), lang)
    }
    average = {
        f"avg_{name}": sum(values[name] for values in per_language.values()) / len(per_language)
        for name in metric.metric_names
    }
    return {"task": task, "per_language": per_language, "average": average}


# ---------------------------------------------------------------- command line

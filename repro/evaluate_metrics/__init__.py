"""The XTREME metrics as Hugging Face `evaluate` modules, loadable offline from this package.

    import evaluate
    from repro.evaluate_metrics import metric_path
    xnli = evaluate.load(metric_path("xnli"))
    xnli.compute(predictions=["entailment"], references=["neutral"])   # {"accuracy": 0.0}

Each module (`<task>/<task>.py`) returns what `repro score` gives for one language
(`repro.scoring.score_language`): the same `repro.metrics` implementation, on
the XTREME evaluator's 0-100 scale.  Inputs per task:

* xnli, pawsx, tatoeba: one label (string) per example;
* udpos, panx: one list of tags per sentence;
* xquad, tydiqa, mlqa: one answer text (or None) per question against its gold answer texts;
  mlqa takes `lang=` (its answer normalisation depends on the language);
* bucc2018: one row per language, the predicted and the gold `[source id, English id]` pairs
  (the two sets differ in size, and `evaluate` pairs rows one to one).
"""
from __future__ import annotations

from pathlib import Path

import datasets

from repro.errors import UsageError
from repro.scoring import metric_for, scored_tasks, submission_format

HERE = Path(__file__).parent
# the scored tasks (repro.scoring) with a module here
TASKS = tuple(task for task in scored_tasks() if (HERE / task / f"{task}.py").is_file())

_TEXT = datasets.Value("string")
_FEATURES = {
    "labels": {"predictions": _TEXT, "references": _TEXT},
    "tags": {"predictions": datasets.Sequence(_TEXT), "references": datasets.Sequence(_TEXT)},
    "qa": {"predictions": _TEXT, "references": datasets.Sequence(_TEXT)},
    "pairs": {"predictions": datasets.Sequence(datasets.Sequence(_TEXT)),
              "references": datasets.Sequence(datasets.Sequence(_TEXT))},
}


def metric_path(task: str) -> str:
    """The local path to give `evaluate.load` for an XTREME task's metric; ValueError for another task."""
    if task not in TASKS:
        raise UsageError(f"no evaluate module for task {task!r}; one of {', '.join(TASKS)}")
    return str(HERE / task)


def features(task: str) -> datasets.Features:
    """The input features of `task`'s module (see the module docstring)."""
    return datasets.Features(_FEATURES[submission_format(task)])


def description(task: str) -> str:
    """What the module of `task` computes, for its MetricInfo."""
    metric = metric_for(task)
    return (f"XTREME {task}: {', '.join(metric.metric_names)} (x100) as XTREME's evaluate.py computes them, "
            "from repro.metrics (the numbers `repro score` prints for one language)")


def compute(task: str, predictions, references, lang: str | None = None) -> dict[str, float]:
    """`task`'s corpus values for one language, as `repro.scoring.score_language` returns them."""
    if submission_format(task) == "pairs":  # rows are whole pair sets: join them
        predictions = [tuple(p) for row in predictions for p in row]
        references = [tuple(p) for row in references for p in row]
    return metric_for(task).compute(predictions=list(predictions), references=list(references), lang=lang)

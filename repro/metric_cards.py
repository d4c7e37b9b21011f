"""Metric cards for the `evaluate` modules in `repro/evaluate_metrics/<task>/`, generated so they cannot drift.

    python -m repro.metric_cards --write    # (re)write every card
    python -m repro.metric_cards --check    # exit 1 naming each card that differs from what is generated

A card is the README.md Hugging Face `evaluate` expects beside a metric module: YAML front matter
(title, tags, description), then the metric's description, how to use it, its inputs and output
values, values from the paper, limitations and citations.  Everything in it comes from the task's
registry entry (`repro.tasks`: languages, evaluation sets, sizes, source), its metric
(`repro.metrics`: the XTREME evaluator function it reproduces, its limitation), the protocol rows
that name the task (`repro.protocol.CHOICES`) and the paper's printed numbers (`repro/paper/*.csv`);
the example outputs are computed.  `tests/test_metric_cards.py` fails when a committed card differs.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from repro.paper import TABLE2, XTREME, paper_dir, read_table2
from repro.protocol import CHOICES
from repro.tasks import get_task

CARDS_ROOT = Path(__file__).with_name("evaluate_metrics")
CARD_NAME = "README.md"
GENERATOR = "python -m repro.metric_cards --write"

# what one input of each submission format is (repro.scoring)
INPUTS = {
    "labels": ("`list` of `str`", "one label per example, as the gold file writes it",
               "`list` of `str`", "the gold label of each example"),
    "tags": ("`list` of `list` of `str`", "one tag per word of each sentence",
             "`list` of `list` of `str`", "the gold tags of each sentence, as many as its words"),
    "qa": ("`list` of `str` or `None`", "the answer text of each question (`None`: unanswered, scored 0)",
           "`list` of `list` of `str`", "the gold answer texts of each question (the best one counts)"),
    "pairs": ("`list` of `list` of `[str, str]`", "one row per language: its mined `[source id, English id]` pairs",
              "`list` of `list` of `[str, str]`", "one row per language: its gold pairs"),
}
CITATIONS = """\
@inproceedings{hu2020xtreme,
  title = {{XTREME}: A Massively Multilingual Multi-task Benchmark for Evaluating Cross-lingual Generalization},
  author = {Hu, Junjie and Ruder, Sebastian and Siddhant, Aditya and Neubig, Graham and Firat, Orhan and Johnson, Melvin},
  booktitle = {Proceedings of the 37th International Conference on Machine Learning (ICML)},
  year = {2020}
}
@inproceedings{phang2020english,
  title = {English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too},
  author = {Phang, Jason and Calixto, Iacer and Htut, Phu Mon and Pruksachatkun, Yada and Liu, Haokun and
            Vania, Clara and Kann, Katharina and Bowman, Samuel R.},
  booktitle = {Proceedings of AACL-IJCNLP 2020},
  year = {2020},
  note = {arXiv:2005.13013}
}"""


def example(task) -> tuple[list, list, dict]:
    """(predictions, references, keyword arguments) of a small example call for `task`'s format."""
    fmt = task.submission
    if fmt == "labels":
        a, b = (task.labels + ("1", "2"))[:2] if task.labels else ("12", "40")  # Tatoeba: retrieved indices
        return [a, a, b], [a, b, b], {}
    if fmt == "tags":
        a, b = task.labels[:2]
        return [[a, b, b], [b]], [[a, b, a], [b]], {}
    if fmt == "qa":
        lang = "en" if "en" in task.languages else task.languages[0]
        return ["the Rhine", None], [["Rhine", "the river Rhine"], ["1998"]], {"lang": lang}
    if fmt == "pairs":
        lang = next(l for l in task.languages if l != "en")
        ids = [[f"{lang}-{i:06d}", f"en-{j:06d}"] for i, j in ((1, 4), (2, 9), (3, 3))]
        return [ids[:2]], [[ids[0], ids[2]]], {}
    raise ValueError(f"task {task.name!r}: submission format {fmt!r} has no example; add one to "
                     "repro.metric_cards.example")


def paper_values(task) -> list[str]:
    """Table rows of the paper's numbers for `task` (mean over its languages), one per printed model."""
    header, *lines = (paper_dir() / XTREME).read_text(encoding="utf-8").splitlines()
    columns = header.split(",")[1:]
    mine = [c for c in columns if c.startswith(task.name + "_")]
    rows = [f"| model | {' | '.join(mine)} | where |", "|---|" + "---|" * len(mine) + "---|"]
    for line in filter(None, lines):  # model names hold commas: the numbers are the last fields
        parts = line.split(",")
        name, values = ",".join(parts[:-len(columns)]), dict(zip(columns, parts[-len(columns):]))
        if any(values[c].strip() for c in mine):
            rows.append(f"| {name} | {' | '.join(values[c] or '-' for c in mine)} | v1, XTREME block ({XTREME}) |")
    xlmr = next(r for r in read_table2() if r["with_mlm"] == "none")
    rows.append(f"| XLM-R, dev sets | {' | '.join(format(xlmr[c], '.1f') for c in mine)} | v1, Table 2 ({TABLE2}) |")
    return rows


def protocol_rows(task) -> list[str]:
    """The protocol choices (`repro.protocol.CHOICES`) whose text names `task`, as Markdown items."""
    names = {task.name, re.sub(r"[^a-z0-9]", "", (task.paper_label or "").lower())} - {""}
    names = {n for n in names if len(n) >= 4}  # "POS", "NER": too short to find safely
    out = []
    for choice in CHOICES:
        words = {re.sub(r"[^a-z0-9]", "", w.lower()) for w in re.split(r"[\s,;:()/']+", " ".join(
            (choice.topic, choice.choice, choice.why)))}
        if any(w.startswith(n) for w in words for n in names):
            why = choice.why if choice.why.endswith(".") else choice.why + "."
            departs = f" Departs from {' and '.join(choice.deviates_from)}: {why}" if choice.deviates_from else ""
            out.append(f"- **{choice.topic}**: {choice.choice} (source: {choice.source}).{departs}")
    return out


def card(name: str) -> str:
    """The metric card (README.md text) of task `name`'s evaluate module."""
    from repro.evaluate_metrics import compute

    task = get_task(name)
    metric, label = task.metric, task.paper_label or task.name
    names = ", ".join(f"`{n}`" for n in metric.metric_names)
    score = " and ".join(f"`{n}`" for n in metric.score_names)
    summary = (f"XTREME's {label} metric ({', '.join(metric.metric_names)}, 0 to 100) as XTREME's evaluator computes "
               f"it, one language at a time. Data: {task.source}.")
    predictions, references, kwargs = example(task)
    result = {k: round(v, 4) for k, v in compute(name, predictions, references, **kwargs).items()}
    call = ", ".join([f"predictions={predictions!r}", f"references={references!r}",
                      *(f"{k}={v!r}" for k, v in kwargs.items())])
    if task.submission is None or task.sizes is None:  # the scored tasks all have both
        raise ValueError(f"task {name!r} has no submission format or sizes: it has no metric card")
    pred_type, pred_what, ref_type, ref_what = INPUTS[task.submission]
    sets = ", ".join(f"a claim's `{split}` reads `{task.evaluation_set(split)}`" for split in task.sizes.evaluation)
    lang_input = ("- **lang** (`str`, required): the answer's language; the normalisation depends on it.\n"
                  if type(metric).__name__ == "MlqaEmF1" else
                  "- **lang** (`str`, optional): accepted for a uniform call; this metric ignores it.\n")
    protocol = protocol_rows(task) or ["- (no protocol row of repro/protocol.py names this task)"]
    title = f"XTREME {label}" + ("" if label.lower() == name else f" ({name})")
    return f"""---
title: {title}
tags:
- evaluate
- metric
datasets:
- {task.hub.path if task.hub else name}
description: >-
  {summary}
---

<!-- generated by `{GENERATOR}` from the registry entry of `{name}`, its metric and
repro/protocol.py; do not edit by hand (tests/test_metric_cards.py compares) -->

# Metric Card for {title}

## Metric Description

{summary} It reproduces {metric.reference}; the suite's conformance test checks it against that
evaluator's scores on XTREME's mock submission (tests/metrics/test_conformance.py). The task score
XTREME averages over languages is {score}{" (their mean)" if len(metric.score_names) > 1 else ""}.

Languages ({len(task.languages)}): {", ".join(task.languages)}. Evaluation sets: {sets}.

## How to Use

The module is loaded from the package, offline:

```python
>>> import evaluate
>>> from repro.evaluate_metrics import metric_path
>>> metric = evaluate.load(metric_path("{name}"))
>>> metric.compute({call})
{result!r}
```

The same numbers, per language and averaged, come from a whole submission folder with
`repro score {name} PREDICTIONS LABELS`.

### Inputs

- **predictions** ({pred_type}): {pred_what}.
- **references** ({ref_type}): {ref_what}.
{lang_input}
### Output Values

A dict of {names}, each a float from 0 to 100 (values rounded to 4 decimals above); higher is better.

#### Values from Popular Papers

Phang et al. 2020 (arXiv v1), mean over the task's languages; the XTREME block reads test sets where
they exist and dev otherwise.

{chr(10).join(paper_values(task))}

## Limitations and Bias

{metric.limitation} Scores are per language; the paper's task score is their unweighted mean, so a
language with few examples counts as much as one with many.

Protocol choices of this suite that concern {label} (repro/protocol.py):

{chr(10).join(protocol)}

## Citation(s)

```bibtex
{CITATIONS}
```

## Further References

- google-research/xtreme, `evaluate.py`: https://github.com/google-research/xtreme
- The dataset: {task.source}
"""


def card_tasks() -> tuple[str, ...]:
    """The tasks with an evaluate module, so with a card."""
    from repro.evaluate_metrics import TASKS
    return TASKS


def stale_cards(root: Path = CARDS_ROOT) -> list[str]:
    """The tasks under `root` whose committed card is missing or differs from `card(task)`."""
    stale = []
    for name in card_tasks():
        path = root / name / CARD_NAME
        if not path.is_file() or path.read_text(encoding="utf-8") != card(name):
            stale.append(name)
    return stale


def main(argv=None) -> int:
    """`--write` every card under `--root`, or `--check` them (exit 1 naming the stale ones and the fix)."""
    parser = argparse.ArgumentParser(prog="python -m repro.metric_cards", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write every card")
    mode.add_argument("--check", action="store_true",
                      help="exit 1 if a committed card differs from the generated one")
    parser.add_argument("--root", type=Path, default=CARDS_ROOT,
                        help="the evaluate_metrics folder (default: the package's)")
    args = parser.parse_args(argv)
    if args.write:
        for name in card_tasks():
            (args.root / name).mkdir(parents=True, exist_ok=True)
            (args.root / name / CARD_NAME).write_text(card(name), encoding="utf-8")
        print(f"wrote {len(card_tasks())} metric cards under {args.root}")
        return 0
    stale = stale_cards(args.root)
    if stale:
        print(f"metric cards missing or out of date under {args.root}: {', '.join(stale)}; regenerate them with "
              f"`{GENERATOR}`", file=sys.stderr)
        return 1
    print(f"{len(card_tasks())} metric cards match their registry entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())

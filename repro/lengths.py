"""Token-length samples of every task, for the cost model (`repro.cost`).

    python -m repro.lengths [--data-dir DIR --tokenizer PATH] [--rows N] [--out repro/length_samples.json]

Per task, untruncated sub-word lengths with special tokens of up to `--rows` rows of its
English training data (`train`) and of its evaluation data (`eval`, pooled over languages):

- classification, tagging, MLM: one length per sequence (a pair: `<s> A </s></s> B </s>`);
- multiple choice: per question, the longest of its (context, choice) sequences, which sets
  the question's padded width in a batch;
- QA: `[question, context]` sub-words per question (the question cut at 64, as the windows
  do), from which the cost model derives windows at any max length and stride;
- retrieval: one length per sentence embedded.

A `--data-dir` in XTREME's download layout (`repro.xtreme_layout`) gives the samples of the
splits it holds (evaluation: pooled over the languages it has; labels are not needed); every
other sample is kept from the `--base` file (default: the committed one) with its source, so
the intermediate tasks keep theirs until real rows exist.  `sources` records, per task and
sample, where it was measured; `source` sums them up.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from repro.errors import UsageError

SAMPLES_PATH = Path(__file__).with_name("length_samples.json")
UNLIMITED = 10**6  # a max length that truncates nothing


def train_tasks() -> tuple[str, ...]:
    """The tasks whose training lengths the cost model needs: the paper profile's intermediate tasks,
    MLM, and the tasks the trained target tasks train on (the registry's targets)."""
    from repro.profiles import PAPER
    from repro.tasks import target_tasks
    trained = [t.trains_on for t in target_tasks() if t.trained]
    return tuple(dict.fromkeys([*PAPER.intermediate_tasks, "mlm", *trained]))


def eval_tasks() -> tuple[str, ...]:
    """The tasks whose evaluation lengths the cost model needs: the registry's target tasks."""
    from repro.tasks import target_tasks
    return tuple(t.name for t in target_tasks())


def sequence_lengths(task, raw, tokenizer) -> list:
    """The lengths of `raw`'s rows as the module docstring describes: the task's format measures them."""
    return task.format.sequence_lengths(raw, task, tokenizer)


def training_rows(task_name: str, data, rows: int):
    """Up to `rows` English training rows of `task_name`."""
    from repro.profiles import SMOKE
    from repro.tasks import get_task

    task = get_task(task_name)
    if task.trained_format.reads_own_rows:  # the corpus the run assembles (MLM)
        config = replace(SMOKE.intermediate[task_name], max_train_examples=rows, early_stopping_examples=1)
        return task, task.trained_format.load_rows(data, task, config, 0)[0]
    raw = data.load(task, "train", "en")
    return task, raw.select(range(min(rows, len(raw))))


# the split whose sentences are measured for a task's evaluation (default: validation); BUCC's test
# (training gold) is 14 times its dev set and dominates its cost
LENGTH_SPLITS = {"bucc2018": "test"}


def _length_split(task) -> str:
    return task.eval_split or LENGTH_SPLITS.get(task.name, "validation")


def evaluation_rows(task_name: str, data, languages, rows: int) -> tuple:
    """The task and up to `rows` evaluation rows per language, pooled, as one list of datasets."""
    from repro.tasks import get_task

    task = get_task(task_name)
    split = _length_split(task)
    pooled = []
    for lang in languages:
        raw = data.load(task, split, lang)
        pooled.append(raw.select(range(min(rows, len(raw)))) if hasattr(raw, "select") else raw[:rows])
    return task, pooled


def all_languages(task_name: str) -> tuple[str, ...]:
    """The task's evaluation languages that have data in its evaluation split."""
    from repro.tasks import get_task
    task = get_task(task_name)
    split = _length_split(task)
    return tuple(lang for lang in task.languages if lang not in task.missing.get(split, ()))


def measure(data, tokenizer, rows: int, languages) -> dict:
    """{task: {"train": lengths, "eval": lengths}} for every task the cost model needs."""
    table: dict[str, dict] = {}
    for name in train_tasks():
        task, raw = training_rows(name, data, rows)
        table.setdefault(name, {})["train"] = sequence_lengths(task, raw, tokenizer)
    for name in eval_tasks():
        task, pooled = evaluation_rows(name, data, languages(name), rows)
        table.setdefault(name, {})["eval"] = [n for raw in pooled for n in sequence_lengths(task, raw, tokenizer)]
    return table


def _spread(raw, rows: int):
    """Up to `rows` rows of `raw`, evenly spread (the whole corpus of a task read as one, BUCC's)."""
    if len(raw) <= rows:
        return raw
    return raw.select(sorted({int(i) for i in np.linspace(0, len(raw) - 1, rows)}))


def measure_layout(data, tokenizer, rows: int, base: dict, described: str) -> tuple[dict, dict]:
    """({task: {"train"|"eval": lengths}}, {task: {"train"|"eval": source}}): the samples XTREME's layout
    under `data.root` holds measured (up to `rows` rows per language), the others kept from `base`."""
    from repro.tasks import get_task

    old_sources = base.get("sources", {})
    tasks = {name: dict(sample) for name, sample in base["tasks"].items()}
    sources = {name: {which: old_sources.get(name, {}).get(which, base["source"]) for which in sample}
               for name, sample in base["tasks"].items()}

    def found(task, split, languages):
        return [lang for lang in languages if data.layout_files(task, split, lang)]

    for name in train_tasks():
        task = get_task(name)
        if not found(task, "train", ("en",)):
            continue
        raw = data.load(task, "train", "en", need_labels=False)
        tasks.setdefault(name, {})["train"] = sequence_lengths(task, raw.select(range(min(rows, len(raw)))), tokenizer)
        sources.setdefault(name, {})["train"] = (f"{data.layout_files(task, 'train', 'en')[0]} (first {rows} rows), "
                                                 f"{described}")
    for name in eval_tasks():
        task = get_task(name)
        split = next((s for s in (task.eval_split or "validation", "validation") if found(task, s, task.languages)),
                     None)
        if split is None:
            continue
        languages = found(task, split, task.languages)
        pooled = [_spread(data.load(task, split, lang, need_labels=False), rows) for lang in languages]
        tasks.setdefault(name, {})["eval"] = [n for raw in pooled for n in sequence_lengths(task, raw, tokenizer)]
        sources.setdefault(name, {})["eval"] = (f"XTREME layout {data.root}, {task.name} {split} in "
                                                f"{len(languages)} language(s) ({', '.join(languages)}), up to "
                                                f"{rows} rows each, {described}")
    return tasks, sources


def load_samples(path: Path = SAMPLES_PATH) -> dict:
    """The committed length samples: {"source": ..., "tasks": {task: {"train"|"eval": lengths}}};
    ValueError naming the file and the fix when it is missing or not such an object."""
    fix = f"measure it with `python -m repro.lengths --out {path}`, or restore the committed file with git"
    if not path.is_file():
        raise UsageError(f"{path} is missing; {fix}")
    try:
        samples = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UsageError(f"{path} is not JSON ({err}); {fix}") from None
    if not isinstance(samples, dict) or not isinstance(samples.get("tasks"), dict) or "source" not in samples:
        raise UsageError(f"{path} holds no length samples (an object with \"source\" and \"tasks\"); {fix}")
    return samples


def main(argv=None) -> int:
    """Print the length samples as JSON (the format of `repro/length_samples.json`)."""
    from repro import xtreme_layout
    from repro.data import DataSource
    from repro.profiles import SMOKE
    from repro.tasks import get_task

    p = argparse.ArgumentParser(prog="python -m repro.lengths", description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None, help="local data <task>/<lang>/<split>.jsonl (default: fixtures)")
    p.add_argument("--tokenizer", default=None, help="tokenizer path or cached hub id (default: the fixture one)")
    p.add_argument("--rows", type=int, default=512, help="rows per task and split (and per language)")
    p.add_argument("--base", type=Path, default=SAMPLES_PATH,
                   help="samples kept where an XTREME-layout --data-dir has no rows (default: the committed file)")
    p.add_argument("--out", type=Path, default=None,
                   help="write here, replacing the file only once every sample is measured (default: stdout)")
    args = p.parse_args(argv)
    from transformers import AutoTokenizer
    from transformers.utils import logging

    from repro.models import fixture_tokenizer
    logging.set_verbosity_error()
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer) if args.tokenizer else fixture_tokenizer(UNLIMITED)
    tokenizer.model_max_length = UNLIMITED  # lengths are measured uncut
    described = f"tokenizer {args.tokenizer or 'fixture (repro/fixtures/tokenizer.json)'}"
    if args.data_dir and xtreme_layout.detect(Path(args.data_dir)):
        base = load_samples(args.base)
        tasks, sources = measure_layout(DataSource("local", Path(args.data_dir)), tokenizer, args.rows, base,
                                        described)
        real = sorted(name for name, sample in sources.items() if any(str(args.data_dir) in s for s in sample.values()))
        source = (f"mixed: {', '.join(real)} measured on XTREME's download layout {args.data_dir} with the "
                  f"{described}; "
                  f"the others kept from {args.base.name} ({base['source']}); per sample: sources")
        _write({"source": source, "tasks": tasks, "sources": sources}, args.out)
        return 0
    if args.data_dir:
        data = DataSource("local", Path(args.data_dir))
        languages = all_languages
    else:
        data = DataSource("fixture", fixture_sizes={"train": args.rows, "validation": args.rows, "test": args.rows})
        languages = lambda task_name: SMOKE.fixture_languages(task_name, get_task(task_name).languages)  # noqa: E731
    source = (f"data {args.data_dir or 'fixture (synthetic, in the hub schemas)'}, tokenizer "
              f"{args.tokenizer or 'fixture (repro/fixtures/tokenizer.json)'}, up to {args.rows} rows per task "
              "and split (evaluation: per language)")
    _write({"source": source, "tasks": measure(data, tokenizer, args.rows, languages)}, args.out)
    return 0


def _write(samples: dict, out: Path | None) -> None:
    """The samples as one line of JSON on stdout, or into `out` once complete."""
    text = json.dumps(samples, separators=(",", ":")) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:  # a failed measurement (above) leaves the old file as it was
        partial = out.with_name(out.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(out)


if __name__ == "__main__":
    sys.exit(main())

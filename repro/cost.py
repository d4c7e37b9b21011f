"""GPU-hour estimates for planned runs on the `paper` profile, from data sizes, epochs and token lengths.

Cost model (stated, not measured here: no GPU was available to this project's planning):
training costs 6 x N FLOPs per token (forward and backward), evaluation 2 x N, with
N = 560M parameters for XLM-R Large, at THROUGHPUT_TOKENS_PER_S training tokens per second
on one A100-80GB-class GPU in bf16 (about 25% of its 312 TFLOP/s peak, usual for batches of
4 to 32 sequences).  Tokens are what the engine feeds the model:

- training: random batches padded to their longest sequence, so an example costs the
  expected maximum, over a batch of the task's batch size, of its length distribution
  (`expected_max`), each length cut at the max length;
- evaluation: length-sorted batches (`repro.batching`), so an example costs its own length;
- QA: every window of a question (max length and doc_stride as the windows are cut); multiple
  choice: every choice at the question's longest; retrieval: every sentence embedded; a multi-task
  mixture: each task's expected examples (`repro.mixture.spec_examples`).

Length distributions are the samples in `repro/length_samples.json` (`repro.lengths`, which
records where they were measured); `lengths="max"` gives the former upper bound with every
sequence at its max length.  A task without a sample there (a new task) is costed at that bound,
every sequence at its max length, and `repro plan` names it and the fix
(`python -m repro.lengths --out repro/length_samples.json`), so planning never stops for a sample.
Early-stopping evaluations on 500 dev examples are left out.
Sizes are each task's registry entry (`Task.sizes`): the paper's (shared/paper/README.md) or,
where it gives none, the datasets' cards, rounded; planning figures, not the data's exact row counts.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from repro.errors import UnknownName
from repro.profiles import TrainConfig
from repro.tasks import get_task
from repro.tasks.base import Sizes

PARAMS = 560e6
THROUGHPUT_TOKENS_PER_S = 25_000          # training tokens / s / GPU (stated assumption, see above)
EVAL_SPEEDUP = 3.0                        # forward only: 2N instead of 6N FLOPs per token
ALL_LANGUAGES = "@all"                    # suffix of a task trained on every language (repro.plan)
RETRIEVAL_TOKENS = 48                     # the max-length bound's tokens per BUCC / Tatoeba sentence
PAIR_SPECIALS = 4                         # <s> A </s></s> B </s>
BYTES_PER_PARAM = 4                       # stored encoders and checkpoints are fp32 (bf16 autocasts fp32 weights)
CHECKPOINT_COPIES = 3                     # save_total_limit 2 (newest, best) + the one written before rotation


@dataclass(frozen=True)
class Phase:
    """What a run trains or evaluates, reduced to what costs GPU time."""

    # (task whose data trains, its configuration, epochs over its rows: a mixture's expected
    # examples / rows, repro.plan)
    train: tuple[tuple[str, TrainConfig, float], ...] = ()
    # every evaluation set predicted: (task, split, languages, config)
    evaluate: tuple[tuple[str, str, int, TrainConfig | None], ...] = ()
    retrieval_max_length: int = 512                    # retrieval runs: sentences cut at this length


def base_task(name: str) -> str:
    """The task whose size a configuration name uses (`mnli_translated` -> `mnli`; `tydiqa@all`
    keeps its suffix: every language's training rows)."""
    return name.removesuffix("_translated")


def sizes(name: str) -> Sizes:
    """The registry's sizes of task `name`; KeyError naming the fix for a task without them."""
    task = get_task(name)
    if task.sizes is None:
        raise UnknownName(f"task {name!r} has no sizes for the cost model; give its registry entry "
                       "sizes=Sizes(...) (repro/tasks/base.py)")
    return task.sizes


def train_size(name: str) -> int:
    """Training examples of a configuration name (`mnli_translated`: MNLI's; `tydiqa@all`: every language's)."""
    base = base_task(name)
    task = base.removesuffix(ALL_LANGUAGES)
    return sizes(task).train_examples(task, all_languages=base.endswith(ALL_LANGUAGES))


def length_task(name: str) -> str:
    """The task whose length sample a configuration name uses (`tydiqa@all` -> `tydiqa`)."""
    return base_task(name).removesuffix(ALL_LANGUAGES)


def expected_max(lengths, batch: int) -> float:
    """E[max of `batch` independent draws] from the empirical distribution of `lengths`.

    With F the sample's CDF, P(max = v) = F(v)^B - F(v-)^B; `batch` = 1 gives the mean.
    """
    values, counts = np.unique(np.asarray(lengths, dtype=np.float64), return_counts=True)
    cdf = np.cumsum(counts) / counts.sum()
    below = cdf - counts / counts.sum()
    return float(np.sum(values * (cdf ** batch - below ** batch)))


def qa_windows(question: int, context: int, max_length: int, doc_stride: int) -> list[int]:
    """Token lengths of the windows of one question: `<s> q </s></s> context part </s>`, window
    starts `doc_stride` context sub-words apart, as `repro.tasks.qa.context_windows` cuts them."""
    from repro.tasks.qa import window_starts
    capacity = max_length - question - PAIR_SPECIALS
    # a long real question at a tiny profile's max length leaves less room than the stride (the
    # engine would refuse that row): planning counts it at the stride the room allows
    return [question + PAIR_SPECIALS + min(capacity, context - lo)
            for lo in window_starts(context, capacity, min(doc_stride, max(capacity, 1)))]


@functools.cache
def _samples() -> dict:
    from repro.lengths import load_samples
    return load_samples()


MEASURE_FIX = "python -m repro.lengths --out repro/length_samples.json"  # (re)measures every registered task


def has_sample(task: str, split: str) -> bool:
    """Whether `repro/length_samples.json` holds a `split` ("train" or "eval") sample of `task`."""
    return split in _samples()["tasks"].get(task, {})


@functools.lru_cache(maxsize=1024)
def length_sample(task: str, split: str, max_length: int, doc_stride: int = 128) -> tuple[np.ndarray, float] | None:
    """(lengths of the model inputs, inputs per example) of `task`'s `split` ("train" or "eval")
    sample at `max_length`: QA windows, one input otherwise (multiple choice: the longest choice);
    None where the file holds no such sample (the callers then cost every sequence at its max length).
    Cached (a plan asks thousands of times for a few samples); the array is read-only."""
    if not has_sample(task, split):
        return None
    sample = _samples()["tasks"][task][split]
    if sample and isinstance(sample[0], list):  # QA: [question, context] per question
        windows = [qa_windows(q, c, max_length, doc_stride) for q, c in sample]
        lengths, per_example = np.array([n for w in windows for n in w]), sum(map(len, windows)) / len(windows)
    else:
        lengths, per_example = np.minimum(np.asarray(sample), max_length), 1.0
    lengths.setflags(write=False)
    return lengths, per_example


def train_tokens_per_example(task: str, config: TrainConfig, lengths: str = "measured") -> float:
    """Tokens one training example of `task` costs in a random batch of `config.batch_size`."""
    choices = sizes(task).sequences
    measured = None if lengths == "max" else length_sample(task, "train", config.max_length, config.doc_stride)
    if measured is None:
        return config.max_length * choices
    features, per_example = measured
    return per_example * expected_max(features, config.batch_size) * choices


def train_tokens(train, lengths: str = "measured") -> float:
    """Training tokens of a phase: each (task, config, epochs) for its epochs over its rows (a
    mixture's task: its expected examples over its rows, `repro.plan` from
    `repro.mixture.spec_examples`), each example at the cost of a random batch of its config."""
    return sum(train_size(task) * epochs * train_tokens_per_example(length_task(task), config, lengths)
               for task, config, epochs in train)


def eval_tokens(evaluate, lengths: str = "measured", retrieval_max_length: int = 512) -> float:
    """Forward tokens of evaluating `evaluate` = (task, split, languages, config) in sorted batches."""
    if evaluate is None:
        return 0.0
    task, split, languages, config = evaluate
    examples = sizes(task).evaluation_examples(task, split) * languages
    if not get_task(task).trained:  # retrieval: every sentence embedded once
        measured = None if lengths == "max" else length_sample(task, "eval", retrieval_max_length)
        return examples * (RETRIEVAL_TOKENS if measured is None else float(measured[0].mean()))
    measured = None if lengths == "max" else length_sample(task, "eval", config.max_length, config.doc_stride)
    if measured is None:
        return examples * config.max_length
    features, per_example = measured
    return examples * per_example * float(features.mean()) * sizes(task).sequences


def gpu_hours(phase: Phase, lengths: str = "measured") -> float:
    """Estimated GPU-hours of one run under the stated throughput; `lengths="max"`: the upper
    bound with every sequence at its max length."""
    if lengths not in ("measured", "max"):
        raise ValueError(f"lengths={lengths!r}: 'measured' (the length samples) or 'max' (the upper bound)")
    tokens = (train_tokens(phase.train, lengths)
              + sum(eval_tokens(e, lengths, phase.retrieval_max_length) for e in phase.evaluate) / EVAL_SPEEDUP)
    return tokens / THROUGHPUT_TOKENS_PER_S / 3600


def unmeasured(phase: Phase) -> tuple[str, ...]:
    """The tasks of `phase` that `repro/length_samples.json` holds no sample for, as "task (train)" or
    "task (eval)": their part of the run is costed at the max-length bound."""
    needed = [(length_task(task), "train") for task, _, _ in phase.train]
    needed += [(task, "eval") for task, *_ in phase.evaluate]
    return tuple(dict.fromkeys(f"{task} ({split})" for task, split in needed if not has_sample(task, split)))


def describe() -> str:
    """One line naming the cost model, for the plan's output."""
    return (f"{THROUGHPUT_TOKENS_PER_S:,} training tokens/s per A100-80GB-class GPU in bf16 for XLM-R Large "
            f"(6N FLOPs/token, N = {PARAMS / 1e6:.0f}M), evaluation {EVAL_SPEEDUP:g}x faster; random training "
            "batches padded to their longest sequence, sorted evaluation batches; token lengths from "
            f"repro/length_samples.json ({_samples()['source']}); see repro/cost.py")


def disk_bytes(runs, params: float = PARAMS) -> tuple[float, float]:
    """(bytes the planned `runs` leave in the store, peak bytes of checkpoints one training run holds).

    An intermediate run keeps its encoder, fp32 weights; target and retrieval runs keep predictions and
    metrics (megabytes, not counted).  A Trainer checkpoint holds the fp32 weights and AdamW's two moments,
    and a run holds `CHECKPOINT_COPIES` of them at its peak until it is published (the store drops them).
    """
    encoders = sum(1 for run in runs if run.spec.kind == "intermediate")
    return encoders * BYTES_PER_PARAM * params, CHECKPOINT_COPIES * 3 * BYTES_PER_PARAM * params


def describe_disk(runs, params: float = PARAMS) -> str:
    """The plan's line on disk: what the runs leave in the store and what one training run holds meanwhile."""
    stored, peak = disk_bytes(runs, params)
    encoder = BYTES_PER_PARAM * params
    return (f"about {stored / 1e9:,.0f} GB left in the store ({round(stored / encoder)} intermediate encoders of "
            f"{encoder / 1e9:.2f} GB in fp32; target and retrieval runs keep predictions), and up "
            f"to {peak / 1e9:.0f} GB of checkpoints per training run until it is published ({CHECKPOINT_COPIES} "
            "checkpoints of fp32 weights and AdamW's two moments: the newest, the best and the one being written)")

"""GPU-hour estimates for planned runs on the `paper` profile, from data sizes, epochs and lengths.

Cost model (stated, not measured here: no GPU was available to this project's planning):
training costs 6 x N FLOPs per token (forward and backward), evaluation 2 x N,
with N = 560M parameters for XLM-R Large, at THROUGHPUT_TOKENS_PER_S training tokens per
second on one A100-80GB-class GPU in bf16 (about 25% of its 312 TFLOP/s peak, usual for
batches of 4 to 32 sequences).  Every sequence counts at its maximum length (an upper bound
with dynamic padding); multiple-choice examples count once per choice; retrieval sentences
count at RETRIEVAL_TOKENS each.  Early-stopping evaluations on 500 dev examples are left out.
Sizes are the paper's (shared/paper/README.md) or, where it gives none, the datasets' cards,
rounded; they are planning figures, not the data's exact row counts.
"""
from __future__ import annotations

from dataclasses import dataclass

PARAMS = 560e6
THROUGHPUT_TOKENS_PER_S = 25_000          # training tokens / s / GPU (stated assumption, see above)
EVAL_SPEEDUP = 3.0                        # forward only: 2N instead of 6N FLOPs per token
RETRIEVAL_TOKENS = 48                     # mean sub-words per BUCC / Tatoeba sentence (dynamic padding)

# English training examples (paper facts; SST-2 and the MLM corpus: their cards / v1's 2M sentences)
TRAIN_SIZES = {"anli_plus": 1_104_934, "mnli": 392_702, "qqp": 363_846, "squad": 87_599, "hellaswag": 39_905,
               "cosmosqa": 25_588, "commonsenseqa": 9_741, "ccg": 38_015, "sst2": 67_349, "mlm": 2_000_000,
               "pawsx": 49_401, "udpos": 21_253, "panx": 20_000, "tydiqa": 3_696}
# choices per example of the multiple-choice tasks (each is a sequence)
CHOICES = {"hellaswag": 4, "cosmosqa": 4, "commonsenseqa": 5}
# evaluation examples per language, by split (XTREME's sets, rounded)
EVAL_SIZES = {
    "validation": {"xnli": 2_490, "pawsx": 2_000, "udpos": 1_500, "panx": 10_000, "xquad": 1_190, "mlqa": 1_000,
                   "tydiqa": 560, "tatoeba": 2_000, "bucc2018": 40_000},
    "test": {"xnli": 5_010, "pawsx": 2_000, "udpos": 1_500, "panx": 10_000, "xquad": 1_190, "mlqa": 4_500,
             "tydiqa": 560, "tatoeba": 2_000, "bucc2018": 560_000},
}


@dataclass(frozen=True)
class Phase:
    """What a run trains or evaluates, reduced to what costs GPU time."""

    train: tuple[tuple[str, float, int], ...] = ()   # (task, epochs, max_length) per trained task
    evaluate: tuple[str, str, int, int] | None = None  # (task, split, languages, max_length)


def base_task(name: str) -> str:
    """The task whose size a configuration name uses (`mnli_translated` -> `mnli`)."""
    return name.removesuffix("_translated")


def train_tokens(train) -> float:
    """Training tokens of a phase: each task for its epochs (a mixture's task: its expected
    examples over its rows, `repro.plan` from `repro.multitask.spec_examples`)."""
    return sum(TRAIN_SIZES[base_task(t)] * epochs * length * CHOICES.get(base_task(t), 1)
               for t, epochs, length in train)


def eval_tokens(evaluate) -> float:
    if evaluate is None:
        return 0.0
    task, split, languages, length = evaluate
    length = RETRIEVAL_TOKENS if task in ("bucc2018", "tatoeba") else length
    return EVAL_SIZES[split][task] * languages * length


def gpu_hours(phase: Phase) -> float:
    """Estimated GPU-hours of one run under the stated throughput."""
    tokens = train_tokens(phase.train) + eval_tokens(phase.evaluate) / EVAL_SPEEDUP
    return tokens / THROUGHPUT_TOKENS_PER_S / 3600


def describe() -> str:
    """One line naming the cost model, for the plan's output."""
    return (f"{THROUGHPUT_TOKENS_PER_S:,} training tokens/s per A100-80GB-class GPU in bf16 for XLM-R Large "
            f"(6N FLOPs/token, N = {PARAMS / 1e6:.0f}M), evaluation {EVAL_SPEEDUP:g}x faster, sequences at "
            "their max length; see repro/cost.py")

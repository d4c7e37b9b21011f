"""Early stopping as the authors ran it, and the dev rows it is measured on.

jiant's XTREME runs (`jiant/scripts/benchmarks/xtreme/subscripts/e_run_models.sh`) evaluate every
1,000 steps and stop after `--no_improvements_for_n_evals 30` evaluations without a new best
(`jiant/proj/main/metarunner.py`: stop when `num_evals_since_improvement >= n`), then load the
best model (`load_best_model=True`).  Here an evaluation during the learning-rate warmup never
counts towards the patience: a large task (XNLI's MNLI at batch 4: about 196k steps, 19.6k of
them warmup) must not stop before its learning rate has peaked.  The best checkpoint itself is
kept by the Trainer (`load_best_model_at_end`).
"""
from __future__ import annotations

import numpy as np
from transformers import TrainerCallback
from transformers.trainer_callback import ExportableState

from repro.errors import UnknownName


class PatientEarlyStopping(TrainerCallback, ExportableState):
    """Stop after `patience` evaluations past warmup without a new best score; record the steps.

    Its count (best score and step, evaluations since the best) is saved in every Trainer
    checkpoint (`state`) and restored when training resumes from one.

    `summary()` gives what `train_log.json` records: the best step and score, the step training
    stopped at, whether it stopped early, the warmup length and the patience.
    """

    def __init__(self, patience: int):
        if int(patience) != patience or patience < 1:
            raise ValueError(f"early-stopping patience must be a whole number of evaluations >= 1, got {patience}; "
                             "set TrainConfig.patience (jiant's XTREME runs: 30)")
        self.patience = int(patience)
        self.best_score: float | None = None
        self.best_step: int | None = None
        self.since_best = 0
        self.warmup_steps = 0
        self.max_steps = 0
        self.stopped_step: int | None = None
        self.stopped_early = False

    def on_train_begin(self, args, state, control, **kwargs):
        self.max_steps = state.max_steps
        self.warmup_steps = args.get_warmup_steps(state.max_steps)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        key = args.metric_for_best_model
        key = key if key.startswith("eval_") else f"eval_{key}"
        if not metrics or key not in metrics:
            raise UnknownName(f"early stopping needs {key!r} among the evaluation metrics; got {sorted(metrics or {})}; "
                              "compute it in the task's dev metrics, or stop on one of those")
        score = float(metrics[key])
        if self.best_score is None or score > self.best_score:  # strictly better, as the Trainer's best model
            self.best_score, self.best_step, self.since_best = score, state.global_step, 0
        elif state.global_step > self.warmup_steps:  # an evaluation in warmup never counts
            self.since_best += 1
        if self.since_best >= self.patience:
            control.should_training_stop = True
            self.stopped_early = state.global_step < state.max_steps

    def on_train_end(self, args, state, control, **kwargs):
        self.stopped_step = state.global_step

    def state(self) -> dict:
        """What a Trainer checkpoint keeps of this callback (restored on resume)."""
        return {"args": {"patience": self.patience},
                "attributes": {"best_score": self.best_score, "best_step": self.best_step,
                               "since_best": self.since_best, "stopped_early": self.stopped_early}}

    def summary(self) -> dict:
        """The early-stopping record of one training run."""
        return {"best_step": self.best_step, "best_score": self.best_score, "stopped_step": self.stopped_step,
                "stopped_early": self.stopped_early, "max_steps": self.max_steps,
                "warmup_steps": self.warmup_steps, "patience": self.patience}


def early_stopping_rows(parts: list, n: int, seed: int):
    """At most `n` dev rows for early stopping, drawn from every one of `parts` (datasets).

    One part (a single dataset): its first `n` rows, as jiant's `eval_subset_num`.  Several
    (ANLI+: ANLI R1-R3, MNLI, SNLI): each part gets its share of `n` in proportion to its size
    (largest remainders, at least one row each), drawn at random with `seed`, so the early-stopping
    score estimates the whole concatenated dev set rather than its first part (ANLI R1).
    """
    from datasets import concatenate_datasets

    if n < 1:
        raise ValueError(f"early_stopping_examples must be >= 1, got {n}")
    sizes = np.array([len(p) for p in parts])
    if len(parts) == 1 or sizes.sum() <= n:
        data = parts[0] if len(parts) == 1 else concatenate_datasets(parts)
        return data.select(range(min(len(data), n)))
    if n < len(parts):
        raise ValueError(f"{n} early-stopping rows cannot represent {len(parts)} dev parts; "
                         f"set early_stopping_examples to at least {len(parts)}")
    shares = part_shares(sizes, n)
    rng = np.random.default_rng(seed)
    chosen = [p.select(np.sort(rng.choice(len(p), size=k, replace=False))) for p, k in zip(parts, shares)]
    return concatenate_datasets(chosen)


def part_shares(sizes, n: int) -> np.ndarray:
    """Rows per part: `n` split in proportion to `sizes` by largest remainders, each part at least one."""
    sizes = np.asarray(sizes, dtype=float)
    quota = n * sizes / sizes.sum()
    shares = np.maximum(np.floor(quota).astype(int), 1)
    order = np.argsort(-(quota - np.floor(quota)), kind="stable")
    i = 0
    while shares.sum() < n:
        shares[order[i % len(order)]] += 1
        i += 1
    while shares.sum() > n:  # the minimum of one row pushed the total over
        j = int(np.argmax(shares - quota))
        shares[j] -= 1
    return np.minimum(shares, sizes.astype(int))

"""Multi-task phase (ii): one shared encoder, a fresh head per task, single-task batches.

The paper (v1 App. A) samples task m with probability min(e_m, K) / sum_n min(e_n, K),
e_m = its number of training examples, K = 2^17, and mixes continued multilingual MLM
in as one more task.  Here:

- `MixtureModel` registers the shared encoder once and, per task, the task's own head
  model (its format's `model_class`, head freshly initialised; the MLM head is the
  checkpoint's) whose encoder attribute is replaced by a reference to the shared one.
- `MixtureSampler` yields batches of one task each, the task drawn by the rule with a
  seeded generator, each task at its own batch size (its single-task batch size:
  the paper's "mixed"), its rows reshuffled whenever they are used up.
- Length: `epochs` passes over the capped total C = sum_m min(e_m, K) examples at the
  expected batch size b = sum_m p_m b_m, i.e. ceil(epochs * C / b) batches (paper:
  "multi-task mixed / 3 epochs"), shared out among processes and gradient-accumulation
  steps as a single task's batches are.  Without `eval_every_steps`, the dev score is
  taken once per pass.
- MLM mixed into tasks (`mixture_length`): the tasks see the examples they see without MLM
  (a single task: its own epochs over all its features, e.g. QA windows; several: their
  share of the mixture above), and MLM adds batches at its rate instead of taking theirs.  Passes over the capped
  total would confound MLM with less training: ANLI+ with MLM would see about half an epoch
  against 2 without.  The paper ("MLM 8/-", "multi-task mixed/3") states no length for
  these runs; matching the examples is this suite's reading, so that `mlm-no-gain`
  compares MLM, not training length.
- `MixtureTrainer` is `transformers.Trainer` with that loader, an evaluation that scores
  every task on its first `early_stopping_examples` dev examples and reports their mean
  as `eval_score` (early stopping and the best checkpoint); `MixtureModel`'s state dict keeps
  tied tensors (the MLM decoder is the word embeddings) once, so the Trainer's own checkpoints
  and best-model loading serve it.
Only the shared encoder is handed on, as after a single task.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch.nn as nn
from transformers import Trainer
from transformers.utils import find_labels

from repro.mixture import K, expected_examples, is_mixture, mixture_batches, mixture_length, mixture_rates
from repro.profiles import TrainConfig
from repro.tasks import Task

__all__ = ["K", "MixtureModel", "MixtureSampler", "MixtureTrainer", "TaskData", "expected_examples", "is_mixture",
           "mixture_batches", "mixture_length", "mixture_rates", "train"]

log = logging.getLogger(__name__)


def model_columns(model) -> set[str]:
    """The input names the forward of a head model takes."""
    import inspect
    return set(inspect.signature(model.forward).parameters) - {"self", "kwargs"}


class MixtureSampler:
    """Batches of global row indices, each from one task drawn by `rates` (a seeded generator).

    `sizes[m]` feature rows of task m sit at `offsets[m]` in the concatenated dataset.
    """

    def __init__(self, sizes: Sequence[int], batch_sizes: Sequence[int], rates: Sequence[float],
                 batches: int, seed: int):
        import numpy as np
        if not len(sizes) == len(batch_sizes) == len(rates):
            raise ValueError("one size, batch size and rate per task")
        self.sizes, self.batch_sizes = list(sizes), list(batch_sizes)
        self.rates = np.asarray(rates, dtype=np.float64) / np.sum(rates)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(int)
        self.batches, self.seed, self.epoch = batches, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.batches

    def tasks(self):
        """The task index of every batch, in order."""
        import numpy as np
        rng = np.random.default_rng([self.seed, self.epoch])
        return rng.choice(len(self.sizes), size=self.batches, p=self.rates)

    def __iter__(self):
        import numpy as np
        rng = np.random.default_rng([self.seed, self.epoch, 1])
        order = [rng.permutation(n) for n in self.sizes]
        cursor = [0] * len(self.sizes)
        for m in self.tasks():
            take = []
            while len(take) < self.batch_sizes[m]:
                if cursor[m] == self.sizes[m]:  # used up: a fresh pass in a new order
                    order[m], cursor[m] = rng.permutation(self.sizes[m]), 0
                hi = min(self.sizes[m], cursor[m] + self.batch_sizes[m] - len(take))
                take.extend(order[m][cursor[m]:hi])
                cursor[m] = hi
            yield [int(self.offsets[m] + i) for i in take]


class MixtureRows:
    """The tasks' feature datasets end to end; a row carries its task index as `task`."""

    def __init__(self, datasets: Sequence):
        self.datasets = list(datasets)
        self.bounds = []
        total = 0
        for data in self.datasets:
            total += len(data)
            self.bounds.append(total)

    def __len__(self) -> int:
        return self.bounds[-1] if self.bounds else 0

    def __getitem__(self, index: int) -> dict:
        import bisect
        m = bisect.bisect_right(self.bounds, index)
        start = self.bounds[m - 1] if m else 0
        return {**self.datasets[m][index - start], "task": m}


class MixtureCollator:
    """Collates a batch of one task with that task's own collator; `task` rides along."""

    def __init__(self, collators: Sequence):
        self.collators = list(collators)

    def __call__(self, rows: list[dict]) -> dict:
        tasks = {row["task"] for row in rows}
        if len(tasks) != 1:
            raise ValueError(f"a mixture batch must hold one task, got task indices {sorted(tasks)}")
        m = tasks.pop()
        batch = self.collators[m]([{k: v for k, v in row.items() if k != "task"} for row in rows])
        batch["task"] = m
        return batch


class _SharedEncoder:
    """A reference to the shared encoder that is not a registered submodule."""

    def __init__(self, encoder):
        self.encoder = encoder

    def __call__(self, *args, **kwargs):
        return self.encoder(*args, **kwargs)


class MixtureModel(nn.Module):
    """The shared encoder and one head model per task; `forward(task=m, ...)` runs task m.

    Its state dict holds a tied tensor (the MLM decoder is the word embeddings) once, under its
    first name, and loading one restores every name through it; a state dict that misses anything
    else, or holds names the model lacks, raises whatever `strict` says.  So the Trainer's own
    checkpoints (safetensors refuses shared tensors) and its best-model loading serve a mixture
    as they are.  Load it as the root module: names are its own.
    """

    def __init__(self, encoder, heads, forwards: Sequence[Callable] | None = None):
        super().__init__()
        self.encoder = encoder
        self.heads = nn.ModuleList(heads)
        # per task, (head, **inputs) -> outputs: its format's `head_forward` (MLM: masked positions only)
        self.forwards = list(forwards) if forwards is not None else [_call] * len(heads)
        self.register_state_dict_post_hook(_drop_tied_names)
        self.register_load_state_dict_post_hook(_check_loaded_names)

    def forward(self, task: int, **inputs):
        return self.forwards[task](self.heads[task], **inputs)

    def tied_names(self) -> dict[str, str]:
        """Every further name of a tied parameter -> the first name it has."""
        first: dict[int, str] = {}
        tied = {}
        for name, param in self.named_parameters(remove_duplicate=False):
            kept = first.setdefault(id(param), name)
            if kept != name:
                tied[name] = kept
        return tied


def _call(head, **inputs):
    return head(**inputs)


def _drop_tied_names(model: MixtureModel, state_dict, prefix: str, local_metadata) -> None:
    for name in model.tied_names():
        state_dict.pop(prefix + name, None)


def _check_loaded_names(model: MixtureModel, incompatible) -> None:
    tied = model.tied_names()
    lost = [name for name in incompatible.missing_keys if name not in tied]
    if lost or incompatible.unexpected_keys:
        raise RuntimeError(f"the state dict does not match the mixture model: missing {sorted(lost)}, "
                           f"unexpected {sorted(incompatible.unexpected_keys)}")
    incompatible.missing_keys.clear()  # tied names are loaded through the name kept


def _build_model(formats: Sequence, tasks: Sequence, init: str) -> MixtureModel:
    """The mixture over one shared encoder; heads built in task order (after the caller seeds)."""
    # Load one task model at a time and keep only the largest encoder (a multiple-choice head's
    # has the pooler the others lack): one checkpoint's encoder in memory, not one per task.
    shared, models = _SharedEncoder(None), []
    for fmt, task in zip(formats, tasks):
        model, info = fmt.model_class.from_pretrained(init, output_loading_info=True, **fmt.model_kwargs(task))
        if fmt.pretrained_head and info["missing_keys"]:
            raise ValueError(f"{task.name} trains the checkpoint's own head, but {init} lacks "
                             f"{', '.join(sorted(info['missing_keys']))}: start from a masked-LM checkpoint")
        own = model.base_model
        if shared.encoder is None or _size(own) > _size(shared.encoder):
            shared.encoder = own
        delattr(model, model.base_model_prefix)
        setattr(model, model.base_model_prefix, shared)
        models.append(model)
    encoder = shared.encoder
    for model in models:
        output = model.get_output_embeddings()
        if output is not None and getattr(model.config, "tie_word_embeddings", False):
            output.weight = encoder.get_input_embeddings().weight  # the MLM decoder reads the shared embeddings
    return MixtureModel(encoder, models, [fmt.head_forward for fmt in formats])


def _size(module) -> int:
    return sum(p.numel() for p in module.parameters())


@dataclass
class TaskData:
    """One task of a mixture: its entry, configuration, and raw and featurised data."""

    task: Task
    config: TrainConfig
    train_raw: Any      # datasets.Dataset: the rows
    dev_raw: Any
    train: Any          # datasets.Dataset: the features
    dev: Any
    checks: dict | None = None  # the format's report on its training rows (QA: repaired, dropped)


class MixtureTrainer(Trainer):
    """`Trainer` over a mixture: its own loader and a mean dev score.  Checkpoints and the best
    model's loading are the Trainer's own, through `MixtureModel`'s tie-aware state dict."""

    # the Trainer's own attributes that `evaluate` sets per task (transformers is not type-checked here)
    label_names: list[str]
    preprocess_logits_for_metrics: Callable | None
    control: Any

    def __init__(self, *args, mixture: list[TaskData], sampler: MixtureSampler, dev_scores, **kwargs):
        super().__init__(*args, **kwargs)
        self.mixture, self.sampler, self.dev_scores = mixture, sampler, dev_scores
        self.model_accepts_loss_kwargs = False  # each head averages its own loss

    def get_train_dataloader(self):
        from torch.utils.data import DataLoader
        loader = DataLoader(self.train_dataset, batch_sampler=self.sampler, collate_fn=self.data_collator,
                            num_workers=self.args.dataloader_num_workers,
                            pin_memory=self.args.dataloader_pin_memory)
        return self.accelerator.prepare(loader)  # several processes: every one takes its own batches

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval") -> dict:
        """Every task's score on its dev subset and their mean, `{prefix}_score`."""
        metrics, scores = {}, []
        saved = self.label_names, self.preprocess_logits_for_metrics
        try:
            for m, item in enumerate(self.mixture):
                head = self.accelerator.unwrap_model(self.model).heads[m]
                self.label_names = find_labels(type(head))
                self.preprocess_logits_for_metrics = item.task.trained_format.reduce_logits
                columns = [c for c in item.dev.column_names if c in model_columns(head)]
                rows = item.dev.select_columns(columns).add_column("task", [m] * len(item.dev))
                output = self.evaluation_loop(self.get_eval_dataloader(rows), f"Evaluation {item.task.name}",
                                              prediction_loss_only=False, metric_key_prefix=metric_key_prefix)
                score = self.dev_scores(item, output.predictions)
                metrics[f"{metric_key_prefix}_{item.task.name}_score"] = score
                scores.append(score)
        finally:
            self.label_names, self.preprocess_logits_for_metrics = saved
        metrics[f"{metric_key_prefix}_score"] = float(sum(scores) / len(scores))
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics


def train(spec, init: str, work, load_task: Callable[..., TaskData], training_args: Callable) -> tuple:
    """Phase (ii) on `spec`'s tasks as one mixture; (trainer, history).  The encoder is `trainer.model.encoder`.

    `load_task(name, config, tokenizer) -> TaskData` reads and featurises one task, and
    `training_args(spec, config, work, **overrides)` gives a phase's `TrainingArguments` (both the engine's).
    """
    from transformers import PrinterCallback, set_seed

    from repro import distributed
    from repro.checkpoints import callback_of, train_resumable
    from repro.models import checkpoint_tokenizer
    from repro.divergence import NonFiniteLossStop
    from repro.early_stopping import PatientEarlyStopping

    if spec.mixture is None:
        raise ValueError(f"run {spec.slug}: a multi-task run needs the mixture's optimisation (RunSpec.mixture); "
                         "build it with repro.plan.intermediate_spec")
    tokenizer = checkpoint_tokenizer(init)
    mixture = [load_task(name, config, tokenizer) for name, config in spec.train]
    names = [item.task.name for item in mixture]
    sizes = {item.task.name: len(item.train_raw) for item in mixture}  # e_m: training examples
    batch_sizes = {item.task.name: item.config.batch_size for item in mixture}
    rates = mixture_rates(sizes)
    config = spec.mixture
    world = training_args(spec, config, work).world_size  # the processes the Trainer trains on
    # as a single task's epochs: every process takes its own batch, gradients accumulate over several
    task_epochs = {item.task.name: item.config.epochs for item in mixture}  # each task's single-task epochs
    features = {item.task.name: len(item.train) for item in mixture}  # what a single-task epoch iterates
    batches = mixture_length(sizes, batch_sizes, config.epochs, task_epochs, features=features)
    steps = math.ceil(batches / (config.gradient_accumulation * world))
    log.info("mixture %s: rates %s, %d steps", names, {n: round(r, 4) for n, r in rates.items()}, steps)

    set_seed(spec.seed)  # the fresh heads' initialisation and the data order
    model = _build_model([item.task.format for item in mixture], [item.task for item in mixture], init)
    train_sets = []
    for item, head in zip(mixture, model.heads):
        columns = model_columns(head)
        train_sets.append(item.train.select_columns([c for c in item.train.column_names if c in columns]))
    sampler = MixtureSampler([len(d) for d in train_sets], [batch_sizes[n] for n in names], [rates[n] for n in names],
                             batches=steps * config.gradient_accumulation * world, seed=spec.seed)
    # evaluate every `eval_every_steps`, or once per pass over the capped total
    every = config.eval_every_steps or max(1, math.ceil(steps / max(config.epochs, 1)))
    args = training_args(spec, config, work, max_steps=steps, remove_unused_columns=False,
                         eval_strategy="steps", save_strategy="steps", logging_strategy="steps",
                         eval_steps=every, save_steps=every, logging_steps=every,
                         per_device_train_batch_size=1)  # the per-task batch sizes are the sampler's
    stopping = PatientEarlyStopping(config.patience)  # jiant's rule; never during warmup
    diverged = NonFiniteLossStop(spec.slug)  # a NaN or infinite logged loss stops training (repro/divergence.py)
    trainer = MixtureTrainer(
        model=model, args=args, train_dataset=MixtureRows(train_sets),
        eval_dataset={item.task.name: item.dev for item in mixture},  # read by `evaluate` through `mixture`
        data_collator=MixtureCollator([item.task.trained_format.collator(tokenizer) for item in mixture]),
        processing_class=tokenizer, mixture=mixture, sampler=sampler, dev_scores=dev_score,
        callbacks=[stopping, diverged])
    trainer.remove_callback(PrinterCallback)
    resumed = train_resumable(trainer, work)  # from the newest whole checkpoint of an interrupted attempt
    distributed.state().wait_for_everyone()  # every rank has loaded the best checkpoint
    history = {"best_metric": trainer.state.best_metric, "metric": "score (mean over tasks)",
               "steps": trainer.state.global_step,
               "early_stopping": callback_of(trainer, PatientEarlyStopping).summary(), **resumed,
               "mixture_steps": steps, "rates": rates,
               "examples": sizes, "batch_sizes": batch_sizes, "log": trainer.state.log_history,
               # features each task is expected to draw (QA windows, tagging chunks)
               "expected_examples": expected_examples(sizes, batch_sizes,
                                                      steps * config.gradient_accumulation * world),
               "train_rows": {item.task.name: item.checks for item in mixture if item.checks is not None}}
    diverged.record_into(history)
    return trainer, history


def dev_score(item: TaskData, predictions) -> float:
    """A task's early-stopping score on its dev subset (QA: the mean of EM and F1, as single-task)."""
    return float(item.task.trained_format.dev_score(predictions, item.dev, item.dev_raw, item.task))

"""The engine: turns a RunSpec into a finished run in the store.

The paper's three phases: (i) a pretrained masked LM (a hub checkpoint, or the
tiny smoke model built here); (ii) intermediate training on English task(s),
after which only the encoder is kept; (iii) fine-tuning a freshly initialised
head on the target task's English training data, then zero-shot prediction in
every evaluation language.  Retrieval tasks (BUCC, Tatoeba) skip (iii): a
"retrieval" run embeds sentences with the parent's encoder.  Phase (ii) on several
tasks, or with continued multilingual MLM, trains one shared encoder with a head per
task (`repro.multitask`).  Everything task-specific sits in the task's format handler
(`repro.tasks.formats.PredictingFormat`).  Training is `transformers.Trainer`, so the same code
runs on one CPU, one GPU, or several GPUs under `accelerate launch`/`torchrun`.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from repro import distributed, multitask
from repro.batching import predict_in_order
from repro.data import DataError, DataSource, data_source
from repro.data_requests import evaluation_sets, reads_of, training_source
from repro.errors import UsageError
from repro.eval_cache import evaluation_features
from repro.mixture import is_mixture
from repro.models import build_tiny_model, check_hub_model, checkpoint_tokenizer
from repro.profiles import Profile, TinyModel, TrainConfig
from repro.provenance import environment
from repro.spec import RunSpec
from repro.store import Run, RunStore
from repro.tasks import get_task

log = logging.getLogger(__name__)

# Seed of data assembled before training (the MLM corpus's sentence sample), fixed so that
# the corpus is a property of the data, not of the run's seed.
INTERMEDIATE_DATA_SEED = 0


@dataclass
class Engine:
    """Computes runs into a store.  `profile` supplies only settings that cannot change results."""

    store: RunStore
    data: DataSource
    profile: Profile
    compute: bool = True  # False: only read stored runs

    def ensure(self, spec: RunSpec) -> Run:
        """The finished run of `spec` (and of its ancestors), computed once if missing."""
        if spec.parent is not None:
            self.ensure(spec.parent)
        return self.store.ensure(spec, (lambda work: self._execute(spec, work)) if self.compute else None)

    def ensure_many(self, specs) -> dict[RunSpec, Run]:
        """The finished run of every spec in `specs`, those no other process is computing first: processes
        that share the store (xdist workers) each take free runs instead of waiting on one another's
        locks; when every missing run is taken, it waits for the first.  Results are `ensure`'s."""
        pending, runs = list(dict.fromkeys(specs)), {}
        while pending:
            free = next((s for s in pending if not self.compute or not self._taken(s)), pending[0])
            runs[free] = self.ensure(free)
            pending.remove(free)
        return runs

    def _taken(self, spec: RunSpec | None) -> bool:
        """True when `spec` or an ancestor is missing and another process is computing it."""
        while spec is not None:
            if not self.store.path(spec).exists() and self.store.busy(spec):
                return True
            spec = spec.parent
        return False

    def model_path(self, spec: RunSpec | None, base_model) -> str:
        """The checkpoint a run starts from: its parent's, or the hub model."""
        if spec is None:
            if isinstance(base_model, TinyModel):
                raise ValueError("a tiny base model is built by a 'pretrained' run; give the spec that parent")
            return check_hub_model(base_model)
        return str(self.store.path(spec) / "model")

    def _check_data(self, spec: RunSpec) -> None:
        """DataError unless the data directory still holds the data `spec`'s key names (its files'
        content fingerprint), so a run is never stored under a key of other data."""
        if spec.kind == "pretrained" or self.data.synthetic:
            return
        found = self.data.run_identity(reads_of(spec))
        if found != spec.data:
            raise DataError(f"run {spec.dirname}: the data in {self.data.root} is not the data its key names "
                            f"(fingerprint {found.rsplit(':', 1)[-1][:12]}, planned "
                            f"{spec.data.rsplit(':', 1)[-1][:12]}): the files changed after the runs were "
                            "planned; plan again (repro plan / repro run) so the runs take the data as it is now")

    # ----------------------------------------------------------------------------------
    def _execute(self, spec: RunSpec, work: Path) -> None:
        self._check_data(spec)
        _quiet_libraries()
        _freeze_library_objects()
        started = time.time()
        timings: dict[str, float] = {}
        if spec.kind == "pretrained":
            if not isinstance(spec.base_model, TinyModel):
                raise ValueError(f"run {spec.slug}: a pretrained run builds a tiny model, not {spec.base_model!r}; "
                                 "a hub model needs no run (repro.plan.pretrained_spec gives none for it)")
            if distributed.state().is_main_process:
                build_tiny_model(spec.base_model, work / "model", self.profile.tokenizer_dir)
        elif spec.kind == "retrieval":
            # BUCC/Tatoeba: no training; embed with the parent's encoder (or the hub model)
            t0 = time.time()
            self._retrieve(spec, self.model_path(spec.parent, spec.base_model), work)
            timings["eval_s"] = time.time() - t0
        elif spec.kind == "intermediate" and is_mixture(spec.tasks):
            # several tasks (or MLM): one shared encoder, a head per task, batches drawn by the paper's rule
            init = self.model_path(spec.parent, spec.base_model)
            t0 = time.time()
            trainer, history = multitask.train(spec, init, work, self._load_task, self.training_args)
            timings["train_s"] = time.time() - t0
            _write_json(work / "train_log.json", history)
            if distributed.state().is_main_process:
                trainer.model.encoder.save_pretrained(work / "model")
                trainer.processing_class.save_pretrained(work / "model")
        else:
            init = self.model_path(spec.parent, spec.base_model)
            (task_name, config), = spec.train  # several tasks train through the mixture above
            t0 = time.time()
            trainer, history = self._train(spec, task_name, config, init, work)
            timings["train_s"] = time.time() - t0
            _write_json(work / "train_log.json", history)
            if spec.kind == "intermediate" and distributed.state().is_main_process:
                # Hand on the encoder only: every later phase starts a fresh head.
                trainer.model.base_model.save_pretrained(work / "model")
                trainer.processing_class.save_pretrained(work / "model")
            else:
                t0 = time.time()
                self._evaluate(spec, trainer, config, work)
                timings["eval_s"] = time.time() - t0
        timings["total_s"] = time.time() - started
        _write_json(work / "timings.json", timings)
        _write_json(work / "env.json", {**environment(), "bf16": spec.bf16})

    def _load_task(self, task_name: str, config: TrainConfig, tokenizer) -> multitask.TaskData:
        """The English training rows of `task_name` (at most `max_train_examples`), its first
        `early_stopping_examples` dev rows, and their features.

        The task that is read is the one whose data trains `task_name` (XNLI: MNLI); a format
        that assembles its own rows (the MLM corpus, translated tasks) does so in `load_rows`.
        """
        from repro.early_stopping import early_stopping_rows

        source = training_source(task_name)  # e.g. XNLI trains on MNLI
        if source.trained_format.reads_own_rows:
            train_raw, dev_raw = source.trained_format.load_rows(self.data, source, config, INTERMEDIATE_DATA_SEED)
            train_raw, checks = _checked_rows(source, train_raw)
            source = source.with_labels_from(train_raw)
        else:
            train_raw, checks = _checked_rows(source, self._training_rows(source, config))
            source = source.with_labels_from(train_raw)  # the whole training file's label set (CCG's categories)
            if config.max_train_examples is not None:
                train_raw = train_raw.select(range(min(len(train_raw), config.max_train_examples)))
            # every part of a concatenated dev set (ANLI+) is represented (repro.early_stopping)
            dev_raw = early_stopping_rows(self.data.load_parts(source, "validation", "en"),
                                          config.early_stopping_examples, INTERMEDIATE_DATA_SEED)
        fmt = source.trained_format
        train = fmt.train_features(train_raw, source, tokenizer, config)
        dev = fmt.eval_features(dev_raw, source, tokenizer, config)
        return multitask.TaskData(source, config, train_raw, dev_raw, train, dev, checks)

    def _training_rows(self, source, config: TrainConfig):
        """The training rows of `source`: English only (zero-shot transfer; PAWS-X's other train splits
        are machine translations), or with `train_languages = "all"` every language of a multilingual
        training config (TyDiQA-GoldP as the paper trained it), shuffled so a cap draws from all."""
        if config.train_languages == "en":
            return self.data.load(source, "train", "en")  # `select` keeps TyDiQA's english-* rows
        if source.select is None:
            raise UsageError(f"train_languages='all' needs a multilingual training config, but {source.name}'s "
                             "training data is English; set train_languages='en' for it in the profile")
        from dataclasses import replace
        rows = self.data.load(replace(source, select=None), "train", "en")  # the whole config, every language
        if len(source.select(rows, "en")) == len(rows):
            raise UsageError(f"{source.name}: train_languages='all', but its training data holds English rows only; "
                             "give the whole multilingual training config (the hub's), or train on English with "
                             "REPRO_TYDIQA_TRAIN=en")
        return rows.shuffle(seed=INTERMEDIATE_DATA_SEED)

    def training_args(self, spec: RunSpec, config: TrainConfig, work: Path, **overrides):
        """`TrainingArguments` of one training phase under `config` (AdamW, linear schedule, best dev score)."""
        import torch
        from transformers import TrainingArguments

        strategy = "steps" if config.eval_every_steps else "epoch"
        # bf16 is part of the run's identity (RunSpec.bf16): a run is trained as its key says
        bf16 = spec.bf16
        if bf16 and not torch.cuda.is_available():
            log.warning("run %s is a bf16 run and no GPU is available: bf16 autocast on the CPU (slow)", spec.slug)
        settings = dict(
            output_dir=str(work / "checkpoints"),
            learning_rate=config.learning_rate,
            per_device_train_batch_size=config.batch_size,
            gradient_accumulation_steps=config.gradient_accumulation,
            num_train_epochs=config.epochs,
            warmup_steps=config.warmup_ratio,  # a float below 1 is a ratio of all steps
            weight_decay=config.weight_decay,
            lr_scheduler_type="linear",
            eval_strategy=strategy, save_strategy=strategy,
            eval_steps=config.eval_every_steps or None, save_steps=config.eval_every_steps or None,
            load_best_model_at_end=True, metric_for_best_model="score", greater_is_better=True,
            # the newest and the best checkpoint (with 1 the Trainer deletes the newest at the end), each
            # whole (optimiser, scheduler, RNG, early stopping's count): an interrupted run resumes from them
            save_total_limit=2, save_only_model=False, restore_callback_states_from_checkpoint=True,
            per_device_eval_batch_size=self.profile.eval_batch_size,
            bf16=bf16, seed=spec.seed, data_seed=spec.seed,
            train_sampling_strategy="group_by_length" if spec.length_grouped else "random",
            logging_strategy=strategy, logging_steps=config.eval_every_steps or None,
            # a non-finite step loss is logged as it is, for NonFiniteLossStop to see (repro/divergence.py)
            logging_nan_inf_filter=False,
            report_to="none", disable_tqdm=True, dataloader_pin_memory=torch.cuda.is_available(),
            use_cpu=distributed.cpu_only(),  # else a CPU torchrun trains each rank alone
        )
        return TrainingArguments(**{**settings, **overrides})

    def _train(self, spec: RunSpec, task_name: str, config: TrainConfig, init: str, work: Path):
        from transformers import PrinterCallback, Trainer, set_seed

        from repro.checkpoints import callback_of, train_resumable
        from repro.divergence import NonFiniteLossStop
        from repro.early_stopping import PatientEarlyStopping

        tokenizer = checkpoint_tokenizer(init)
        item = self._load_task(task_name, config, tokenizer)
        source, fmt, train, dev, dev_raw = item.task, item.task.predicting_format, item.train, item.dev, item.dev_raw

        set_seed(spec.seed)  # the fresh head's initialisation and the data order
        model = fmt.model_class.from_pretrained(init, **fmt.model_kwargs(source))
        args = self.training_args(spec, config, work)

        def dev_metrics(prediction):
            # early stopping on the task's score (QA: mean of EM and F1) on the English dev subset
            decoded = fmt.decode(prediction.predictions, dev, dev_raw, source)
            predictions, references = source.metric_inputs(
                [{"prediction": p, "reference": r} for p, r in zip(decoded, dev_references)])
            stats = source.metric.unit_stats(predictions=predictions, references=references, lang="en")
            return {**source.metric.compute(predictions=predictions, references=references, lang="en"),
                    "score": float(source.metric.score(stats.sum(axis=0)))}

        dev_references = fmt.references(dev_raw, source)
        stopping, diverged = PatientEarlyStopping(config.patience), NonFiniteLossStop(spec.slug)
        trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=dev,
                          data_collator=fmt.collator(tokenizer), processing_class=tokenizer,
                          compute_metrics=dev_metrics, callbacks=[stopping, diverged])
        trainer.remove_callback(PrinterCallback)  # the history goes to train_log.json instead
        resumed = train_resumable(trainer, work)  # from the newest whole checkpoint of an interrupted attempt
        distributed.state().wait_for_everyone()  # every rank has loaded the best checkpoint
        # the checkpoints stay until the run is published (RunStore drops them), so an attempt
        # interrupted while predicting does not train again
        history = {"best_metric": trainer.state.best_metric, "metric": "score",
                   "steps": trainer.state.global_step,
                   "early_stopping": callback_of(trainer, PatientEarlyStopping).summary(), **resumed,
                   "log": trainer.state.log_history}
        if item.checks is not None:
            history["train_rows"] = item.checks  # rows repaired or dropped before training
        diverged.record_into(history)
        trainer.compute_metrics = None  # the dev metric above knows only the dev set
        return trainer, history

    def _evaluate(self, spec: RunSpec, trainer, config: TrainConfig, work: Path) -> None:
        """Predict every evaluation set (dev and test) in every language zero-shot with the one trained
        model; store per-unit records and metrics."""
        task = get_task(spec.evaluated_task)
        fmt = task.predicting_format
        metrics: dict = {}
        for split, lang in evaluation_sets(spec):
            raw = self.data.load(task, split, lang)
            # made once per process for every run that predicts this set (repro.eval_cache)
            made = evaluation_features(fmt, raw, task, trainer.processing_class, config)
            # length-sorted batches pad little; rows come back in input order
            outputs = predict_in_order(trainer, made.in_length_order, made.order)
            predictions = fmt.decode(outputs, made.features, raw, task)
            records = [{"id": uid, "unit": unit, "prediction": pred, "reference": ref}
                       for (uid, unit), pred, ref in zip(fmt.units(raw, task), predictions,
                                                         fmt.references(raw, task), strict=True)]
            metrics.setdefault(split, {})[lang] = self._store_language(task, split, lang, records, work)
        _write_json(work / "metrics.json", {task.name: metrics})

    def _retrieve(self, spec: RunSpec, init: str, work: Path) -> None:
        """Evaluate a retrieval task on every evaluation set in every language from the encoder at `init`."""
        task = get_task(spec.evaluated_task)
        embed = Embedder(init, spec.retrieval, self.profile.retrieval.batch_size)
        metrics: dict = {}
        for split, lang in evaluation_sets(spec):
            records, extra = task.retrieval_format.evaluate(embed, self.data, task, split, lang)
            metrics.setdefault(split, {})[lang] = {**self._store_language(task, split, lang, records, work),
                                                   **extra}
        _write_json(work / "metrics.json", {task.name: metrics})

    @staticmethod
    def _store_language(task, split: str, lang: str, records: list[dict], work: Path) -> dict:
        """Write predictions/<task>/<split>/<lang>.jsonl ({id, unit, prediction, reference}); the metric values."""
        if distributed.state().is_main_process:
            out_dir = work / "predictions" / task.name / split
            out_dir.mkdir(parents=True, exist_ok=True)
            with (out_dir / f"{lang}.jsonl").open("w", encoding="utf-8") as fh:
                for record in records:
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        predictions, references = task.metric_inputs(records)
        return task.metric.compute(predictions=predictions, references=references, lang=lang)


class Embedder:
    """Sentence embeddings: masked mean of `hidden_states[layer]` over all non-pad tokens.

    `<s>` and `</s>` are included, as jiant's `MeanPoolerHead` (lengths = input_mask.sum).
    """

    def __init__(self, path: str, config, batch_size: int):
        import torch
        from transformers import AutoModel
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = checkpoint_tokenizer(path)
        self.model = AutoModel.from_pretrained(path).to(self.device).eval()
        self.config, self.batch_size = config, batch_size
        layers = self.model.config.num_hidden_layers
        if not 0 <= config.layer <= layers:
            raise ValueError(f"retrieval layer {config.layer} outside 0..{layers} (hidden_states indices)")

    def __call__(self, texts: list[str]):
        """One embedding row per text, in input order; batches of similar token lengths."""
        import numpy as np
        import torch

        from repro.batching import length_order
        enc = self.tokenizer(list(texts), truncation=True, max_length=self.config.max_length)
        order = length_order([len(ids) for ids in enc["input_ids"]])  # similar lengths share a batch
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        with torch.no_grad():
            for lo in range(0, len(order), self.batch_size):
                idx = order[lo:lo + self.batch_size]
                batch = self.tokenizer.pad({"input_ids": [enc["input_ids"][i] for i in idx]},
                                           return_tensors="pt").to(self.device)
                hidden = self.model(**batch, output_hidden_states=True).hidden_states[self.config.layer]
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                out[idx] = ((hidden * mask).sum(1) / mask.sum(1)).float().cpu().numpy()
        return out


def _checked_rows(task, rows):
    """(rows, report): training rows after the format's own check (QA: answers where their offsets
    say, `check_train_rows`); report None for a format without one."""
    rows, report = task.format.check_train_rows(rows, task)
    if report is None:
        return rows, None
    log.info("%s training rows: %s", task.name, report)
    return rows, report


def _write_json(path: Path, value) -> None:
    """Write a run file; under a multi-process launch only rank 0 writes."""
    if distributed.state().is_main_process:
        path.write_text(json.dumps(value, indent=1))


def _quiet_libraries() -> None:
    """Silence load reports and progress bars; results are logged by the engine."""
    import datasets
    import transformers
    transformers.logging.set_verbosity_error()
    datasets.disable_progress_bars()


@functools.cache
def _freeze_library_objects() -> None:
    """Once per process, after the libraries are imported, move their objects out of the
    collector's reach: the Trainer's `gc.collect()` then skips hundreds of thousands of
    objects, which otherwise costs a tenth of a second or more per run."""
    import gc

    import torch  # noqa: F401  (imported before the freeze)
    from transformers import Trainer  # noqa: F401  (the lazy module's bulk)
    gc.collect()
    gc.freeze()


def build_engine(profile: Profile, store: str | os.PathLike, data_dir=None, *, compute: bool = True) -> "Engine":
    """The engine over the run store at `store`, for `profile` and its data source; with
    `compute=False` it only reads, and creates nothing in the store."""
    return Engine(RunStore(store, create=compute), data_source(profile, data_dir), profile, compute=compute)

"""The engine: turns a RunSpec into a finished run in the store.

The paper's three phases: (i) a pretrained masked LM (a hub checkpoint, or the
tiny smoke model built here); (ii) intermediate training on English task(s),
after which only the encoder is kept; (iii) fine-tuning a freshly initialised
head on the target task's English training data, then zero-shot prediction in
every evaluation language.  Training is `transformers.Trainer`, so the same code
runs on one CPU, one GPU, or several GPUs under `accelerate launch`/`torchrun`.
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from repro.data import DataSource
from repro.models import build_tiny_model
from repro.profiles import Profile, TinyModel, TrainConfig
from repro.provenance import environment
from repro.spec import RunSpec
from repro.store import Run, RunStore
from repro.tasks import get_task

log = logging.getLogger(__name__)


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

    def model_path(self, spec: RunSpec | None, base_model) -> str:
        """The checkpoint a run starts from: its parent's, or the hub model."""
        if spec is None:
            if isinstance(base_model, TinyModel):
                raise ValueError("a tiny base model is built by a 'pretrained' run; give the spec that parent")
            return base_model
        return str(self.store.path(spec) / "model")

    # ----------------------------------------------------------------------------------
    def _execute(self, spec: RunSpec, work: Path) -> None:
        _quiet_libraries()
        started = time.time()
        timings: dict[str, float] = {}
        if spec.kind == "pretrained":
            build_tiny_model(spec.base_model, work / "model")
        else:
            init = self.model_path(spec.parent, spec.base_model)
            (task_name, config), = spec.train  # multi-task training arrives with the mixture
            t0 = time.time()
            trainer, history = self._train(spec, task_name, config, init, work)
            timings["train_s"] = time.time() - t0
            (work / "train_log.json").write_text(json.dumps(history, indent=1))
            if spec.kind == "intermediate":
                # Hand on the encoder only: every later phase starts a fresh head.
                trainer.model.base_model.save_pretrained(work / "model")
                trainer.processing_class.save_pretrained(work / "model")
            else:
                t0 = time.time()
                self._evaluate(spec, trainer, work)
                timings["eval_s"] = time.time() - t0
        timings["total_s"] = time.time() - started
        (work / "timings.json").write_text(json.dumps(timings, indent=1))
        (work / "env.json").write_text(json.dumps(environment(), indent=1))

    def _train(self, spec: RunSpec, task_name: str, config: TrainConfig, init: str, work: Path):
        import torch
        from transformers import (AutoTokenizer, EarlyStoppingCallback, PrinterCallback, Trainer,
                                  TrainingArguments, set_seed)

        task = get_task(task_name)
        fmt = task.format
        source = get_task(task.trains_on)  # e.g. XNLI trains on MNLI
        tokenizer = AutoTokenizer.from_pretrained(init)
        train_raw = self.data.load(source, "train", "en")
        if config.max_train_examples is not None:
            train_raw = train_raw.select(range(min(len(train_raw), config.max_train_examples)))
        dev_raw = self.data.load(source, "validation", "en")
        dev_raw = dev_raw.select(range(min(len(dev_raw), config.early_stopping_examples)))
        train = fmt.encode(train_raw, task, tokenizer, config.max_length)
        dev = fmt.encode(dev_raw, task, tokenizer, config.max_length)

        set_seed(spec.seed)  # the fresh head's initialisation and the data order
        model = fmt.model_class.from_pretrained(init, **fmt.model_kwargs(task))
        strategy = "steps" if config.eval_every_steps else "epoch"
        bf16 = self.profile.bf16 and torch.cuda.is_available()
        if self.profile.bf16 and not bf16:
            log.warning("profile %s asks for bf16 but no GPU is available: training in fp32", self.profile.name)
        metric_name = task.metric.metric_names[0]
        args = TrainingArguments(
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
            load_best_model_at_end=True, metric_for_best_model=metric_name, greater_is_better=True,
            save_total_limit=1, save_only_model=True,
            per_device_eval_batch_size=self.profile.eval_batch_size,
            bf16=bf16, seed=spec.seed, data_seed=spec.seed,
            logging_strategy=strategy, logging_steps=config.eval_every_steps or None,
            report_to="none", disable_tqdm=True, dataloader_pin_memory=torch.cuda.is_available(),
        )

        def dev_metrics(prediction):
            predictions = fmt.decode(prediction.predictions, task)
            references = [task.labels[i] for i in prediction.label_ids]
            return task.metric.compute(predictions=predictions, references=references)

        trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=dev,
                          data_collator=fmt.collator(tokenizer), processing_class=tokenizer,
                          compute_metrics=dev_metrics,
                          callbacks=[EarlyStoppingCallback(early_stopping_patience=config.patience)])
        trainer.remove_callback(PrinterCallback)  # the history goes to train_log.json instead
        trainer.train()
        shutil.rmtree(work / "checkpoints", ignore_errors=True)  # the best model is loaded in memory
        history = {"best_metric": trainer.state.best_metric, "metric": metric_name,
                   "steps": trainer.state.global_step, "log": trainer.state.log_history}
        return trainer, history

    def _evaluate(self, spec: RunSpec, trainer, work: Path) -> None:
        """Predict every evaluation language zero-shot; store predictions, gold and metrics."""
        task = get_task(spec.eval_task)
        fmt = task.format
        metrics = {}
        out_dir = work / "predictions" / task.name
        out_dir.mkdir(parents=True)
        for lang in spec.eval_languages:
            raw = self.data.load(task, spec.eval_split, lang)
            features = fmt.encode(raw, task, trainer.processing_class, _max_length(spec))
            output = trainer.predict(features)
            predictions = fmt.decode(output.predictions, task)
            references = fmt.references(raw, task)
            ids = fmt.unit_ids(raw, task)
            with (out_dir / f"{lang}.jsonl").open("w", encoding="utf-8") as fh:
                for uid, pred, ref in zip(ids, predictions, references, strict=True):
                    fh.write(json.dumps({"id": uid, "prediction": pred, "reference": ref},
                                        ensure_ascii=False) + "\n")
            metrics[lang] = task.metric.compute(predictions=predictions, references=references, lang=lang)
        (work / "metrics.json").write_text(json.dumps({task.name: metrics}, indent=1))


def _max_length(spec: RunSpec) -> int:
    """Evaluation uses the target task's training max length."""
    return dict(spec.train)[spec.tasks[0]].max_length


def _quiet_libraries() -> None:
    """Silence load reports and progress bars; results are logged by the engine."""
    import datasets
    import transformers
    transformers.logging.set_verbosity_error()
    datasets.disable_progress_bars()

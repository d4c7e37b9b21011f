"""RunSpec: the frozen description of one run, hashed into its store key.

Identity fields are everything that can change a run's results.  Fields that
cannot (device, evaluation batch size, worker count, data directory path) stay
out of the spec and are passed to the engine at run time.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, is_dataclass

from repro.errors import UnknownName
from repro.profiles import RetrievalConfig, TinyModel, TrainConfig

# Bump when a change in the engine changes results, so old runs are not reused.
# 5: early stopping after 30 evaluations past warmup, weight decay 0.01, ANLI+'s early-stopping rows
# from every part, TyDiQA-GoldP trained on every language, one evaluation set per XTREME target;
# XTREME QA windows and tagging preprocessing, MLM mixture length and corpus
# 6: one training predicts every evaluation set (dev and test), predictions/<task>/<split>/<lang>.jsonl;
# BUCC's dev measured with the dev set's own threshold (jiant); every gold and mined id pair kept
# 7: the MLM loss of a mixture from the masked positions' scores only (the same loss up to float rounding)
ENGINE_VERSION = 7

KINDS = ("pretrained", "intermediate", "target", "retrieval")


@dataclass(frozen=True)
class RunSpec:
    """One run: build a base model, train on intermediate task(s), train a target and evaluate it,
    or evaluate a retrieval task straight from the parent's encoder."""

    kind: str                                   # one of KINDS
    base_model: str | TinyModel                 # hub id / path, or the tiny model spec
    tasks: tuple[str, ...] = ()                 # tasks trained in this run
    train: tuple[tuple[str, TrainConfig], ...] = ()  # per-task optimisation
    parent: "RunSpec | None" = None             # the run whose checkpoint this one starts from
    seed: int = 0
    data: str = ""                              # data source identity, e.g. "fixture-v1" or "hub"
    eval_task: str | None = None                # target task evaluated zero-shot (target runs)
    # every evaluation set the run predicts: (split read, its languages), dev and test from one training
    eval_sets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    retrieval: RetrievalConfig | None = None    # embedding settings (retrieval runs)
    # multi-task phase (ii): the shared optimisation (lr, epochs over the mixture, warmup, early
    # stopping); the per-task entries of `train` give each task's batch size and features
    mixture: TrainConfig | None = None
    bf16: bool = False                          # bf16 mixed precision (changes numbers: part of the identity)
    # single-task training in length-grouped batches (Profile.length_grouped)
    length_grouped: bool = False
    engine_version: int = field(default=ENGINE_VERSION)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown run kind {self.kind!r}; one of {KINDS}")

    def to_dict(self) -> dict:
        """A JSON-ready description, the parent replaced by its key."""
        out = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "parent":
                value = value.key if value is not None else None
            elif name == "mixture" and value is None:
                continue  # absent from single-task runs, whose keys predate it
            elif name == "length_grouped" and not value:
                continue  # absent from random-batch runs, whose keys predate it
            out[name] = _plain(value)
        return out

    @property
    def eval_splits(self) -> tuple[str, ...]:
        """The splits the run predicts, in order."""
        return tuple(split for split, _ in self.eval_sets)

    @property
    def evaluated_task(self) -> str:
        """The task a target or retrieval run evaluates; ValueError for a run that evaluates none."""
        if self.eval_task is None:
            raise ValueError(f"run {self.slug} is a {self.kind} run, which evaluates no task")
        return self.eval_task

    def eval_languages(self, split: str) -> tuple[str, ...]:
        """The languages the run predicts in `split`; UnknownName (a KeyError) naming the splits it has."""
        for name, languages in self.eval_sets:
            if name == split:
                return languages
        raise UnknownName(f"run {self.slug} predicts no {split!r} set (it predicts "
                          f"{', '.join(self.eval_splits) or 'none'}); read one of those splits")

    @property
    def key(self) -> str:
        """Stable SHA-256 of the identity fields (the parent enters through its own key)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def slug(self) -> str:
        """A readable name: kind, tasks, the intermediate tasks it starts from, seed."""
        parts = [self.kind, "+".join(self.tasks) or "base"]
        if self.parent is not None and self.parent.kind == "intermediate":
            parts.append("from-" + "+".join(self.parent.tasks))
        parts.append(f"s{self.seed}")
        return "-".join(parts)

    @property
    def dirname(self) -> str:
        """The run's folder name in the store."""
        return f"{self.slug}-{self.key[:16]}"


def _plain(value):
    if is_dataclass(value):
        return {"type": type(value).__name__, **{k: _plain(v) for k, v in asdict(value).items()}}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value

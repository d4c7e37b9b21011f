"""The planted world's profile: the smoke model on tasks whose transfer effects are known.

`claims/planted/` judges this world with the paper's claim kinds; `pytest -m planted`
runs them through the same engine, store, statistics and report as the paper's claims,
and they must pass or fail for real (docs/planted.md).  The profile is not among
`repro.profiles.PROFILES`: it is no setting of the paper's experiments.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from repro import plan
from repro.data import DataSource
from repro.engine import Engine
from repro.errors import UsageError
from repro.profiles import SMOKE, TrainConfig
from repro.tasks.planted import INTERMEDIATE, TARGET

CLAIMS_DIR = Path(__file__).resolve().parent.parent / "claims" / "planted"
# Phase (ii): three passes over 1,024 English rows, enough to learn either rule well.
INTERMEDIATE_CONFIG = TrainConfig(learning_rate=5e-4, batch_size=16, epochs=3, max_length=64,
                                  early_stopping_examples=64, patience=2)
# Phase (iii): the target's English data is small (256 rows), so the baseline learns its rule
# only in part (about 76% right) and a head on an encoder that knows the rule learns more.
# The tiny model from random weights predicts one label for several passes before it finds
# the markers, so early stopping waits out all ten passes (patience 10) instead of stopping there.
TARGET_CONFIG = replace(INTERMEDIATE_CONFIG, epochs=10, patience=10, max_train_examples=256)

PROFILE = replace(
    SMOKE,
    name="planted",
    intermediate=MappingProxyType({name: INTERMEDIATE_CONFIG for name in INTERMEDIATE}),
    target=MappingProxyType({TARGET: TARGET_CONFIG}),
    seeds=tuple(range(1, 11)),  # ten: the power calibrated in docs/planted.md (five held 2 in 3)
    smoke_languages=MappingProxyType({}),  # every language of the planted target
    fixture_sizes=MappingProxyType({"train": 1024, "validation": 256, "test": 256}),
    is_evidence=True,  # evidence about the machinery, which must find what was planted
    intermediate_tasks=INTERMEDIATE,
)

# --- breaking the machinery on purpose (docs/planted.md): the planted claims must then fail ---
BREAK_ENV = "REPRO_PLANTED_BREAK"
BREAKS = {
    "skip-intermediate": "phase (iii) starts from the pretrained model, as if phase (ii) were skipped",
    "shuffle-target-labels": "the target's English training labels are shuffled",
    "swap-intermediate": "each planted intermediate task's runs start from the other's phase (ii) model",
}


def build(store, *, compute: bool = True, profile=PROFILE, breaks: str | None = None):
    """The engine of the planted world over `store`, broken as `breaks` (else $REPRO_PLANTED_BREAK) says."""
    from repro.store import RunStore

    how = breaks if breaks is not None else os.environ.get(BREAK_ENV, "")
    if how and how not in BREAKS:
        raise UsageError(f"{BREAK_ENV}={how!r} is no known break; unset it, or choose one of "
                         + ", ".join(f"{name} ({what})" for name, what in BREAKS.items()))
    # always the fixtures, whatever --data-dir or $REPRO_DATA_DIR say: the planted tasks exist nowhere else
    source = ShuffledTargetLabels if how == "shuffle-target-labels" else DataSource
    data = source("fixture", fixture_sizes=profile.fixture_sizes)
    if how in ("skip-intermediate", "swap-intermediate"):
        return BrokenEngine(RunStore(store), data, profile, compute=compute, how=how)
    return Engine(RunStore(store), data, profile, compute=compute)


@dataclass(frozen=True)
class ShuffledTargetLabels(DataSource):
    """The fixture source, with the planted target's training labels permuted (seeded).

    Its identity differs, so its runs never mix with the intact world's in a store."""

    @property
    def identity(self) -> str:
        return super().identity + "+shuffled-target-labels"

    def load(self, task, split: str, lang: str = "en", need_labels: bool = True):
        data = super().load(task, split, lang, need_labels)
        if task.name != TARGET or split != "train":
            return data
        labels = list(data["label"])
        random.Random(f"shuffle:{lang}").shuffle(labels)
        return data.remove_columns("label").add_column("label", labels)


@dataclass
class BrokenEngine(Engine):
    """The engine with phase (ii) skipped or the intermediate models swapped (`how`)."""

    how: str = ""

    def ensure(self, spec):
        parent = spec.parent
        if spec.kind == "target" and parent is not None and parent.kind == "intermediate":
            if self.how == "skip-intermediate":
                spec = replace(spec, parent=parent.parent)
            elif self.how == "swap-intermediate" and set(parent.tasks) <= set(INTERMEDIATE):
                other = tuple(INTERMEDIATE[1 - INTERMEDIATE.index(t)] for t in parent.tasks)
                spec = replace(spec, parent=plan.intermediate_spec(self.profile, self.data, other, parent.seed))
        return super().ensure(spec)

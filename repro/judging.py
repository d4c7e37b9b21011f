"""Judging a claim from the engine's runs: their per-unit outcomes, handed to the claim's kind.

`judge(claim, engine)` reads (or computes) the runs `repro.plan.required_runs` lists and lets the
claim's kind (`repro.kinds`) compare its configurations on the XTREME aggregate of its targets;
the `ClaimOutcome` (repro.results) is what the report records (repro.report.schema).
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from repro import outcomes as stored_outcomes
from repro.claims import Claim
from repro.data import DataSource
from repro.metrics.base import Metric
from repro.plan import RunKey, required_runs
from repro.profiles import Profile
from repro.results import ClaimOutcome, Comparison, PointResult, Skipped, judged, skipped
from repro.spec import RunSpec
from repro.stats import CellOutcomes, DifferenceResult, RunOutcomes, paired_difference
from repro.stats.sequential import look_at
from repro.store import Run
from repro.tasks import get_task

__all__ = ["ClaimOutcome", "Comparison", "JudgingEngine", "PointResult", "Skipped", "judge", "skipped"]


class JudgingEngine(Protocol):
    """What judging needs of an engine (`repro.engine.Engine` is one): its profile, its data source,
    and a stored run for a spec (computed if it may compute)."""

    @property
    def profile(self) -> Profile: ...
    @property
    def data(self) -> DataSource: ...

    def ensure(self, spec: RunSpec) -> Run: ...


class RunEvidence:
    """A claim's runs as its kind reads them (`repro.kinds.Evidence`): per (configuration, target,
    seed, split) the run's per-unit outcomes."""

    def __init__(self, claim: Claim, profile: Profile, outcomes: Mapping[RunKey, RunOutcomes], alpha: float = 0.05):
        self.claim, self.outcomes, self.alpha = claim, outcomes, alpha
        self.seeds = tuple(profile.seeds)
        self.metrics: dict[str, Metric] = {t: get_task(t).metric for t in claim.targets}
        self.parallel = [t for t in claim.targets if get_task(t).parallel]

    def cells(self, configuration: tuple[str, ...], target: str, seed: int, split: str) -> RunOutcomes:
        return self.outcomes[(configuration, target, seed, split)]

    def seeds_of(self, configuration: tuple[str, ...]) -> tuple[int, ...]:
        return self.claim.seeds_of(configuration, self.seeds)

    def runs_of(self, configuration: tuple[str, ...] | None, split: str | None = None,
                chosen: Mapping[str, tuple[str, ...]] | None = None) -> list[RunOutcomes]:
        split = split or self.claim.split

        def read(t: str) -> tuple[str, ...]:
            found = (chosen or {}).get(t, configuration)
            if found is None:
                raise ValueError(f"claim {self.claim.id}: no configuration is read for target {t}")
            return found
        # the seeds every configuration read holds (one merged run per seed)
        seeds = min((self.seeds_of(read(t)) for t in self.claim.targets), key=len)
        return [{cell: co for t in self.claim.targets for cell, co in self.outcomes[(read(t), t, s, split)].items()}
                for s in seeds]

    def difference(self, a: Sequence[RunOutcomes], b: Sequence[RunOutcomes], label: str) -> DifferenceResult:
        return paired_difference(a, b, metrics=self.metrics, parallel=self.parallel, rng=self.seed(label))

    def seed(self, label: str) -> int:
        return _claim_seed(self.claim.id + label)


def judge(claim: Claim, engine: JudgingEngine, *, seeds_chosen: bool = False) -> ClaimOutcome:
    """Compute (or read) the claim's runs on the engine's profile and judge it.

    `seeds_chosen`: the user set the seed count, which the claim's [smoke] table must not change.
    """
    claim, profile = claim.for_profile(engine.profile, seeds_chosen=seeds_chosen)
    kind = claim.kind_object
    if not kind.needs_runs:
        comparisons, verdict = kind.judge(claim, None)
        return judged(claim, comparisons, verdict, profile=profile.name, is_evidence=profile.is_evidence)
    specs = required_runs(claim, profile, engine.data)
    look = look_at(profile.sequential, len(profile.seeds))  # the rules judge at the level of the look reached
    # runs other processes are computing last (Engine.ensure_many), where the engine can tell
    many = getattr(engine, "ensure_many", None)
    runs = many(specs.values()) if many is not None else {spec: engine.ensure(spec) for spec in specs.values()}
    # one run per (configuration, target, seed) predicts every split; each key reads its split's set
    outcomes = _pad_sparse({key: stored_outcomes.run_outcomes(runs[spec], get_task(key[1]).evaluation_set(key[3]))
                            for key, spec in specs.items()})
    evidence = RunEvidence(claim, profile, outcomes, alpha=look["level"] if look else 0.05)
    comparisons, verdict = kind.judge(claim, evidence)
    return judged(claim, comparisons, verdict, profile=profile.name, is_evidence=profile.is_evidence,
                  runs=[s.dirname for s in specs.values()], seeds=profile.seeds, sequential=look)


def _pad_sparse(outcomes: dict) -> dict:
    """Give every run of a sparse task's cell (`Task.sparse_units`) the union of the cell's units, absent
    ones as zero rows.  BUCC runs record only source sentences in a gold or a mined pair, so the set differs
    between runs; a sentence a run does not record has no gold and no prediction there: all-zero
    (tp, n_pred, n_gold)."""
    units: dict = {}
    for (config, target, seed, split), cells in outcomes.items():
        for cell, co in cells.items():
            if get_task(cell[0]).sparse_units:
                units.setdefault((cell, split), set()).update(co.units.tolist())
    if not units:
        return outcomes
    padded = {}
    for key, cells in outcomes.items():
        padded[key] = dict(cells)
        for cell, co in cells.items():
            extra = sorted(units.get((cell, key[3]), set()) - set(co.units.tolist()))
            if extra:
                padded[key][cell] = CellOutcomes(np.concatenate([co.units, np.asarray(extra, dtype=co.units.dtype)]),
                                                 np.vstack([co.stats, np.zeros((len(extra), co.stats.shape[1]))]))
    return padded


def _claim_seed(text: str) -> int:
    """A fixed resampling seed per claim part, so verdicts are repeatable."""
    return zlib.crc32(text.encode())

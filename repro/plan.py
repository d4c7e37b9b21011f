"""RunSpecs for the paper's configurations under a profile.

Replicate r of a configuration is a whole chain: its phase-(ii) run with seed r, the
phase-(iii) runs with seed r that start from it, and its retrieval runs (BUCC, Tatoeba).
The baseline's replicate r is phase (iii) with seed r from the pretrained model.  A target
run trains once and predicts every evaluation set (`Profile.evaluation_splits`), so the
claim's split is not part of its identity.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from collections.abc import Sequence
from typing import Protocol

from repro.cost import ALL_LANGUAGES, Phase, gpu_hours, train_size, unmeasured
from repro.data import DataSource
from repro.data_requests import reads_of
from repro.errors import ClaimError, UsageError
from repro.mixture import is_mixture, spec_examples
from repro.profiles import Profile, TinyModel
from repro.spec import RunSpec
from repro.tasks import TASKS, get_task

def pretrained_spec(profile: Profile, data: DataSource) -> RunSpec | None:
    """The run that builds the tiny base model; None for a hub checkpoint."""
    if not isinstance(profile.model, TinyModel):
        return None
    return RunSpec(kind="pretrained", base_model=profile.model, seed=profile.model.init_seed)


def intermediate_spec(profile: Profile, data: DataSource, tasks: tuple[str, ...], seed: int) -> RunSpec:
    """Phase (ii) with `seed` on the intermediate task(s) `tasks`; several (or `mlm`) train as one mixture."""
    if len(set(tasks)) != len(tasks):
        raise ValueError(f"a configuration names each task once, got {tasks}")
    for name in tasks:
        get_task(name)
    return with_data(data, RunSpec(
        kind="intermediate", base_model=profile.model, tasks=tuple(tasks),
        train=tuple((name, profile.train_config("intermediate", name)) for name in tasks),
        parent=pretrained_spec(profile, data), seed=seed, data=data.identity,
        mixture=profile.mixture_config(tasks) if is_mixture(tasks) else None, bf16=profile.bf16,
        # a mixture's batches are single-task draws of its own sampler (repro.multitask)
        length_grouped=profile.length_grouped and not is_mixture(tasks),
    ))


def with_data(data: DataSource, spec: RunSpec) -> RunSpec:
    """`spec` with its `data` field naming what it reads: the source's identity, and for local files
    their content fingerprint (`DataSource.run_identity`), so changed data means new runs."""
    return replace(spec, data=data.run_identity(reads_of(spec)))


def evaluation_languages(profile: Profile, task_name: str, split: str | None = None) -> tuple[str, ...]:
    """The task's XTREME languages in `split` (default: the profile's), or the profile's fixture subset."""
    task = get_task(task_name)
    split = task.evaluation_set(split or profile.eval_split)
    langs = profile.fixture_languages(task_name, task.languages)
    langs = tuple(l for l in langs if l not in task.missing.get(split, ()))  # e.g. UDPOS kk has no dev set
    unknown = sorted(set(langs) - set(task.languages))
    if unknown:
        raise UsageError(f"profile {profile.name}: {task_name} has no language(s) {', '.join(unknown)}")
    return tuple(langs)


def evaluation_sets(profile: Profile, task_name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(split read, languages) of every set the profile's evaluation splits read for `task_name`, each once."""
    task = get_task(task_name)
    sets = dict.fromkeys(task.evaluation_set(split) for split in profile.evaluation_splits)
    return tuple((split, evaluation_languages(profile, task_name, split)) for split in sets)


def target_spec(profile: Profile, data: DataSource, target: str, *,
                intermediate: tuple[str, ...] | None, seed: int) -> RunSpec:
    """Replicate `seed` of `target` from the phase-(ii) run on `intermediate` with the same seed (None:
    the baseline, from the pretrained model): phase (iii) trained once, predicting every evaluation set
    (dev and test; `Task.evaluation_set`: XQuAD's "test" is its one set, "validation" on the hub).

    Retrieval targets (BUCC, Tatoeba) get no phase (iii): their run evaluates the parent's encoder
    directly, so its seed is its parent's (the chain's); from the pretrained model it is deterministic
    and every replicate maps to one run (seed 0).
    """
    parent = (intermediate_spec(profile, data, intermediate, seed) if intermediate
              else pretrained_spec(profile, data))
    task = get_task(target)
    if not task.trained:
        return with_data(data, RunSpec(kind="retrieval", base_model=profile.model, tasks=(target,), parent=parent,
                       seed=seed if intermediate else 0, data=data.identity, eval_task=target,
                       eval_sets=evaluation_sets(profile, target), retrieval=profile.retrieval))
    return with_data(data, RunSpec(
        kind="target", base_model=profile.model, tasks=(target,),
        train=((target, profile.train_config("target", target)),),
        parent=parent, seed=seed, data=data.identity, bf16=profile.bf16,
        eval_task=target, eval_sets=evaluation_sets(profile, target), length_grouped=profile.length_grouped,
    ))


class Claim(Protocol):
    """What planning reads of a claim (`repro.claims.Claim` is one; planning sits below the claims)."""

    @property
    def id(self) -> str: ...
    @property
    def targets(self) -> tuple[str, ...]: ...
    @property
    def needs_runs(self) -> bool: ...

    def configurations_used(self) -> list[tuple[str, ...]]: ...

    def seeds_of(self, configuration: tuple[str, ...], seeds: Sequence[int]) -> tuple[int, ...]: ...

    def splits(self) -> tuple[str, ...]: ...

    def for_profile(self, profile: Profile, *, seeds_chosen: bool = False) -> tuple[Claim, Profile]: ...


def missing_tasks(claim: Claim, profile) -> list[str]:
    """Intermediate and target tasks of the claim that `profile` has no training configuration for."""
    names = [n for c in claim.configurations_used() for n in c if n not in profile.intermediate]
    names += [t for t in claim.targets if t in TASKS and get_task(t).trained and not profile.has_config("target", t)]
    return list(dict.fromkeys(names))


RunKey = tuple[tuple[str, ...], str, int, str]  # (configuration, target, seed, split)


def run_keys(claim: Claim, profile) -> list[RunKey]:
    """Every (configuration, target, seed, split) the claim reads."""
    return [(config, target, seed, split) for split in claim.splits() for config in claim.configurations_used()
            for target in claim.targets for seed in claim.seeds_of(config, profile.seeds)]


def required_runs(claim: Claim, profile, data) -> dict[RunKey, RunSpec]:
    """The target runs a claim needs on `profile` (as given: apply `for_profile` first); the keys of every
    split of one (configuration, target, seed) share one run."""
    missing = missing_tasks(claim, profile)
    if missing:
        raise ClaimError(f"claim {claim.id}: profile {profile.name} has no training configuration for "
                         f"{', '.join(missing)}; add one to repro/profiles.py or name a registered task in the claim")
    unread = [s for s in claim.splits() if s not in profile.evaluation_splits]
    if unread:
        raise ClaimError(f"claim {claim.id}: profile {profile.name}'s runs predict {', '.join(profile.evaluation_splits)}, "
                         f"not {', '.join(unread)}; use one of those splits or add it to Profile.evaluation_splits")
    specs: dict = {}
    for config, target, seed, split in run_keys(claim, profile):
        if (config, target, seed) not in specs:
            specs[(config, target, seed)] = target_spec(profile, data, target, intermediate=config or None, seed=seed)
    return {(config, target, seed, split): specs[(config, target, seed)]
            for config, target, seed, split in run_keys(claim, profile)}


def with_ancestors(specs) -> list[RunSpec]:
    """`specs` and every run they start from, each once, parents first."""
    seen: dict[str, RunSpec] = {}

    def visit(spec):
        if spec.parent is not None:
            visit(spec.parent)
        seen.setdefault(spec.key, spec)

    for spec in specs:
        visit(spec)
    return list(seen.values())


def wave(spec: RunSpec) -> int:
    """The run's wave: how many runs lie above it in its chain (0: it starts from the hub model).

    Every parent is in an earlier wave, so a cluster can run the waves as job arrays chained
    with `--dependency=afterok` and no job of a wave ever waits for another job's run.
    Smoke: 0 the tiny base model, 1 phase (ii) and baseline targets, 2 targets on phase (ii);
    paper (hub model): 0 phase (ii) and baseline targets and retrieval, 1 the rest.
    """
    depth, parent = 0, spec.parent
    while parent is not None:
        depth, parent = depth + 1, parent.parent
    return depth


@dataclass(frozen=True)
class PlannedRun:
    """One run a claim needs, with its estimated cost."""

    name: str                 # the store folder name
    kind: str
    spec: RunSpec
    gpu_hours: float = 0.0    # estimated on the paper profile (repro.cost)
    bound_hours: float = 0.0  # the same with every sequence at its max length (an upper bound)
    unmeasured: tuple[str, ...] = ()  # "task (train|eval)" without a length sample: costed at the bound

    @property
    def wave(self) -> int:
        return wave(self.spec)


def _phase(spec: RunSpec):
    """The cost-relevant part of a spec."""
    if spec.kind == "pretrained":
        return Phase()
    if spec.kind == "retrieval":
        assert spec.retrieval is not None, "a retrieval run carries its retrieval configuration"
        return Phase(evaluate=tuple((spec.evaluated_task, split, len(langs), None) for split, langs in spec.eval_sets),
                     retrieval_max_length=spec.retrieval.max_length)
    keys = {t: get_task(t).trains_on + (ALL_LANGUAGES if c.train_languages == "all" else "") for t, c in spec.train}
    if spec.kind == "intermediate" and spec.mixture is not None:
        # a mixture: each task's expected examples (repro.mixture.spec_examples) as epochs over its rows
        sizes = {t: train_size(keys[t]) for t, _ in spec.train}
        examples = spec_examples(spec, sizes)
        return Phase(train=tuple((keys[t], c, examples[t] / sizes[t]) for t, c in spec.train))
    train = tuple((keys[t], c, c.epochs) for t, c in spec.train)
    if spec.kind == "intermediate":
        return Phase(train=train)
    return Phase(train=train, evaluate=tuple((spec.evaluated_task, split, len(langs), spec.train[0][1])
                                             for split, langs in spec.eval_sets))


def claim_runs(claim: Claim, profile: Profile, data: DataSource, *, seeds_chosen: bool = False) -> list[PlannedRun]:
    """Every run one claim needs on `profile` (its [smoke] overrides applied), parents first."""
    claim, profile = claim.for_profile(profile, seeds_chosen=seeds_chosen)
    if not claim.needs_runs:
        return []
    specs = with_ancestors(list(required_runs(claim, profile, data).values()))
    phases = [(s, _phase(s)) for s in specs]
    return [PlannedRun(s.dirname, s.kind, s, gpu_hours(phase), gpu_hours(phase, lengths="max"), unmeasured(phase))
            for s, phase in phases]


def planned_runs(claims, profile: Profile, data: DataSource, *, seeds_chosen: bool = False) -> list[PlannedRun]:
    """The runs `claims` need, each once, wave by wave (so parents first)."""
    runs: dict[str, PlannedRun] = {}
    for claim in claims:
        for run in claim_runs(claim, profile, data, seeds_chosen=seeds_chosen):
            runs.setdefault(run.name, run)
    return sorted(runs.values(), key=lambda run: run.wave)  # stable: claim order within a wave

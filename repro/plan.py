"""RunSpecs for the paper's configurations under a profile.

One phase-(ii) run per intermediate configuration (seed 0) serves every target
task and seed that starts from it; phase-(iii) runs vary the seed.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from repro.data import DataSource
from repro.profiles import Profile, TinyModel
from repro.spec import RunSpec
from repro.tasks import get_task

INTERMEDIATE_SEED = 0


def pretrained_spec(profile: Profile, data: DataSource) -> RunSpec | None:
    """The run that builds the tiny base model; None for a hub checkpoint."""
    if not isinstance(profile.model, TinyModel):
        return None
    return RunSpec(kind="pretrained", base_model=profile.model, seed=profile.model.init_seed)


def intermediate_spec(profile: Profile, data: DataSource, tasks: tuple[str, ...]) -> RunSpec:
    """Phase (ii) on the intermediate task(s) `tasks`; several (or `mlm`) train as one mixture."""
    from repro.multitask import is_mixture

    if len(set(tasks)) != len(tasks):
        raise ValueError(f"a configuration names each task once, got {tasks}")
    for name in tasks:
        get_task(name)
    return RunSpec(
        kind="intermediate", base_model=profile.model, tasks=tuple(tasks),
        train=tuple((name, profile.train_config("intermediate", name)) for name in tasks),
        parent=pretrained_spec(profile, data), seed=INTERMEDIATE_SEED, data=data.identity,
        mixture=profile.mixture_config(tasks) if is_mixture(tasks) else None,
    )


def evaluation_languages(profile: Profile, task_name: str, split: str | None = None) -> tuple[str, ...]:
    """The task's XTREME languages in `split` (default: the profile's), or the profile's fixture subset."""
    task = get_task(task_name)
    split = task.eval_split or split or profile.eval_split
    langs = profile.smoke_languages.get(task_name, task.languages)
    langs = tuple(l for l in langs if l not in task.missing.get(split, ()))  # e.g. UDPOS kk has no dev set
    unknown = sorted(set(langs) - set(task.languages))
    if unknown:
        raise ValueError(f"profile {profile.name}: {task_name} has no language(s) {', '.join(unknown)}")
    return tuple(langs)


def target_spec(profile: Profile, data: DataSource, target: str, *,
                intermediate: tuple[str, ...] | None, seed: int, split: str | None = None) -> RunSpec:
    """Phase (iii) on `target` from the phase-(ii) run on `intermediate` (None: the baseline),
    evaluated on `split` (default: the profile's evaluation split).

    Retrieval targets (BUCC, Tatoeba) get no phase (iii): their run evaluates the parent's
    encoder directly and is deterministic, so every seed maps to the same run.
    """
    parent = (intermediate_spec(profile, data, intermediate) if intermediate
              else pretrained_spec(profile, data))
    task = get_task(target)
    if not task.trained:
        return RunSpec(kind="retrieval", base_model=profile.model, tasks=(target,), parent=parent,
                       seed=0, data=data.identity, eval_task=target,
                       eval_split=task.eval_split or split or profile.eval_split,
                       eval_languages=evaluation_languages(profile, target, split), retrieval=profile.retrieval)
    return RunSpec(
        kind="target", base_model=profile.model, tasks=(target,),
        train=((target, profile.train_config("target", target)),),
        parent=parent, seed=seed, data=data.identity,
        eval_task=target, eval_split=split or profile.eval_split,
        eval_languages=evaluation_languages(profile, target, split),
    )


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


@dataclass(frozen=True)
class PlannedRun:
    """One run a claim needs, with its estimated cost."""

    name: str                 # the store folder name
    kind: str
    spec: RunSpec
    gpu_hours: float = 0.0    # estimated on the paper profile (repro.cost)


def _phase(spec: RunSpec):
    """The cost-relevant part of a spec."""
    from repro.cost import Phase
    if spec.kind == "pretrained":
        return Phase()
    if spec.kind == "retrieval":
        return Phase(evaluate=(spec.eval_task, spec.eval_split, len(spec.eval_languages), 0))
    train = tuple((get_task(t).trains_on, c.epochs, c.max_length) for t, c in spec.train)
    if spec.kind == "intermediate" and spec.mixture is not None:
        # a mixture: each task's expected examples (repro.multitask.spec_examples) as epochs over its rows
        from repro.cost import TRAIN_SIZES, base_task
        from repro.multitask import spec_examples
        sizes = {t: TRAIN_SIZES[base_task(get_task(t).trains_on)] for t, _ in spec.train}
        examples = spec_examples(spec, sizes)
        return Phase(train=tuple((get_task(t).trains_on, examples[t] / sizes[t], c.max_length) for t, c in spec.train))
    if spec.kind == "intermediate":
        return Phase(train=train)
    return Phase(train=train, evaluate=(spec.eval_task, spec.eval_split, len(spec.eval_languages),
                                        spec.train[0][1].max_length))


def claim_runs(claim, profile: Profile, data: DataSource, *, seeds_chosen: bool = False) -> list[PlannedRun]:
    """Every run one claim needs on `profile` (its [smoke] overrides applied), parents first."""
    from repro.claims import required_runs
    from repro.cost import gpu_hours
    claim, profile = claim.for_profile(profile, seeds_chosen=seeds_chosen)
    if claim.kind == "setup":
        return []
    specs = with_ancestors(list(required_runs(claim, profile, data).values()))
    return [PlannedRun(s.dirname, s.kind, s, gpu_hours(_phase(s))) for s in specs]


def planned_runs(claims_dir, select: str, profile: Profile, data: DataSource, *, seeds_chosen: bool = False):
    """The claims in `claims_dir` whose id contains `select`, and the runs they need, each once, parents first."""
    from repro.claims import load_claims
    claims = [c for c in load_claims(claims_dir) if select in c.id]
    runs: dict[str, PlannedRun] = {}
    for claim in claims:
        for run in claim_runs(claim, profile, data, seeds_chosen=seeds_chosen):
            runs.setdefault(run.name, run)
    return claims, list(runs.values())


def add_plan_parser(subparsers) -> None:
    """`repro plan`: the deduplicated runs that the selected claims need, which are stored, and their cost."""
    p = subparsers.add_parser("plan", help="list the runs the claims need, which are stored, and their GPU-hours")
    p.add_argument("--profile", default=None, help="smoke (default) or paper; also $REPRO_PROFILE")
    p.add_argument("--store", default="runs", help="the run store (default: runs/)")
    p.add_argument("--claims", default="claims", help="the directory of claim files (default: claims/)")
    p.add_argument("-k", dest="select", default="", help="only claims whose id contains this text")
    p.add_argument("--seeds", type=int, default=None, help="phase-(iii) seeds per configuration")
    p.add_argument("--data-dir", default=None, help="local data directory (also $REPRO_DATA_DIR), as for the runs")
    p.set_defaults(func=run_plan)


def run_plan(args) -> int:
    """Print one line per needed run (stored, missing or damaged) with its GPU-hours, then the totals."""
    from pathlib import Path

    from repro.cost import describe
    from repro.jobs import data_source
    from repro.profiles import get_profile
    from repro.store import CorruptRunError, RunStore

    profile = get_profile(args.profile)
    if args.seeds:
        profile = profile.with_seeds(args.seeds)
    data = data_source(profile, args.data_dir)  # the runs' data identity is part of their keys
    claims, runs = planned_runs(Path(args.claims), args.select, profile, data, seeds_chosen=bool(args.seeds))
    if not claims:
        print(f"repro plan: no claim in {args.claims} has an id containing {args.select!r}", file=sys.stderr)
        return 2
    store = RunStore(args.store)
    missing = 0
    hours = 0.0
    for run in runs:
        try:
            state = "stored" if store.get(run.spec) else "missing"
        except CorruptRunError:
            state = "damaged"
        if state != "stored":
            missing += 1
            hours += run.gpu_hours
        print(f"{state:<8} {run.gpu_hours:9.2f} GPU-h  {run.name}")
    print(f"{len(runs)} runs for {len(claims)} claim(s) on profile {profile.name}: "
          f"{len(runs) - missing} stored, {missing} to compute")
    scope = "" if profile.name == "paper" else " if run on the paper profile (this profile's runs are far cheaper)"
    print(f"estimated cost of the runs to compute{scope}: {hours:,.0f} GPU-hours at {describe()}")
    return 0

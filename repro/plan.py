"""RunSpecs for the paper's configurations under a profile.

One phase-(ii) run per intermediate configuration (seed 0) serves every target
task and seed that starts from it; phase-(iii) runs vary the seed.
"""
from __future__ import annotations

import os
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
        mixture=profile.mixture_config(tasks) if is_mixture(tasks) else None, bf16=profile.bf16,
        # a mixture's batches are single-task draws of its own sampler (repro.multitask)
        length_grouped=profile.length_grouped and not is_mixture(tasks),
    )


def evaluation_languages(profile: Profile, task_name: str, split: str | None = None) -> tuple[str, ...]:
    """The task's XTREME languages in `split` (default: the profile's), or the profile's fixture subset."""
    task = get_task(task_name)
    split = task.evaluation_set(split or profile.eval_split)
    langs = profile.smoke_languages.get(task_name, task.languages)
    langs = tuple(l for l in langs if l not in task.missing.get(split, ()))  # e.g. UDPOS kk has no dev set
    unknown = sorted(set(langs) - set(task.languages))
    if unknown:
        raise ValueError(f"profile {profile.name}: {task_name} has no language(s) {', '.join(unknown)}")
    return tuple(langs)


def target_spec(profile: Profile, data: DataSource, target: str, *,
                intermediate: tuple[str, ...] | None, seed: int, split: str | None = None) -> RunSpec:
    """Phase (iii) on `target` from the phase-(ii) run on `intermediate` (None: the baseline),
    evaluated on the set a claim's `split` reads for it (default: the profile's evaluation split;
    `Task.evaluation_set`: XQuAD's "test" is its one set, "validation" on the hub).

    Retrieval targets (BUCC, Tatoeba) get no phase (iii): their run evaluates the parent's
    encoder directly and is deterministic, so every seed maps to the same run.
    """
    parent = (intermediate_spec(profile, data, intermediate) if intermediate
              else pretrained_spec(profile, data))
    task = get_task(target)
    if not task.trained:
        return RunSpec(kind="retrieval", base_model=profile.model, tasks=(target,), parent=parent,
                       seed=0, data=data.identity, eval_task=target,
                       eval_split=task.evaluation_set(split or profile.eval_split),
                       eval_languages=evaluation_languages(profile, target, split), retrieval=profile.retrieval)
    return RunSpec(
        kind="target", base_model=profile.model, tasks=(target,),
        train=((target, profile.train_config("target", target)),),
        parent=parent, seed=seed, data=data.identity, bf16=profile.bf16,
        eval_task=target, eval_split=task.evaluation_set(split or profile.eval_split),
        eval_languages=evaluation_languages(profile, target, split), length_grouped=profile.length_grouped,
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

    @property
    def wave(self) -> int:
        return wave(self.spec)


def _phase(spec: RunSpec):
    """The cost-relevant part of a spec."""
    from repro.cost import ALL_LANGUAGES, TRAIN_SIZES, Phase, base_task
    from repro.multitask import spec_examples
    if spec.kind == "pretrained":
        return Phase()
    if spec.kind == "retrieval":
        return Phase(evaluate=(spec.eval_task, spec.eval_split, len(spec.eval_languages), None),
                     retrieval_max_length=spec.retrieval.max_length)
    keys = {t: get_task(t).trains_on + (ALL_LANGUAGES if c.train_languages == "all" else "") for t, c in spec.train}
    if spec.kind == "intermediate" and spec.mixture is not None:
        # a mixture: each task's expected examples (repro.multitask.spec_examples) as epochs over its rows
        sizes = {t: TRAIN_SIZES[base_task(keys[t])] for t, _ in spec.train}
        examples = spec_examples(spec, sizes)
        return Phase(train=tuple((keys[t], c, examples[t] / sizes[t]) for t, c in spec.train))
    train = tuple((keys[t], c, c.epochs) for t, c in spec.train)
    if spec.kind == "intermediate":
        return Phase(train=train)
    return Phase(train=train, evaluate=(spec.eval_task, spec.eval_split, len(spec.eval_languages), spec.train[0][1]))


def claim_runs(claim, profile: Profile, data: DataSource, *, seeds_chosen: bool = False) -> list[PlannedRun]:
    """Every run one claim needs on `profile` (its [smoke] overrides applied), parents first."""
    from repro.claims import required_runs
    from repro.cost import gpu_hours
    claim, profile = claim.for_profile(profile, seeds_chosen=seeds_chosen)
    if claim.kind == "setup":
        return []
    specs = with_ancestors(list(required_runs(claim, profile, data).values()))
    return [PlannedRun(s.dirname, s.kind, s, gpu_hours(_phase(s)), gpu_hours(_phase(s), lengths="max"))
            for s in specs]


def planned_runs(claims_dir, select: str, profile: Profile, data: DataSource, *, seeds_chosen: bool = False):
    """The claims in `claims_dir` whose id contains `select`, and the runs they need, each once,
    wave by wave (so parents first)."""
    from repro.claims import load_claims
    claims = [c for c in load_claims(claims_dir) if select in c.id]
    runs: dict[str, PlannedRun] = {}
    for claim in claims:
        for run in claim_runs(claim, profile, data, seeds_chosen=seeds_chosen):
            runs.setdefault(run.name, run)
    return claims, sorted(runs.values(), key=lambda run: run.wave)  # stable: claim order within a wave


def add_plan_parser(subparsers) -> None:
    """`repro plan`: the deduplicated runs that the selected claims need, which are stored, and their cost."""
    p = subparsers.add_parser("plan", help="list the runs the claims need, which are stored, and their GPU-hours")
    p.add_argument("--profile", default=None, help="smoke (default), paper or rehearsal; also $REPRO_PROFILE")
    p.add_argument("--store", default=os.environ.get("REPRO_STORE", "runs"),
                   help="the run store, only read (default: $REPRO_STORE, else runs/)")
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
    from repro.store import RunStore

    profile = get_profile(args.profile)
    if args.seeds:
        profile = profile.with_seeds(args.seeds)
    data = data_source(profile, args.data_dir)  # the runs' data identity is part of their keys
    claims, runs = planned_runs(Path(args.claims), args.select, profile, data, seeds_chosen=bool(args.seeds))
    if not claims:
        print(f"repro plan: no claim in {args.claims} has an id containing {args.select!r}", file=sys.stderr)
        return 2
    store = RunStore(args.store, create=False)  # plan only reads: it creates nothing
    rows = [(run, *stored_state(store, run)) for run in runs]  # (run, state, measured hours)
    for run, state, measured in rows:
        shown = "-" if measured is None else f"{measured:.4f} h"
        print(f"{state:<8} {run.gpu_hours:9.2f} GPU-h  measured {shown:>10}  wave {run.wave}  {run.name}")
    todo = [run for run, state, _ in rows if state != "stored"]
    for w in sorted({run.wave for run in runs}):
        kinds = dict.fromkeys(run.kind for run in runs if run.wave == w)
        print(f"wave {w}: {sum(run.wave == w for run in runs)} runs ({', '.join(kinds)}), "
              f"{sum(run.wave == w for run in todo)} to compute, "
              f"{sum(run.gpu_hours for run in todo if run.wave == w):,.1f} GPU-hours; "
              f"parents all in earlier waves: repro run --wave {w} --shard I/N")
    # stored runs with timings (the tiny base model is predicted to cost nothing)
    calibration = [(measured, run.gpu_hours) for run, state, measured in rows
                   if state == "stored" and measured is not None and run.gpu_hours > 0]
    if calibration and profile.name == "paper":
        measured_total, predicted_total = (sum(c) for c in zip(*calibration))
        print(f"measured / predicted over {len(calibration)} stored runs: {measured_total / predicted_total:.3g} "
              "(wall-clock hours from timings.json against the model: calibrate repro/cost.py with it)")
    print(f"{len(runs)} runs for {len(claims)} claim(s) on profile {profile.name}: "
          f"{len(runs) - len(todo)} stored, {len(todo)} to compute")
    scope = "" if profile.name == "paper" else " if run on the paper profile (this profile's runs are far cheaper)"
    print(f"estimated cost of the runs to compute{scope}: {sum(run.gpu_hours for run in todo):,.0f} GPU-hours "
          f"({sum(run.bound_hours for run in todo):,.0f} with every sequence at its max length) at {describe()}")
    return 0


def stored_state(store, run: PlannedRun) -> tuple[str, float | None]:
    """("stored" | "missing" | "damaged", wall-clock hours of a stored run or None)."""
    from repro.store import CorruptRunError
    try:
        stored = store.get(run.spec)
    except CorruptRunError:
        return "damaged", None
    return ("stored", measured_hours(stored)) if stored else ("missing", None)


def measured_hours(run) -> float | None:
    """Wall-clock hours a stored run took (its timings.json `total_s`), None if unknown."""
    if run is None:
        return None
    try:
        return float(run.read_json("timings.json")["total_s"]) / 3600
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return None

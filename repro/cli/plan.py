"""`repro plan`: the runs the selected claims need, each once, which are stored, and their GPU-hours.

It only reads: the store is opened read-only and nothing is created (repro.store.RunStore).
"""
from __future__ import annotations

import functools
import hashlib
import json
import sys

from repro.claims import select_claims
from repro.cli.options import add_options, claims_dir, explicit, seeds_count, value
from repro.models import with_tokenizer
from repro.cost import MEASURE_FIX, describe, describe_disk
from repro.data import data_source
from repro.plan import PlannedRun, planned_runs
from repro.preflight import read_problems
from repro.profiles import get_profile
from repro.rounds import design_lines
from repro.schedule import critical_path, makespan
from repro.store import SPEC_FILE, CorruptRunError, RunStore


def add_plan_parser(subparsers) -> None:
    """`repro plan`: the deduplicated runs that the selected claims need, which are stored, and their cost."""
    p = subparsers.add_parser("plan", help="list the runs the claims need, which are stored, and their GPU-hours")
    add_options(p, "profile", "store", "claims", "seeds", "data_dir", "tokenizer", "runs_file")
    p.add_argument("-k", dest="select", default="", help="only claims whose id contains this text")
    p.add_argument("--gpus", type=int, default=None, metavar="N",
                   help="also print the predicted makespan of the waves to compute on N GPUs, beside the critical path")
    p.add_argument("--next-round", action="store_true",
                   help="judge the stored runs at the look they reach and list the next look's runs of the parts "
                        "still open with a fair chance (the sequential design), with their GPU-hours")
    p.set_defaults(func=run_plan)


def run_plan(args) -> int:
    """Print one line per needed run (stored, missing or damaged) with its GPU-hours, then the totals."""
    if args.gpus is not None and args.gpus < 1:
        print(f"repro plan: --gpus {args.gpus}: give a number of GPUs >= 1", file=sys.stderr)
        return 2
    profile = with_tokenizer(get_profile(args.profile), explicit(args.tokenizer, "tokenizer"))
    if seeds_count(args.seeds):
        profile = profile.with_seeds(args.seeds)
    data = data_source(profile, args.data_dir)  # the runs' data identity is part of their keys
    directory = claims_dir(args.claims)
    claims = select_claims(directory, args.select)
    if args.next_round:
        return print_next_round(claims, profile, data, value(args.store, "store"),
                                explicit(args.runs_file, "runs_file"))
    runs = planned_runs(claims, profile, data, seeds_chosen=bool(args.seeds))
    if not claims:
        print(f"repro plan: no claim in {directory} has an id containing {args.select!r}", file=sys.stderr)
        return 2
    store = RunStore(value(args.store, "store"), create=False)  # plan only reads: it creates nothing
    rows = [(run, *stored_state(store, run)) for run in runs]  # (run, state, measured hours)
    if profile.sequential is not None and not seeds_count(args.seeds):  # the design's rounds (repro.rounds)
        first = runs if len(profile.seeds) == profile.sequential.looks[0] else None
        for line in design_lines(claims, profile, data, first):
            print(line)
    elsewhere = on_other_data(store, [run.spec for run, state, _ in rows if state == "missing"])
    for run, state, measured in rows:
        shown = "-" if measured is None else f"{measured:.4f} h"
        other = f"  (stored on other data: {elsewhere[run.spec.key]})" if run.spec.key in elsewhere else ""
        print(f"{state:<8} {run.gpu_hours:9.2f} GPU-h  measured {shown:>10}  wave {run.wave}  {run.name}{other}")
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
    if elsewhere:
        print(f"{len(elsewhere)} run(s) to compute are stored on other data: the files they read differ from "
              "the data directory's now (changed data, another --data-dir, or a store from before data "
              "fingerprints), so they are not reused; their folders stay in the store")
    print(f"{len(runs)} runs for {len(claims)} claim(s) on profile {profile.name}: "
          f"{len(runs) - len(todo)} stored, {len(todo)} to compute")
    problems = read_problems(data, [run.spec for run, state, _ in rows if state != "stored"])
    for line in problems:
        print(f"repro plan: data: {line}", file=sys.stderr)
    scope = "" if profile.name == "paper" else " if run on the paper profile (this profile's runs are far cheaper)"
    print(f"estimated cost of the runs to compute{scope}: {sum(run.gpu_hours for run in todo):,.0f} GPU-hours "
          f"({sum(run.bound_hours for run in todo):,.0f} with every sequence at its max length) at {describe()}")
    print(f"estimated disk for the runs to compute{scope}: {describe_disk(todo)}")
    unsampled = dict.fromkeys(part for run in todo for part in run.unmeasured)
    if unsampled:
        print(f"no length sample for {', '.join(unsampled)} in repro/length_samples.json: those parts are costed "
              f"with every sequence at its max length (an upper bound); measure them with `{MEASURE_FIX}` "
              "(on real rows: add --data-dir DIR --tokenizer PATH)")
    if args.gpus is not None:
        print_makespan(todo, args.gpus)
    return 0


def print_next_round(claims, profile, data, store_dir, runs_file=None) -> int:
    """`repro plan --next-round`: per claim part the look its stored runs reach and why it stops or goes on,
    then the missing runs of the next look of the open parts (only the configurations their open comparisons
    need), wave by wave, written to `runs_file` for `repro run`/`repro submit --runs-file`."""
    from repro.engine import Engine
    from repro.rounds import walk
    from repro.store import MissingRunError
    if profile.sequential is None:
        print(f"repro plan: --next-round: profile {profile.name} has no sequential design (Profile.sequential)",
              file=sys.stderr)
        return 2
    engine = Engine(RunStore(store_dir, create=False), data, profile, compute=False)
    chosen: dict[str, PlannedRun] = {}
    open_parts = []
    for claim in claims:
        if not claim.needs_runs:  # a setup claim: nothing to run
            continue
        try:
            rounds = walk(claim, engine)
        except MissingRunError:
            print(f"{claim.id}: its first round ({profile.sequential.looks[0]} chains) is not all stored: compute it "
                  f"first (repro run -k {claim.id}, or pytest -m claims)")
            continue
        out = rounds.outcome
        seq, said = out.sequential, getattr(out.verdict.outcome, "value", out.verdict.outcome)
        if seq is None:  # skipped or damaged: said as it is
            print(f"{claim.id}: {said}: {out.skipped}")
            continue
        upcoming = seq.get("next_round")
        held = ", ".join(f"{c} at {n}" for c, n in seq.get("held", {}).items())
        print(f"{claim.id}: look {seq['look']} ({seq['chains']} chains{'; held: ' + held if held else ''}, "
              f"level {seq['level']:.4f}): {said}; {seq['stopped']}"
              + (f"; next round {upcoming['chains']} chains: {upcoming['runs']} runs, {upcoming['gpu_hours']:,.1f} "
                 f"GPU-hours (predictive power {seq['power']:.2f})" if upcoming else ""))
        if upcoming:
            for run in rounds.next_runs:
                chosen.setdefault(run.name, run)
            open_parts.append(claim.id)
    runs = sorted(chosen.values(), key=lambda run: run.wave)
    for run in runs:
        print(f"next     {run.gpu_hours:9.2f} GPU-h  wave {run.wave}  {run.name}")
    for w in sorted({run.wave for run in runs}):
        print(f"next round, wave {w}: {sum(run.wave == w for run in runs)} runs, "
              f"{sum(run.gpu_hours for run in runs if run.wave == w):,.1f} GPU-hours")
    print(f"next round: {len(runs)} runs for {len(open_parts)} open claim part(s), "
          f"{sum(run.gpu_hours for run in runs):,.1f} GPU-hours on the paper cost model")
    if runs and runs_file is None:
        print("  write them with --runs-file FILE, then compute them with repro run --runs-file FILE --wave W "
              "(each wave above) or repro submit --runs-file FILE")
    elif runs_file is not None:
        with open(runs_file, "w", encoding="utf-8") as f:
            f.write(f"# the next round of {', '.join(open_parts) or 'no open part'} ({profile.name}); "
                    "repro run/submit --runs-file read it\n" + "".join(f"{run.name}\n" for run in runs))
        print(f"  written to {runs_file}: repro run --runs-file {runs_file} --wave W (each wave above), "
              f"or repro submit --runs-file {runs_file}")
    return 0


def print_makespan(runs, gpus: int) -> None:
    """The predicted makespan of `runs` on `gpus` GPUs, wave after wave, and the critical path."""
    total, per_wave = makespan(runs, gpus)
    path_hours, chain = critical_path(runs)
    waves = ", ".join(f"wave {w} {h:,.1f} h" for w, h in per_wave.items())
    print(f"on {gpus} GPUs, waves one after another, runs dealt longest first: {total:,.1f} hours "
          f"({waves or 'nothing to compute'}); critical path {path_hours:,.1f} hours "
          f"({' -> '.join(chain) or '-'}): no number of GPUs finishes sooner (predictions, not a schedule)")


def stored_state(store, run: PlannedRun) -> tuple[str, float | None]:
    """("stored" | "missing" | "damaged", wall-clock hours of a stored run or None)."""
    try:
        stored = store.get(run.spec)
    except CorruptRunError:
        return "damaged", None
    return ("stored", measured_hours(stored)) if stored else ("missing", None)


def on_other_data(store, specs) -> dict[str, str]:
    """{key of a spec in `specs`: the folder of a stored run that differs from it only in the data it
    read (its own `data` field or an ancestor's)}: runs made on other data."""
    stored = {}
    for path in store.runs():
        try:
            entry = json.loads((path / SPEC_FILE).read_text(encoding="utf-8"))
            stored[entry["key"]] = (path.name, entry["spec"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged folder is shown as such elsewhere

    @functools.cache
    def stored_blind(key: str) -> str:
        if key not in stored:
            return key
        spec = dict(stored[key][1], data=None)
        spec["parent"] = spec.get("parent") and stored_blind(spec["parent"])
        return _digest(spec)

    by_blind = {stored_blind(key): name for key, (name, _) in stored.items()}
    found = {spec.key: by_blind.get(data_blind_key(spec)) for spec in specs}
    return {key: name for key, name in found.items() if name is not None}


def data_blind_key(spec) -> str:
    """The key `spec` would have if no run in its chain named its data."""
    out = dict(spec.to_dict(), data=None)
    out["parent"] = data_blind_key(spec.parent) if spec.parent is not None else None
    return _digest(out)


def _digest(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def measured_hours(run) -> float | None:
    """Wall-clock hours a stored run took (its timings.json `total_s`), None if unknown."""
    if run is None:
        return None
    try:
        return float(run.read_json("timings.json")["total_s"]) / 3600
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return None

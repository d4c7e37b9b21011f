"""`repro submit`: the plan's waves as SLURM job arrays, each starting when the previous one succeeded.

One array per wave (and one more per wave for the runs predicted above `--torchrun-above`
GPU-hours, each element training one run on `--torchrun-gpus` GPUs under torchrun), every
element running `repro run --wave W --shard I/N` through the job script that ships in the package
(`repro/cluster/job.sh`).  Each array asks for `--signal=B:USR1@<seconds>` and `--requeue`: before
the time limit (or on preemption's SIGTERM) the run saves a checkpoint and exits 75, the script
requeues the element, and the next attempt resumes (`repro.checkpoints`).  A wave depends on the
previous wave's arrays with `afterok` and `--kill-on-invalid-dep=yes`, so a failed run stops the
chain instead of leaving it pending.  Logs go to `<store>/.slurm/`.

Plain `sbatch`, not submitit: the unit of work is already a shell command (`repro run`), the
requeue-on-signal logic is a dozen lines of bash that can be read and tested against a real
`slurmctld`, and submitit would add a dependency, pickled callables in the store, and job states
read through `sacct`, which reads UNKNOWN without the accounting daemon `slurmdbd`.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from repro.claims import select_claims
from repro.cli.options import add_options, claims_dir, explicit, planned_with_runs_file, seeds_count, value
from repro.cli.run import check_wave, within_hours
from repro.data import data_source
from repro.profiles import get_profile
from repro.store import check_store_path

JOB_SCRIPT = Path(__file__).resolve().parents[1] / "cluster" / "job.sh"


@dataclass(frozen=True)
class Array:
    """One job array: wave `wave`, `jobs` elements, `nproc` GPUs (torchrun) per element."""

    wave: int
    jobs: int
    nproc: int
    run_args: tuple[str, ...]  # `repro run` arguments (the shard is the script's)
    name: str


def add_submit_parser(subparsers) -> None:
    """`repro submit`: one sbatch array per wave, chained with afterok; --dry-run prints them."""
    p = subparsers.add_parser("submit", help="submit the waves as SLURM job arrays chained with afterok")
    add_options(p, "profile", "store", "claims", "seeds", "data_dir", "runs_file")
    p.add_argument("-k", dest="select", default="", help="only claims whose id contains this text")
    p.add_argument("--from-wave", type=int, default=0, metavar="W", help="submit wave W and the later ones")
    p.add_argument("--partition", default=None, help="sbatch --partition")
    p.add_argument("--time", default="24:00:00", help="each element's time limit (sbatch --time)")
    p.add_argument("--gres", default="gpu:1", help="sbatch --gres of a one-GPU element ('none': omit it)")
    p.add_argument("--max-array", type=int, default=64, metavar="N", help="at most N elements per array")
    p.add_argument("--signal-seconds", type=int, default=600, metavar="S",
                   help="USR1 this many seconds before the time limit: checkpoint and requeue (default 600)")
    p.add_argument("--torchrun-above", type=float, default=None, metavar="H",
                   help="runs predicted above H GPU-hours get --torchrun-gpus GPUs each, in their own array")
    p.add_argument("--torchrun-gpus", type=int, default=8, metavar="K", help="GPUs of such a run (default 8)")
    p.add_argument("--sbatch-arg", action="append", default=[], metavar="ARG",
                   help="one more sbatch argument for every array, e.g. --sbatch-arg=--account=xyz (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print the sbatch commands, submit nothing")
    p.set_defaults(func=run_submit)


def plan_arrays(runs, args) -> list[Array]:
    """The arrays of every wave from `args.from_wave` on, in submission order."""
    common = ["--profile", args.profile or os.environ.get("REPRO_PROFILE", "smoke"),
              "--store", str(Path(value(args.store, "store")).resolve())]
    for flag, given in (("--claims", args.claims), ("--data-dir", value(args.data_dir, "data_dir")),
                        ("--seeds", args.seeds), ("-k", args.select or None),
                        ("--runs-file", explicit(getattr(args, "runs_file", None), "runs_file"))):
        if given is not None:
            paths = ("--claims", "--data-dir", "--runs-file")
            common += [flag, str(Path(given).resolve()) if flag in paths else str(given)]
    heavy = args.torchrun_above
    arrays = []
    for w in sorted({r.wave for r in runs if r.wave >= args.from_wave}):
        in_wave = [r for r in runs if r.wave == w]
        light = in_wave if heavy is None else within_hours(in_wave, None, heavy)
        if light:
            bound = [] if heavy is None else ["--max-gpu-hours", str(heavy)]
            arrays.append(Array(w, min(len(light), args.max_array), 1,
                                (*common, "--wave", str(w), *bound), f"repro-w{w}"))
        many = [] if heavy is None else within_hours(in_wave, heavy, None)
        if many:
            arrays.append(Array(w, min(len(many), args.max_array), args.torchrun_gpus,
                                (*common, "--wave", str(w), "--min-gpu-hours", str(heavy)), f"repro-w{w}-multi"))
    return arrays


def sbatch_command(array: Array, args, logs: Path, depends: list[str]) -> list[str]:
    """The sbatch command line of `array`, after the jobs `depends` (ids or shell variables)."""
    cmd = ["sbatch", "--parsable", f"--job-name={array.name}", f"--array=0-{array.jobs - 1}",
           f"--time={args.time}", "--requeue", f"--signal=B:USR1@{args.signal_seconds}",
           "--open-mode=append", f"--output={logs}/%x-%A_%a.out", f"--chdir={Path.cwd()}"]
    if args.partition:
        cmd.append(f"--partition={args.partition}")
    if array.nproc > 1:
        cmd.append(f"--gres=gpu:{array.nproc}")
    elif args.gres != "none":
        cmd.append(f"--gres={args.gres}")
    if depends:
        cmd += [f"--dependency=afterok:{':'.join(depends)}", "--kill-on-invalid-dep=yes"]
    return [*cmd, *args.sbatch_arg, str(JOB_SCRIPT), sys.executable, str(array.nproc), str(array.jobs),
            *array.run_args]


def run_submit(args) -> int:
    """Print (--dry-run) or submit each wave's arrays, each after the previous wave's."""
    for flag, number, least in (("--max-array", args.max_array, 1), ("--torchrun-gpus", args.torchrun_gpus, 2),
                                ("--signal-seconds", args.signal_seconds, 1)):
        if number < least:
            print(f"repro submit: {flag} {number}: give a number >= {least}", file=sys.stderr)
            return 2
    store = Path(value(args.store, "store")).resolve()
    if not args.dry_run:
        check_store_path(store)  # a read-only or file store is one line, before anything is planned
    profile = get_profile(args.profile)
    if seeds_count(args.seeds):
        profile = profile.with_seeds(args.seeds)
    claims = select_claims(claims_dir(args.claims), args.select)
    runs = planned_with_runs_file(claims, profile, data_source(profile, args.data_dir), args)
    if not runs:
        print(f"repro submit: no run to submit ({len(claims)} claim(s) match -k {args.select!r})", file=sys.stderr)
        return 2
    check_wave(args.from_wave, runs, "--from-wave")
    logs = store / ".slurm"
    ids: dict[int, list[str]] = {}
    for array in plan_arrays(runs, args):
        earlier = [w for w in ids if w < array.wave]
        depends = ids[max(earlier)] if earlier else []
        cmd = sbatch_command(array, args, logs, depends)
        if args.dry_run:
            job = f"$W{array.wave}{'M' if array.nproc > 1 else ''}"
            shown = " ".join(f'"{a}"' if "$W" in a else shlex.quote(a) for a in cmd)
            print(f"{job[1:]}=$({shown})")
        else:
            logs.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"repro submit: sbatch refused wave {array.wave}'s array: {done.stderr.strip()}; "
                      "fix the options (partition, gres, time) and submit again with --from-wave "
                      f"{array.wave}", file=sys.stderr)
                return 2
            job = done.stdout.strip().split(";")[0]
            print(f"wave {array.wave}: array {job} ({array.name}, {array.jobs} job(s), "
                  f"{array.nproc} GPU(s) each)", flush=True)
        ids.setdefault(array.wave, []).append(job)
    return 0

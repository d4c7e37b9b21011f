"""`repro run`: compute the runs that the selected claims need, outside pytest.

For GPU clusters.  Every run is an independent unit in the shared store, so
existing launchers spread the work:

- job arrays that never wait: one array per wave (`repro plan` lists them),
  `repro run --wave W --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`, each array
  submitted with `--dependency=afterok` on the previous one; a wave's parents are all
  stored before it starts, so no job waits on another's lock, and its runs are dealt out
  dearest first, so the shards' predicted GPU-hours differ by at most one run's;
- one array over everything: `repro run --shard I/N` (every N-th run, parents first; a
  parent needed by several jobs is computed once, the others wait on its lock);
- one run on several GPUs: `torchrun --nproc_per_node 8 -m repro run --only DIRNAME`
  (all ranks train it together; rank 0 writes it).

A run interrupted by SIGTERM or SIGUSR1 (preemption, the time limit) saves a checkpoint and
exits with `interrupt.EXIT_REQUEUE`; the next attempt resumes from it (`repro submit` writes
the arrays and the job script that requeues).  `pytest -m claims --no-compute` then judges
the stored runs.
"""
from __future__ import annotations

import logging
import sys

from repro import distributed, interrupt
from repro.claims import select_claims
from repro.cli.options import add_options, claims_dir, explicit, planned_with_runs_file, seeds_count, value
from repro.data import data_source
from repro.errors import UsageError
from repro.models import with_tokenizer
from repro.engine import build_engine
from repro.plan import wave as wave_of, with_ancestors
from repro.preflight import check_reads
from repro.profiles import get_profile
from repro.store import RunStore

log = logging.getLogger(__name__)


def parse_shard(text: str) -> tuple[int, int]:
    """"I/N" -> (I, N) with 0 <= I < N; ValueError naming the expected form otherwise."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard {text!r}: expected I/N, e.g. 0/4 (job I of N, counted from 0)") from None
    if not 0 <= index < count:
        raise UsageError(f"--shard {text!r}: job I of N is counted from 0, so need 0 <= I < N "
                         f"(e.g. {min(max(index, 0), max(count, 1) - 1)}/{max(count, 1)}; in an array "
                         "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT with --array=0-(N-1))")
    return index, count


def select_runs(specs, *, only: str = "", shard: tuple[int, int] = (0, 1), wave: int | None = None):
    """The runs of `wave` (None: all) whose folder name or key starts with `only`, then every
    N-th of them from I."""
    chosen = [s for s in specs if (s.dirname.startswith(only) or s.key.startswith(only))
              and (wave is None or wave_of(s) == wave)]
    index, count = shard
    return chosen[index::count]


def dearest_first(runs):
    """Planned runs by predicted GPU-hours, highest first: dealt out every N-th, the shards'
    totals then differ by at most the dearest run's, and each shard starts with its longest."""
    return sorted(runs, key=lambda run: -run.gpu_hours)


def within_hours(runs, low: float | None, high: float | None):
    """The planned runs predicted at `low` GPU-hours or more and below `high` (None: no bound)."""
    return [r for r in runs if (low is None or r.gpu_hours >= low) and (high is None or r.gpu_hours < high)]


def check_wave(wave: int, runs, flag: str = "--wave") -> None:
    """ValueError unless `wave` is one of the planned waves (0 .. the last)."""
    last = max((r.wave for r in runs), default=0)
    if not 0 <= wave <= last:
        raise UsageError(f"{flag} {wave}: the plan has waves 0 to {last}; give one of them "
                         "(`repro plan` lists each wave's runs)")


def require_stored_parents(store: RunStore, specs, wave: int) -> None:
    """ValueError unless every parent of `specs` is stored: a wave never computes, or waits for,
    a run of another wave."""
    missing = sorted({s.parent.dirname for s in specs if s.parent is not None and store.get(s.parent) is None})
    if missing:
        raise UsageError(f"wave {wave} starts from {len(missing)} run(s) of earlier waves that are not stored "
                         f"(e.g. {missing[0]}): run `repro run --wave {wave - 1}` first (on a cluster: submit "
                         "this wave's array with --dependency=afterok on the previous one)")


def add_run_parser(subparsers) -> None:
    """`repro run`: compute the runs the selected claims need (all, one, or a shard)."""
    p = subparsers.add_parser("run", help="compute the runs the claims need (for clusters and torchrun)")
    add_options(p, "profile", "store", "claims", "seeds", "data_dir", "tokenizer", "runs_file")
    p.add_argument("-k", dest="select", default="", help="only claims whose id contains this text")
    p.add_argument("--only", default="", metavar="PREFIX",
                   help="only the runs whose folder name (as `repro plan` prints it) or key starts with PREFIX")
    p.add_argument("--shard", default="0/1", metavar="I/N", help="take every N-th run from the I-th (job arrays)")
    p.add_argument("--wave", type=int, default=None, metavar="W",
                   help="only the runs of wave W (`repro plan` lists them); their parents must be stored")
    p.add_argument("--min-gpu-hours", type=float, default=None, metavar="H",
                   help="only the runs predicted at H GPU-hours or more (`repro submit`'s multi-GPU arrays)")
    p.add_argument("--max-gpu-hours", type=float, default=None, metavar="H",
                   help="only the runs predicted below H GPU-hours")
    p.set_defaults(func=run_jobs)


def run_jobs(args) -> int:
    """Compute the selected runs (and their parents), parents first; print each as it is done."""
    try:
        shard = parse_shard(args.shard)
    except ValueError as err:
        print(f"repro run: {err}", file=sys.stderr)
        return 2
    profile = with_tokenizer(get_profile(args.profile), explicit(args.tokenizer, "tokenizer"))
    if seeds_count(args.seeds):
        profile = profile.with_seeds(args.seeds)
    store = value(args.store, "store")
    RunStore(store, create=False)  # a file or a dangling link in the way is said first, and nothing is created
    data = data_source(profile, args.data_dir)
    claims = select_claims(claims_dir(args.claims), args.select)
    runs = planned_with_runs_file(claims, profile, data, args)
    if args.wave is not None:
        check_wave(args.wave, runs)
        runs = dearest_first(runs)
    runs = within_hours(runs, getattr(args, "min_gpu_hours", None), getattr(args, "max_gpu_hours", None))
    chosen = select_runs([r.spec for r in runs], only=args.only, shard=shard, wave=args.wave)
    if not claims or not chosen:  # said before the store is opened: a selection of nothing creates nothing
        in_wave = "" if args.wave is None else f" of wave {args.wave}"
        print(f"repro run: nothing selected ({len(claims)} claim(s) match -k {args.select!r}, "
              f"{len(chosen)} run(s){in_wave} match --only {args.only!r} in shard {args.shard}); "
              "`repro plan` lists the runs", file=sys.stderr)
        return 2
    check_reads(data, with_ancestors(chosen))  # every read resolved before the store is touched
    if args.wave is not None:
        require_stored_parents(RunStore(store, create=False), chosen, args.wave)
    engine = build_engine(profile, store, args.data_dir)
    state = distributed.state()  # joins a launcher's process group before the first run
    interrupt.install()  # SIGTERM/SIGUSR1: checkpoint, stop, exit EXIT_REQUEUE
    try:
        for spec in chosen:
            run = engine.ensure(spec)
            if state.is_main_process:
                print(f"done     {run.path.name}", flush=True)
    except interrupt.Interrupted as err:
        print(f"repro run: {err}; exit status {interrupt.EXIT_REQUEUE}: requeue the job "
              "(the job script of `repro submit` does)", file=sys.stderr, flush=True)
        return interrupt.EXIT_REQUEUE
    return 0

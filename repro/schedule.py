"""What the waves of a plan take on N GPUs: a figure for the user, not a scheduler.

The waves run one after another (each job array starts when the previous one has succeeded); a
wave's runs are dealt to the GPUs longest first, each to the GPU that frees up first (the LPT rule,
within 4/3 of the best possible).  A run that several GPUs train together (`gpus_for`) holds that
many.  The critical path is the dearest chain of parent and child runs: no number of GPUs finishes
sooner.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

from repro.errors import UsageError


def wave_makespan(hours: Sequence[float], gpus: int) -> float:
    """Hours until the last of `hours` (one GPU each) ends on `gpus` GPUs, dealt longest first."""
    if gpus < 1:
        raise UsageError(f"--gpus {gpus}: give a number of GPUs >= 1")
    free = [0.0] * gpus
    for h in sorted(hours, reverse=True):
        heapq.heappush(free, heapq.heappop(free) + h)
    return max(free)


def makespan(runs, gpus: int, gpus_for: Callable[[object], int] = lambda run: 1) -> tuple[float, dict[int, float]]:
    """(total hours, hours per wave) of `runs` (PlannedRun) on `gpus` GPUs, wave after wave.

    A run that `gpus_for` gives k GPUs counts as k runs of a k-th of its GPU-hours (data parallel,
    ideal scaling, so the figure is a lower one for such runs)."""
    per_wave: dict[int, float] = {}
    for w in sorted({run.wave for run in runs}):
        pieces = []
        for run in runs:
            if run.wave == w:
                k = max(1, min(gpus_for(run), gpus))
                pieces += [run.gpu_hours / k] * k
        per_wave[w] = wave_makespan(pieces, gpus)
    return sum(per_wave.values()), per_wave


def critical_path(runs) -> tuple[float, list[str]]:
    """(hours, run names from the first parent down) of the dearest parent-to-child chain of `runs`."""
    hours = {run.spec.key: run.gpu_hours for run in runs}
    best: tuple[float, list[str]] = (0.0, [])
    for run in runs:
        total, chain, spec = 0.0, [], run.spec
        while spec is not None:
            total += hours.get(spec.key, 0.0)
            chain.append(spec.dirname)
            spec = spec.parent
        if total > best[0]:
            best = (total, chain[::-1])
    return best

"""Calibrate the planted world: the effect sizes, and how often the suite recovers each claim.

    OMP_NUM_THREADS=1 python benchmarks/planted_calibration.py [--replications 6] [--workers 2]
        [--store /tmp/planted-calibration]

Trains the planted target from each configuration (no intermediate task, planted_skill,
planted_null) for replications x (the planted profile's seed count) seeds, in `--workers`
processes over one run store.  Then (1) the effect sizes: each configuration against the
baseline on all seeds together; (2) power: each planted claim judged, by repro.judging.judge,
on every replication's own seeds (replication r takes seeds r*n+1 .. r*n+n; the first is
what `pytest -m planted` runs); (3) false positives: every claim with
planted_skill and planted_null swapped, so that what it states is false, judged the same way.  Prints markdown.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import replace  # noqa: E402

from repro import plan, planted  # noqa: E402
from repro.claims import load_claims  # noqa: E402
from repro.judging import judge  # noqa: E402
from repro.outcomes import run_outcomes  # noqa: E402
from repro.stats import paired_difference  # noqa: E402
from repro.tasks import get_task  # noqa: E402
from repro.tasks.planted import NULL, SKILL, TARGET  # noqa: E402

CONFIGURATIONS = (None, (SKILL,), (NULL,))


def _compute(args) -> None:
    store, spec = args
    import torch
    torch.set_num_threads(1)
    planted.build(store, breaks="").ensure(spec)


def swapped_claims(claims):
    """Every claim with planted_skill and planted_null swapped, so that its statement is false:
    the positive claims then speak of the null (true effect about 0), the null claim of the skill."""
    swap = {(SKILL,): (NULL,), (NULL,): (SKILL,)}
    return [replace(claim, id=f"{claim.id}, skill and null swapped",
                    configurations=tuple(swap.get(c, c) for c in claim.configurations)) for claim in claims]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replications", type=int, default=6)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--store", default="/tmp/planted-calibration")
    args = p.parse_args()
    n = len(planted.PROFILE.seeds)
    seeds = tuple(range(1, args.replications * n + 1))
    profile = replace(planted.PROFILE, seeds=seeds)
    engine = planted.build(args.store, profile=profile, breaks="")
    started = time.time()
    with ProcessPoolExecutor(args.workers) as pool:  # the phase-(ii) runs first: one per chain (seed)
        list(pool.map(_compute, [(args.store, plan.intermediate_spec(profile, engine.data, c, s))
                                 for s in seeds for c in CONFIGURATIONS[1:]]))
    specs = {(c, s): plan.target_spec(profile, engine.data, TARGET, intermediate=c, seed=s)
             for s in seeds for c in CONFIGURATIONS}
    with ProcessPoolExecutor(args.workers) as pool:
        list(pool.map(_compute, [(args.store, spec) for spec in specs.values()]))
    print(f"{len(specs)} target runs ready in {time.time() - started:.0f} s ({args.workers} workers)\n")

    runs = {key: run_outcomes(engine.ensure(spec), "validation") for key, spec in specs.items()}
    metrics = {TARGET: get_task(TARGET).metric}
    print(f"## Effect sizes: {len(seeds)} seeds per configuration\n")
    print("| configuration | difference to no intermediate task | 95% CI |\n|---|---|---|")
    for config in CONFIGURATIONS[1:]:
        diff = paired_difference([runs[(config, s)] for s in seeds], [runs[(None, s)] for s in seeds],
                                 metrics=metrics, parallel=[TARGET], rng=0)
        print(f"| {config[0]} | {diff.estimate:+.2f} | {diff.ci95[0]:+.2f} to {diff.ci95[1]:+.2f} |")

    claims = load_claims(planted.CLAIMS_DIR)
    tally = {c.id: Counter() for c in (*claims, *swapped_claims(claims))}
    for r in range(args.replications):
        engine_r = planted.build(args.store, profile=replace(profile, seeds=seeds[r * n:(r + 1) * n]), breaks="")
        for claim in (*claims, *swapped_claims(claims)):
            tally[claim.id][judge(claim, engine_r).verdict.outcome.value] += 1
    print(f"\n## Verdicts over {args.replications} replications of {n} seeds each\n")
    print("| claim part | truth | reproduced | not reproduced | inconclusive |\n|---|---|---|---|---|")
    for cid, counts in tally.items():
        truth = "false" if "swapped" in cid else "true"
        print(f"| {cid} | {truth} | {counts['reproduced']} | {counts['not_reproduced']} | "
              f"{counts['inconclusive']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

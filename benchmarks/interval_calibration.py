"""Old vs new interval on planted truths: the table of docs/statistics.md §5 (a study, not a test).

    OMP_NUM_THREADS=1 python benchmarks/interval_calibration.py [--datasets 1000] [--quick]

"old" is the interval before the interaction was counted once: Var_ex + Σ_c s_c²/S_c
with Welch df on the seed part alone; "new" is `paired_difference` as it is.  Both
read the same simulated data sets and the same bootstrap (199 example resamples).
Columns: coverage of the 95 % interval, mean 95 % half-width over 1.96 x the true SD
of Δ̂ (1.00 is ideal), "improves" false positives under Δ = 0, the magnitude
verdict's P(reproduced) at the band's edge and centre, and the median seeds_needed.
The slow tier of tests/stats/test_calibration.py asserts the targets on the new one.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from scipy import stats as sps  # noqa: E402
from scipy.optimize import brentq  # noqa: E402

from repro.stats import Outcome, judge_improves, judge_magnitude  # noqa: E402
from repro.stats.simulate import accuracy_truth, study  # noqa: E402

SEED_SD = {"none": 0.0, "small": 0.02, "moderate": 0.1, "dominant": 0.3}  # σ_u on the probit scale
COVERAGE = ([(k, 1000, s, u) for k in ("acc", "f1") for s in (2, 3, 5, 10) for u in SEED_SD]
            + [(k, n, 3, u) for k in ("acc", "f1") for n in (200, 5000) for u in ("none", "moderate")]
            + [("acc", 3000, 3, "small")])  # the regime of 3 languages x 1,000 examples
MAGNITUDE = dict(expected=3.0, margin=1.5, n=3000, sigma_v=(0.5, 0.5), sigma_u=0.02)


def legacy(r):
    """The result as the old estimator gave it: all of s_c² in the seed part, Welch df on it alone."""
    if not r.seed_variance_estimable:
        return r
    va, vb = r.seed_var_a / r.n_seeds_a, r.seed_var_b / r.n_seeds_b
    denom = sum((v**2 / (s - 1)) for v, s in ((va, r.n_seeds_a), (vb, r.n_seeds_b)) if s > 1)
    df = (va + vb) ** 2 / denom if denom > 0 else np.inf
    old = dataclasses.replace(r, var_seeds=va + vb, df=df, components=None)
    return dataclasses.replace(old, ci90=old.interval(0.90), ci95=old.interval(0.95))


def coverage_row(kind, n, s, seed, r):
    res, truth = study(kind, r, n, seeds=s, sigma_u=SEED_SD[seed], rng=100 + s)
    sd = np.std([x.estimate for x in res], ddof=1)
    cells = [f"{'accuracy' if kind == 'acc' else 'corpus F1'}", str(n), str(s), seed, f"{sd:.2f}"]
    for version in (legacy, lambda x: x):
        xs = [version(x) for x in res]
        cov = np.mean([x.ci95[0] < truth < x.ci95[1] for x in xs])
        half = np.mean([(x.ci95[1] - x.ci95[0]) / 2 for x in xs]) / (1.96 * sd)
        cells += [f"{cov:.3f}", f"{half:.2f}"]
    return cells


def mu_b_for(delta, **kw):
    return brentq(lambda m: accuracy_truth(1.0, **kw) - accuracy_truth(m, **kw) - delta, -5, 5)


def magnitude_rows(r):
    m = MAGNITUDE
    kw = dict(sigma_v=m["sigma_v"][0], sigma_u=m["sigma_u"])
    rows = []
    for s in (3, 5, 10):
        for where, delta in (("lower edge", m["expected"] - m["margin"]), ("centre", m["expected"]),
                             ("upper edge", m["expected"] + m["margin"])):
            res, _ = study("acc", r, m["n"], seeds=s, sigma_u=m["sigma_u"], sigma_v=m["sigma_v"],
                           mu=(1.0, mu_b_for(delta, **kw)), rng=200 + s)
            cells = [str(s), where]
            for version in (legacy, lambda x: x):
                vs = [judge_magnitude(version(x), expected=m["expected"], margin=m["margin"]) for x in res]
                rep = np.mean([v.outcome == Outcome.REPRODUCED for v in vs])
                need = [v.seeds_needed for v in vs if v.seeds_needed]
                cells += [f"{rep:.3f}", f"{int(np.median(need))}" if need else "—"]
            rows.append(cells)
    return rows


def null_rows(r):
    rows = []
    for s in (2, 3, 5, 10):
        res, truth = study("acc", r, 1000, seeds=s, sigma_u=0.02, mu=(0.9, 0.9), sigma_v=(0.7, 0.7), rng=300 + s)
        assert truth == 0
        cells = [str(s)]
        for version in (legacy, lambda x: x):
            cells.append(f"{np.mean([judge_improves(version(x)).outcome == Outcome.REPRODUCED for x in res]):.3f}")
        rows.append(cells)
    return rows


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=1000, help="simulated data sets per setting")
    ap.add_argument("--quick", action="store_true", help="S = 3 coverage rows only")
    args = ap.parse_args(argv)
    r, t0 = args.datasets, time.time()
    settings = [c for c in COVERAGE if c[2] == 3] if args.quick else COVERAGE
    rows = []
    for c in settings:
        rows.append(coverage_row(*c, r))
        print(" ".join(rows[-1]), f"({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    print(table(["metric", "n", "S", "seed effect", "true SD", "old coverage", "old width", "new coverage",
                 "new width"], rows))
    if args.quick:
        return
    print()
    print(table(["S", "old 'improves' FPR", "new 'improves' FPR"], null_rows(r)))
    print()
    print(table(["S", "truth", "old P(reproduced)", "old median seeds_needed", "new P(reproduced)",
                 "new median seeds_needed"], magnitude_rows(r)))
    print(f"\n{r} data sets per setting, {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Time the example bootstrap on realistic XTREME sizes (a benchmark, not a test).

    OMP_NUM_THREADS=1 python benchmarks/bootstrap_bench.py [--resamples 10000] [--against REV]

Reports (1) a paired difference on XNLI-sized data: 15 parallel languages x
5,010 examples x 5 seeds per configuration, and (2) a full XTREME claim over
all 162 task-language cells.  Outcomes are random, each run drawn
independently (the hardest case: no two runs agree, so little can be
merged); sizes approximate the XTREME test sets and are listed below.

`--against REV` also times the `repro` package of git revision REV on the
same data, alternating old and new in fresh processes, and prints old/new.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, before NumPy loads BLAS
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.environ.get("BENCH_REPRO_ROOT", ROOT))  # whose repro package is timed

import argparse  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from repro.metrics.base import Accuracy, Metric  # noqa: E402
from repro.stats import CellOutcomes, paired_difference  # noqa: E402


class F1(Metric):
    """Corpus F1 from (tp, n_pred, n_gold)."""

    stat_names, metric_names = ("tp", "n_pred", "n_gold"), ("f1",)

    def unit_stats(self, **kw):
        raise NotImplementedError

    def from_sums(self, s):
        den = s[..., 1] + s[..., 2]
        return {"f1": np.where(den > 0, 200 * s[..., 0] / np.where(den > 0, den, 1), 0.0)}


class QA(Metric):
    """(EM + F1) / 2 from per-question (em, f1, count)."""

    stat_names, metric_names = ("em", "f1", "count"), ("f1", "exact_match")

    def unit_stats(self, **kw):
        raise NotImplementedError

    def from_sums(self, s):
        return {"f1": 100 * s[..., 1] / s[..., 2], "exact_match": 100 * s[..., 0] / s[..., 2]}

    def score(self, s):
        return 50 * (s[..., 0] + s[..., 1]) / s[..., 2]


UDPOS = dict(af=425, ar=680, bg=1116, de=22458, el=456, en=5440, es=3147, et=3214, eu=1799, fa=1455, fi=4422,
             fr=2826, he=491, hi=2684, hu=449, id=1557, it=2382, ja=2542, kk=1047, ko=4276, mr=47, nl=1396,
             pt=2681, ru=11336, ta=120, te=146, th=1000, tl=55, tr=4785, ur=535, vi=800, yo=100, zh=5528)
PANX = {**{l: 10000 for l in "ar bg de el en es et eu fa fi fr he hu id it ja ka ko nl pt ru th tr vi zh".split()},
        **{l: 1000 for l in "af bn hi kk ml mr ms sw ta te tl ur".split()}, **{l: 100 for l in ("jv", "my", "yo")}}
TYDIQA = dict(ar=921, bn=113, en=440, fi=782, id=565, ko=276, ru=812, sw=499, te=669)
BUCC = dict(de=(399337, 9580), fr=(271874, 9086), ru=(460853, 14435), zh=(94637, 1899))  # (sentences, gold pairs)
TATOEBA = ("af ar bg bn de el es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr nl pt ru sw ta te th tl tr ur "
           "vi zh").split()
XNLI = "ar bg de el en es fr hi ru sw th tr ur vi zh".split()
PAWSX = "de en es fr ja ko zh".split()
XQUAD = "ar de el en es hi ru th tr vi zh".split()
MLQA = dict(en=11590, ar=5335, de=4517, es=5253, hi=4918, vi=5495, zh=5137)


def acc_cell(rng, n, ids=None):
    ids = np.arange(n) if ids is None else ids
    return CellOutcomes(ids, np.column_stack([rng.random(len(ids)) < 0.7, np.ones(len(ids))]))


def f1_cell(rng, n, gold_rate=1.0):
    gold = rng.poisson(1.5, n) * (rng.random(n) < gold_rate)
    tp = rng.binomial(gold, 0.7)
    pred = tp + rng.poisson(0.3 * (gold > 0) + 0.0005 * (gold == 0))
    return CellOutcomes(np.arange(n), np.column_stack([tp, pred, gold]).astype(float))


def qa_cell(rng, qids, per_context):
    em = (rng.random(len(qids)) < 0.6).astype(float)
    f1 = np.maximum(em, rng.random(len(qids)))
    return CellOutcomes(qids // per_context, np.column_stack([em, f1, np.ones(len(qids))]))


def xnli_run(rng):
    return {("xnli", l): acc_cell(rng, 5010) for l in XNLI}


def xtreme_run(rng):
    run = xnli_run(rng)
    run |= {("pawsx", l): acc_cell(rng, 2000) for l in PAWSX}
    run |= {("udpos", l): f1_cell(rng, n) for l, n in UDPOS.items()}
    run |= {("panx", l): f1_cell(rng, n) for l, n in PANX.items()}
    run |= {("xquad", l): qa_cell(rng, np.arange(1190), 5) for l in XQUAD}  # 1,190 questions, 238 paragraphs
    en = np.arange(MLQA["en"])
    run |= {("mlqa", l): qa_cell(rng, en if l == "en" else np.sort(np.random.default_rng(1).choice(en, n, replace=False)), 2)
            for l, n in MLQA.items()}
    run |= {("tydiqa", l): qa_cell(rng, np.arange(n), 1) for l, n in TYDIQA.items()}
    run |= {("bucc", l): f1_cell(rng, n, gold_rate=g / n) for l, (n, g) in BUCC.items()}
    run |= {("tatoeba", l): acc_cell(rng, 1000) for l in TATOEBA}
    return run


METRICS = dict(xnli=Accuracy(), pawsx=Accuracy(), tatoeba=Accuracy(), udpos=F1(), panx=F1(), bucc=F1(),
               xquad=QA(), mlqa=QA(), tydiqa=QA())
PARALLEL = {"xnli", "pawsx", "xquad"}  # the translated sets (Task.parallel); MLQA is resampled per language


WORKLOADS = {"xnli": ("XNLI paired difference", xnli_run), "xtreme": ("full XTREME claim", xtreme_run)}


def bench(workload, seeds, resamples, repeats):
    """Time paired_difference on one workload; returns the times in seconds."""
    label, make_run = WORKLOADS[workload]
    rng = np.random.default_rng(0)
    a = [make_run(rng) for _ in range(seeds)]
    b = [make_run(rng) for _ in range(seeds)]
    units = sum(len(c.units) for c in a[0].values())
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = paired_difference(a, b, metrics=METRICS, parallel=PARALLEL, n_resamples=resamples, rng=0)
        times.append(time.perf_counter() - t0)
    print(f"{label}: {len(a[0])} cells, {units:,} rows per run, {seeds}+{seeds} seeds, {resamples:,} resamples: "
          f"best {min(times):.2f} s, median {np.median(times):.2f} s over {repeats} (estimate {r.estimate:+.3f}, "
          f"se {r.se:.3f})", flush=True)
    return times


def against(rev, workload, resamples, repeats):
    """Alternate fresh processes timing revision `rev` and this tree on one workload; print old/new."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(f"git -C {ROOT} archive {rev} repro | tar -x -C {tmp}", shell=True, check=True)
        times = {"old": [], "new": []}
        for _ in range(repeats):
            for side, root in (("old", tmp), ("new", ROOT)):
                out = subprocess.run([sys.executable, os.path.abspath(__file__), "--only", workload, "--repeats", "1",
                                      "--resamples", str(resamples), "--seconds"], check=True, text=True,
                                     capture_output=True, env={**os.environ, "BENCH_REPRO_ROOT": root}).stdout
                times[side].append(float(out.split()[-1]))
    old, new = np.array(times["old"]), np.array(times["new"])
    print(f"{WORKLOADS[workload][0]}, {rev} vs this tree, alternating, {repeats} each: old best {old.min():.2f} s, "
          f"new best {new.min():.2f} s, old/new {old.min() / new.min():.1f}x (medians {np.median(old):.2f} / "
          f"{np.median(new):.2f} s, {np.median(old) / np.median(new):.1f}x)", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--resamples", type=int, default=10000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--only", choices=sorted(WORKLOADS), help="time one workload")
    p.add_argument("--against", metavar="REV", help="also time the repro package of this git revision")
    p.add_argument("--seconds", action="store_true", help=argparse.SUPPRESS)  # child of --against
    args = p.parse_args()
    workloads = [args.only] if args.only else ["xnli", "xtreme"]
    if args.seconds:
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            t = bench(workloads[0], 5, args.resamples, 1)
        print(t[0])
        return
    print(f"{platform.processor() or platform.machine()}, NumPy {np.__version__}, "
          f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    for w in workloads:
        bench(w, 5, args.resamples, args.repeats if w == "xnli" else max(1, args.repeats - 2))
        if args.against:
            against(args.against, w, args.resamples, max(1, args.repeats - (0 if w == "xnli" else 2)))


if __name__ == "__main__":
    main()

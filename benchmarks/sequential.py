"""The sequential design against fixed 3, 5 and 10 chains, by simulation (docs/statistics.md §8).

    OMP_NUM_THREADS=1 python benchmarks/sequential.py [--quick] [--datasets R] [--design DESIGN]
        [--compare [DESIGN ...]] [--shared] [--bpt-bound distinct|dearest]

A DESIGN is LOOKS/SPENDING/FUTILITY/MIN_POWER[/MIN_REFUTE_POWER], e.g. 2,4,6,10/pocock/split/0.2/0.6.

Simulates `repro.stats.chains` (per-example Bernoulli outcomes, each chain's phase-(ii) and
phase-(iii) logit shifts; the baseline phase (iii) only) with 10 chains per configuration, and judges
every data set as the paper profile's design would (its looks, alpha spent by Lan-DeMets, futility by
predictive power over the undecided comparisons, as `repro.rounds` weighs them)
and, with --compare, by other designs on the same data sets, and as fixed designs of 3, 5 and 10 chains (the same
data set's first chains, nominal alpha 0.05).  Per claim kind and truth (the band's centre, its
edges and outside): the probability of each verdict, the coverage of the final 95% interval and the
expected GPU-hours from the cost model (`repro.plan` on the paper profile, per configuration:
`sequential_cost`).  A later look extends only the configurations the part still needs (one comparison: the
configuration and the baseline; at least k of n: the baseline and the undecided ones; best: the claimed one,
the others not yet separated from it and the baseline; best per target: chosen once on the first look, the chosen
and the baseline); the others keep their chains.  Prints a markdown table per kind and ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zlib
from contextlib import contextmanager
from functools import partial

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from repro.metrics.base import Accuracy  # noqa: E402
from repro.profiles import PAPER  # noqa: E402
from repro.stats import compare_with_best, judge_at_least, judge_best, judge_improves  # noqa: E402
from repro.stats import judge_magnitude, judge_no_benefit, paired_difference  # noqa: E402
from repro.stats.chains import TASK, World, chain_shifts, delta_for, draw_sample, outcomes  # noqa: E402
from repro.stats.sequential import SequentialDesign, worth_continuing  # noqa: E402
from repro.stats import verdicts  # noqa: E402
from repro.stats.verdicts import improves_rule, magnitude_rule, no_benefit_rule  # noqa: E402
from benchmarks.sequential_cost import BOUNDS, part_cost, shared_plan  # noqa: E402



@contextmanager
def without_seed_advice():
    """`seeds_needed`, the advice an inconclusive verdict carries and no part of the verdict, skipped while
    judging here (its bisection over up to 1,000 seeds would be most of the run time); restored after, so
    whoever imports this module keeps it."""
    kept = verdicts.seeds_needed
    verdicts.seeds_needed = lambda *args, **kwargs: None
    try:
        yield
    finally:
        verdicts.seeds_needed = kept

FIXED = (3, 5, 10)
METRICS = {TASK: Accuracy()}
M = 1.5  # the claims' margin: distance of a band's centre from its edges, and of "outside" beyond them


def magnitude(expected=3.0):
    """(truths, judge, claim id) of "improves by about 3.0 ± 1.5"."""
    rule = partial(magnitude_rule, expected=expected, margin=M)
    truths = {"outside below": {"a": expected - 2 * M}, "lower edge": {"a": expected - M},
              "centre": {"a": expected}, "upper edge": {"a": expected + M}, "outside above": {"a": expected + 2 * M}}

    def judge(res, alpha):
        r = res["a"]
        return judge_magnitude(r, expected=expected, margin=M, alpha=alpha), [(r, rule, "a")]
    return truths, judge, "squad-gain"


def improves():
    """(truths, judge, claim id) of "improves" (threshold 0)."""
    rule = partial(improves_rule, threshold=0.0)
    truths = {"outside": {"a": -M}, "edge": {"a": 0.0}, "centre": {"a": M}}

    def judge(res, alpha):
        r = res["a"]
        return judge_improves(r, threshold=0.0, alpha=alpha), [(r, rule, "a")]
    return truths, judge, "squad-gain"


def no_benefit(margin=1.0):
    """(truths, judge, claim id) of "no benefit" (margin 1.0, non-superiority)."""
    rule = partial(no_benefit_rule, margin=margin, two_sided=False)
    truths = {"centre": {"a": margin - M}, "edge": {"a": margin}, "outside": {"a": margin + M}}

    def judge(res, alpha):
        r = res["a"]
        return judge_no_benefit(r, margin=margin, alpha=alpha), [(r, rule, "a")]
    return truths, judge, "xnli-no-benefit"


def k_of_n():
    """(truths, judge, claim id) of "at least 2 of 3 configurations improve"."""
    rule = partial(improves_rule, threshold=0.0)
    truths = {"outside": dict(a=-M, b=-M, c=-M), "edge": dict(a=M, b=0.0, c=0.0), "centre": dict(a=M, b=M, c=M)}

    def judge(res, alpha):
        vs = [judge_improves(res[c], threshold=0.0, alpha=alpha, label=c) for c in "abc"]
        open_ = {c for c, v in zip("abc", vs) if v.outcome == "inconclusive"}  # as repro.rounds.open_power reads them
        return judge_at_least(vs, 2), [(res[c], rule, c) for c in "abc"], open_
    return truths, judge, "tydiqa-gain"


KINDS = {"magnitude": magnitude, "improves": improves, "no_benefit": no_benefit, "at_least": k_of_n}
JUDGES = {name: build()[1] for name, build in KINDS.items()}  # kind -> (results, alpha) -> (verdict, pairs)
INSIDE = {"centre"}  # where "reproduced" is right; on an edge or outside it is a false positive
OUTSIDE = ("outside", "outside below", "outside above")  # where "not reproduced" is right


def best_kind():
    """"a is the best of a, b, c" (margin 0): the others behind a by the truth's gap."""
    rule = partial(improves_rule, threshold=0.0)
    truths = {"outside": dict(a=0.0, b=M, c=M), "edge": dict(a=M, b=M, c=M), "centre": dict(a=M, b=0.0, c=0.0)}
    return truths, rule, "multitask-best"


def bpt_kind(expected=3.0):
    """Best per target: the better of a and b on a dev sample (same models), measured on test (magnitude)."""
    truths = {"outside": dict(a=expected - 2 * M, b=expected - 3 * M),
              "lower edge": dict(a=expected - M, b=expected - 2 * M),
              "centre": dict(a=expected, b=expected - M)}
    return truths, partial(magnitude_rule, expected=expected, margin=M), "best-per-target-xtreme"


def simulate_part(kind, truths, rng, world, seed):
    """A function at(chains, alpha) -> (verdict, [(result, rule, truth effect)], [(result, rule)] of the comparisons
    the rounds weigh for futility: the undecided ones, the configurations the part needs at the next look), judging
    each configuration on its first chains[c] chains; `at.configs` names them (the baseline "base")."""
    deltas = {c: delta_for(e, world) for c, e in truths.items()}
    shifts = chain_shifts(rng, deltas, world)
    runs = outcomes(rng, draw_sample(rng, world), shifts, world)
    if kind == "best_per_target":
        dev = outcomes(rng, draw_sample(rng, world), shifts, world)  # the same models on a dev sample
        _, rule, _ = bpt_kind()
    cache = {}

    def against_base(c, chains):
        key = (c, chains[c], chains["base"])
        if key not in cache:
            cache[key] = paired_difference(runs[c][:chains[c]], runs["base"][:chains["base"]], metrics=METRICS,
                                           n_resamples=199, rng=seed)
        return cache[key]

    def at(chains, alpha):
        with without_seed_advice():
            return _at(chains, alpha)

    def _at(chains, alpha):
        if kind == "best":
            best = compare_with_best({c: runs[c][:chains[c]] for c in "abc"}, "a", metrics=METRICS, alpha=alpha,
                                     n_resamples=199, rng=seed)
            pairs = [(best.pairwise[o], best_kind()[1], truths["a"] - truths[o]) for o in best.others]
            # undecided: a simultaneous bound that clears 0 neither way (judge_best's margin 0)
            open_ = {o for o, lo, hi in zip(best.others, best.lower, best.upper) if lo <= 0 <= hi}
            # futility weighs the kind's one comparison, as repro.kinds.best gives it to the rounds: the closest other;
            # the baseline goes on with the claimed configuration (multitask-best's gain over XLM-R)
            return judge_best(best), pairs, [pairs[int(best.lower.argmin())][:2]], {"a", "base", *open_}
        if kind == "best_per_target":  # chosen once, on dev with the first look's chains (the others keep them)
            first = min(chains[c] for c in truths)
            c = max(truths, key=lambda c: np.mean([[co.stats[:, 0].mean() for co in run.values()]
                                                   for run in dev[c][:first]]))
            r = against_base(c, chains)
            pairs = [(r, rule, truths[c])]
            return judge_magnitude(r, expected=3.0, margin=M, alpha=alpha), pairs, [pairs[0][:2]], {c, "base"}
        verdict, pairs, *open_ = JUDGES[kind]({c: against_base(c, chains) for c in truths}, alpha)
        watched = [(r, rl) for r, rl, c in pairs if not open_ or c in open_[0]]  # the undecided comparisons
        need = {"base", *(open_[0] if open_ else truths)}
        return verdict, [(r, rl, truths[c]) for r, rl, c in pairs], watched, need
    at.configs = (*truths, "base")
    return at


def run_design(at, design: SequentialDesign) -> tuple[str, list, float]:
    """(outcome, the chains per configuration at each look judged, share of the final intervals covering their
    truths) of one data set.  A later look extends only the configurations the part needs; the others keep theirs."""
    history: list = []
    for k, n in enumerate(design.looks):
        history.append(dict.fromkeys(at.configs, n) if not history else
                       {c: n if c in need else m for c, m in history[-1].items()})
        verdict, pairs, watched, need = at(history[-1], design.alpha_at(k))
        if verdict.outcome != "inconclusive":
            break
        if not any(worth_continuing(r, rule, design, k)[0] for r, rule in watched):
            break
    cover = np.mean([lo <= t <= hi for r, _, t in pairs for lo, hi in [r.interval(1 - design.alpha_at(k))]])
    return verdict.outcome.value, history, float(cover)


def tally_row(out, cost, looks) -> dict:
    """One design's figures over the data sets `out` (run_design's answers): verdict shares, coverage, mean chains
    (of the configurations that went furthest), GPU-hours, the share reaching each look (the part's and per
    configuration's) and, per later look, the GPU-hours it added over a full chain of every configuration."""
    outs, finals = [o for o, _, _ in out], [h[-1] for _, h, _ in out]
    steps = np.diff([0, *looks])
    added = [[(cost.hours(h[k]) - cost.hours(h[k - 1])) / (steps[k] * cost.chain) for _, h, _ in out if len(h) > k]
             for k in range(1, len(looks))]
    share = {o: outs.count(o) / len(out) for o in ("reproduced", "not_reproduced", "inconclusive")}
    return {**share,
            "coverage95": float(np.mean([c for *_, c in out])),
            "chains": float(np.mean([max(f.values()) for f in finals])),
            "gpu_hours": float(np.mean([cost.hours(f) for f in finals])),
            "reach": [float(np.mean([len(h) > k for _, h, _ in out])) for k in range(len(looks))],
            "reach_by_config": {c: [float(np.mean([f[c] >= n for f in finals])) for n in looks] for c in finals[0]},
            "later_share": [float(np.mean(a)) if a else float("nan") for a in added]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer data sets and a smaller test sample (about 30 s)")
    p.add_argument("--datasets", type=int, default=None)
    p.add_argument("--design", default=None, metavar="DESIGN",
                   help="the design judged as 'sequential' (default: the paper profile's), "
                        "LOOKS/SPENDING/FUTILITY/MIN_POWER[/MIN_REFUTE_POWER]")
    p.add_argument("--shared", action="store_true",
                   help="also the whole paper plan's GPU-hours against fixed 5, each run counted once (~10 s more)")
    p.add_argument("--compare", nargs="*", metavar="DESIGN", default=None,
                   help="also judge the same data sets by these designs, side by side (no value: the levers of "
                        "docs/statistics.md §8); the JSON line gains their figures under 'alternatives'")
    p.add_argument("--bpt-bound", default="distinct", choices=BOUNDS,
                   help="best per target's cost of a chain after the first look (benchmarks/sequential_cost.py)")
    p.add_argument("--sd-ii", type=float, default=0.03)
    p.add_argument("--sd-iii", type=float, default=0.02)
    args = p.parse_args()
    started = time.time()
    R = args.datasets or (16 if args.quick else 200)
    world = World(seeds=10, n=1000 if args.quick else 2000,
                  languages=(0.4, 1.0, 1.6) if args.quick else World.languages,
                  sd_ii=args.sd_ii, sd_iii=args.sd_iii)
    design = parse_design(args.design) if args.design else PAPER.sequential
    designs = {"sequential": design, **{f"fixed{n}": SequentialDesign((n,), min_power=0.0) for n in FIXED}}
    alternatives = [] if args.compare is None else (args.compare or list(LEVERS))
    designs.update({name: parse_design(name) for name in alternatives})
    kinds = {n: (b()[0], b()[2]) for n, b in KINDS.items()}
    kinds["best"] = (best_kind()[0], best_kind()[2])
    kinds["best_per_target"] = (bpt_kind()[0], bpt_kind()[2])
    rows, summary = [], {}
    for kind, (truths, _) in kinds.items():
        cost = part_cost(kind, args.bpt_bound)
        for ti, (truth, effects) in enumerate(truths.items()):
            tally = {d: [] for d in designs}
            for i in range(R):
                rng = np.random.default_rng([zlib.crc32(kind.encode()), ti, i])
                at = simulate_part(kind, effects, rng, world, seed=i)
                for d, des in designs.items():
                    tally[d].append(run_design(at, des))
            for d, out in tally.items():
                rows.append({"kind": kind, "truth": truth, "design": d, **tally_row(out, cost, designs[d].looks)})
            print(f"{kind} / {truth}: done at {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    print("| kind | truth | design | reproduced | not reproduced | inconclusive | coverage95 | chains | GPU-h |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['kind']} | {r['truth']} | {r['design']} | {r['reproduced']:.3f} | {r['not_reproduced']:.3f} | "
              f"{r['inconclusive']:.3f} | {r['coverage95']:.3f} | {r['chains']:.2f} | {r['gpu_hours']:.1f} |")
    result = {"datasets": R, "quick": args.quick, "design": design.record(), "bpt_bound": args.bpt_bound,
              "seconds": round(time.time() - started, 1)}
    result.update(summarise(rows))
    if alternatives:
        result["alternatives"] = {name: compact(summarise(rows, name)) for name in alternatives}
        print("\n| design (looks/spending/futility/min power) | GPU-h vs fixed 5 | power at centre (fixed 5) | "
              "false positives | coverage95 | refuted outside | per kind: GPU-h ratio / power (fixed 5's) |")
        print("|---|---|---|---|---|---|---|")
        for name, f in [("sequential", compact(summarise(rows)))] + list(result["alternatives"].items()):
            kinds_text = "; ".join(f"{k} {v['gpu_hours_ratio_vs_fixed5']:.2f} / {v['power_centre']:.2f} "
                                   f"({v['power_centre_fixed5']:.2f})" for k, v in f["per_kind"].items())
            print(f"| {name} | {f['gpu_hours_ratio_vs_fixed5']:.3f} | {f['power_centre']:.3f} "
                  f"({f['power_centre_fixed5']:.3f}) | {f['false_positive_rate']:.3f} | {f['coverage95']:.3f} | "
                  f"{f['refuted_outside']:.3f} | {kinds_text} |")
    print("\nper kind (sequential): share of data sets reaching each look; a later look's GPU-hours over a full "
          "chain of every configuration")
    for kind, f in result["per_kind"].items():
        print(f"  {kind}: reach {f['reach']}; later looks add {f['later_share']}")
    if args.shared:
        result["shared_plan"] = {name: shared_plan(rows, name, designs[name].looks, args.bpt_bound)
                                 for name in designs if name != "fixed5"}
        print("\nwhole paper plan, against fixed 5: " + "; ".join(
            f"{n} {v['per_part']:.3f} per part, {v['shared']:.3f} shared" for n, v in result["shared_plan"].items()))
    print(json.dumps(result, sort_keys=True))
    return 0


# The levers of docs/statistics.md §8, side by side: the look schedule, the spending function, the futility rule
LEVERS = ("3,5,8,10/pocock/decision/0.35", "3,5,8,10/obrien_fleming/decision/0.35", "3,5,8,10/pocock/reproduce/0.35",
          "2,4,6,10/pocock/decision/0.35", "2,4,6,10/pocock/decision/0.25", "2,3,5,10/pocock/reproduce/0.35",
          "2,4,6,10/pocock/reproduce/0.25", "2,4,6,10/obrien_fleming/split/0.2/0.6", "2,4,6,10/pocock/split/0.2/0.5",
          "2,4,6,10/pocock/split/0.25/0.6", "2,3,5,10/pocock/split/0.25/0.65")


def parse_design(text: str) -> SequentialDesign:
    """A design from "LOOKS/SPENDING/FUTILITY/MIN_POWER[/MIN_REFUTE_POWER]", e.g. "2,4,6,10/pocock/reproduce/0.35"
    or "2,4,6,10/pocock/split/0.2/0.6" (futility "split" takes the threshold for "not reproduced")."""
    try:
        looks, spending, futility, min_power, *refute = text.split("/")
        if len(refute) > 1:
            raise ValueError("too many fields")
        return SequentialDesign(tuple(int(x) for x in looks.split(",")), spending=spending, futility=futility,
                                min_power=float(min_power), min_refute_power=float(refute[0]) if refute else None)
    except ValueError as e:
        raise SystemExit(f"sequential.py: design {text!r}: {e}; write LOOKS/SPENDING/FUTILITY/MIN_POWER"
                         "[/MIN_REFUTE_POWER], e.g. 2,4,6,10/pocock/reproduce/0.35 or 2,4,6,10/pocock/split/0.2/0.6")


def compact(figures: dict) -> dict:
    """The headline figures, with per kind only the GPU-hours ratio and the power at the centre (with fixed 5's)."""
    keep = ("gpu_hours_ratio_vs_fixed5", "power_centre", "power_centre_fixed5")
    return {**{k: v for k, v in figures.items() if k != "per_kind"},
            "per_kind": {kind: {k: f[k] for k in keep} for kind, f in figures["per_kind"].items()}}


def later_share(sel, seq: str) -> list:
    """Per later look of design `seq`, the GPU-hours it adds over a full chain of every configuration, averaged
    over the rows' data sets that reach it (weighted by how many do)."""
    rs = [r for r in sel if r["design"] == seq]
    out = []
    for k in range(1, len(rs[0]["reach"])):
        w = np.array([r["reach"][k] for r in rs])
        x = np.array([r["later_share"][k - 1] if r["reach"][k] else 0.0 for r in rs])
        out.append(round(float(np.dot(w, x) / w.sum()), 3) if w.sum() else None)
    return out


def summarise(rows, seq: str = "sequential") -> dict:
    """The headline figures of design `seq`, overall and per kind: GPU-hours against fixed 5, power at the centre,
    false positives (reproduced on an edge or outside, pooled), coverage of the final 95% interval."""
    def figures(sel):
        def of(design, key, truths=None):
            vals = [r[key] for r in sel if r["design"] == design and (truths is None or r["truth"] in truths)]
            return float(np.mean(vals)) if vals else float("nan")
        null = {r["truth"] for r in sel} - INSIDE
        return {"gpu_hours_ratio_vs_fixed5": round(of(seq, "gpu_hours") / of("fixed5", "gpu_hours"), 3),
                "power_centre": round(of(seq, "reproduced", INSIDE), 3),
                "power_centre_fixed3": round(of("fixed3", "reproduced", INSIDE), 3),
                "power_centre_fixed5": round(of("fixed5", "reproduced", INSIDE), 3),
                "power_centre_fixed10": round(of("fixed10", "reproduced", INSIDE), 3),
                "false_positive_rate": round(of(seq, "reproduced", null), 3),
                "false_positive_rate_max_truth": round(max(r["reproduced"] for r in sel
                                                           if r["design"] == seq and r["truth"] in null), 3),
                "false_positive_rate_fixed5": round(of("fixed5", "reproduced", null), 3),
                "refuted_outside": round(of(seq, "not_reproduced", set(OUTSIDE)), 3),
                "refuted_outside_fixed5": round(of("fixed5", "not_reproduced", set(OUTSIDE)), 3),
                "coverage95": round(of(seq, "coverage95"), 3),
                "expected_chains": round(of(seq, "chains"), 2),
                "reach": [round(float(x), 3) for x in np.mean([r["reach"] for r in sel if r["design"] == seq],
                                                               axis=0)],
                "later_share": later_share(sel, seq)}
    out = figures(rows)
    out["per_kind"] = {k: figures([r for r in rows if r["kind"] == k]) for k in dict.fromkeys(r["kind"] for r in rows)}
    return out


if __name__ == "__main__":
    sys.exit(main())

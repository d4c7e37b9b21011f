"""Judging a claim: its runs' per-unit outcomes, the paired differences and the verdict.

`judge(claim, engine)` reads (or computes) the runs `repro.plan.required_runs`
lists and compares configurations on the XTREME aggregate of the claim's
targets; `ClaimOutcome` is what the report records (repro.report.schema).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import reduce

import numpy as np

from repro import outcomes as stored_outcomes
from repro import stats as V
from repro.claims import COMPARED, Claim
from repro.comparators import (MEASURE_HALF, PUBLISHED_XLMR, SELECT_HALF, difference_from_constant,
                               published_xlmr_score, restrict)
from repro.plan import required_runs
from repro.setup_checks import judge_setup
from repro.stats import CellOutcomes, aggregate_score, compare_with_best, paired_difference
from repro.stats.sequential import look_at
from repro.tasks import get_task


@dataclass(frozen=True)
class Comparison:
    """One configuration against its baseline (or a point read from the paper)."""

    configuration: str
    result: object   # repro.stats.DifferenceResult, BestResult summary, or a PointResult
    verdict: object  # repro.stats.verdicts.Verdict


@dataclass(frozen=True)
class PointResult:
    """A number without an interval (the paper's printed values)."""

    estimate: float
    note: str = ""
    ci90: None = None
    ci95: None = None


@dataclass(frozen=True)
class ClaimOutcome:
    """A judged (or skipped) claim with everything the report shows."""

    claim: Claim
    verdict: object                 # Verdict, or a dict {"outcome": "skipped", ...} when skipped
    comparisons: tuple[Comparison, ...]
    runs: tuple[str, ...]           # run folder names, each once
    seeds: tuple[int, ...]
    profile: str
    is_evidence: bool
    source: str = "engine"
    skipped: str | None = None      # why the claim part could not be judged from this source
    sequential: dict | None = None  # the look judged at (repro.stats.sequential.look_at), its level the rules' alpha


def skipped(claim: Claim, reason: str, *, profile: str, source: str, is_evidence: bool = True,
            outcome: str = "skipped") -> ClaimOutcome:
    """An outcome that states why a claim part is not judged (`outcome` "damaged": a run it reads is)."""
    return ClaimOutcome(claim, {"outcome": outcome, "reason": reason, "estimate": None}, (), (), (),
                        profile, is_evidence, source, reason)


def judge(claim: Claim, engine, *, seeds_chosen: bool = False) -> ClaimOutcome:
    """Compute (or read) the claim's runs on the engine's profile and judge it.

    `seeds_chosen`: the user set the seed count, which the claim's [smoke] table must not change.
    """
    claim, profile = claim.for_profile(engine.profile, seeds_chosen=seeds_chosen)
    if claim.kind == "setup":
        return ClaimOutcome(claim, judge_setup(claim), (), (), (), profile.name, profile.is_evidence)
    specs = required_runs(claim, profile, engine.data)
    look = look_at(profile.sequential, len(profile.seeds))  # the rules judge at the level of the look reached
    alpha = look["level"] if look else 0.05
    # one run per (configuration, target, seed) predicts every split; each key reads its split's set
    outcomes = _pad_sparse({key: stored_outcomes.run_outcomes(engine.ensure(spec), get_task(key[1]).evaluation_set(key[3]))
                            for key, spec in specs.items()})
    metrics = {t: get_task(t).metric for t in claim.targets}
    parallel = [t for t in claim.targets if get_task(t).parallel]

    def runs_of(config, split=claim.split, chosen=None):
        """One merged run per seed; `chosen` maps a target to the configuration read for it."""
        return [{cell: co for t in claim.targets
                 for cell, co in outcomes[((chosen or {}).get(t, config), t, s, split)].items()}
                for s in profile.seeds]

    def difference(a, b, label):
        return paired_difference(a, b, metrics=metrics, parallel=parallel, rng=_claim_seed(claim.id + label))

    comparisons = []
    if claim.kind in COMPARED:
        judge_fn, names = COMPARED[claim.kind]
        kwargs = {n: getattr(claim, n) for n in names}
        for config, base in claim.comparisons():
            label = claim.label(config) + (f" vs {claim.label(base)}" if base else "")
            result = difference(runs_of(config), runs_of(base), label)
            comparisons.append(Comparison(label, result, judge_fn(result, label=label, alpha=alpha, **kwargs)))
        verdicts = [c.verdict for c in comparisons]
        verdict = (verdicts[0] if len(verdicts) == 1 else
                   V.judge_at_least(verdicts, claim.at_least) if claim.at_least else V.judge_all(verdicts))
    elif claim.kind == "best":
        claimed = claim.label(claim.configurations[0])
        best = compare_with_best({claim.label(c): runs_of(c) for c in claim.configurations}, claimed,
                                 metrics=metrics, parallel=parallel, rng=_claim_seed(claim.id), alpha=alpha)
        verdict = V.judge_best(best, label=f"{claimed} is best")
        comparisons.append(Comparison(f"{claimed} vs the other {len(best.others)}", best.pairwise[
            best.others[int(best.lower.argmin())]], verdict))
        if claim.expected is not None:
            result = difference(runs_of(claim.configurations[0]), runs_of(claim.baseline), "gain")
            gain = V.judge_magnitude(result, expected=claim.expected, margin=claim.margin, label=f"{claimed} gain",
                                     alpha=alpha)
            comparisons.append(Comparison(f"{claimed} vs {claim.label(claim.baseline)}", result, gain))
            verdict = V.judge_all([verdict, gain])
    else:  # best_per_target: choose on select_split, measure on split
        comparisons, verdict = _best_per_target(claim, profile, outcomes, runs_of, difference, metrics, parallel,
                                                alpha)
    return ClaimOutcome(claim, verdict, tuple(comparisons), tuple(dict.fromkeys(s.dirname for s in specs.values())),
                        tuple(profile.seeds), profile.name, profile.is_evidence, sequential=look)


def _best_per_target(claim: Claim, profile, outcomes, runs_of, difference, metrics, parallel, alpha=0.05):
    """Per target the configuration best on `select_split`, measured on `split` against the claim's
    comparator: its baseline run, or the published XLM-R scores (the baseline run then reported beside).

    A target whose two splits read one evaluation set (XQuAD, TyDiQA-GoldP, Tatoeba; BUCC, whose
    dev set only sets the threshold) is chosen on one half of its units and measured on the other.
    """
    halved = [t for t in claim.targets if len(claim.configurations) > 1
              and get_task(t).one_evaluation_set(claim.select_split, claim.split)]
    chosen = {}
    for t in claim.targets:
        def selection_cells(c, s, t=t):
            cells = outcomes[(c, t, s, claim.select_split)]
            return restrict(cells, t, SELECT_HALF) if t in halved else cells
        dev = {c: sum(aggregate_score(selection_cells(c, s), metrics={t: metrics[t]}) for s in profile.seeds)
               for c in claim.configurations}
        chosen[t] = max(claim.configurations, key=lambda c: dev[c])

    def measured(runs):
        return [reduce(lambda cells, t: restrict(cells, t, MEASURE_HALF), halved, run) for run in runs]

    label = ("best per target (" + ", ".join(f"{t}: {claim.label(c)}" for t, c in chosen.items())
             + f"; chosen on {claim.select_split}"
             + (f", except {', '.join(halved)}: one evaluation set, chosen on one half of its units and measured "
                "on the other" if halved else "") + ")")
    best, own = measured(runs_of(None, chosen=chosen)), measured(runs_of(claim.baseline))
    if claim.comparator != PUBLISHED_XLMR:
        result = difference(best, own, label)
        verdict = V.judge_magnitude(result, expected=claim.expected, margin=claim.margin, label=label, alpha=alpha)
        return [Comparison(label, result, verdict)], verdict
    published = published_xlmr_score(claim.targets)
    result = difference_from_constant(best, published, metrics=metrics, parallel=parallel,
                                      rng=_claim_seed(claim.id + label))
    verdict = V.judge_magnitude(result, expected=claim.expected, margin=claim.margin, label=label, alpha=alpha)
    beside = difference(best, own, label + " own")
    own_label = f"{claim.label(claim.baseline)} run of this suite"
    return [Comparison(f"{label} vs XLM-R as published (Hu et al. 2020: {published:.2f})", result, verdict),
            Comparison(f"the same vs the {own_label} (reported beside; not part of the verdict)", beside,
                       V.judge_improves(beside, threshold=0.0, label=f"gain over the {own_label}"))], verdict


def _pad_sparse(outcomes: dict) -> dict:
    """Give every run of a sparse task's cell (`Task.sparse_units`) the union of the cell's units, absent
    ones as zero rows.  BUCC runs record only source sentences in a gold or a mined pair, so the set differs
    between runs; a sentence a run does not record has no gold and no prediction there: all-zero
    (tp, n_pred, n_gold)."""
    units: dict = {}
    for (config, target, seed, split), cells in outcomes.items():
        for cell, co in cells.items():
            if get_task(cell[0]).sparse_units:
                units.setdefault((cell, split), set()).update(co.units.tolist())
    if not units:
        return outcomes
    padded = {}
    for key, cells in outcomes.items():
        padded[key] = dict(cells)
        for cell, co in cells.items():
            extra = sorted(units.get((cell, key[3]), set()) - set(co.units.tolist()))
            if extra:
                padded[key][cell] = CellOutcomes(np.concatenate([co.units, np.asarray(extra, dtype=co.units.dtype)]),
                                                 np.vstack([co.stats, np.zeros((len(extra), co.stats.shape[1]))]))
    return padded


def _claim_seed(text: str) -> int:
    """A fixed resampling seed per claim part, so verdicts are repeatable."""
    return zlib.crc32(text.encode())

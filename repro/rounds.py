"""Rounds of the sequential design (docs/statistics.md §8): judging look after look, the next round's runs,
and what each look costs on the paper plan.

Every chain of a configuration is the same set of runs with another seed, so a claim set's GPU-hours
are affine in the chain count when every configuration goes on (the most a look can add); a later look
extends only the configurations an open part still needs (`extended`), which the expected total weighs
with the design's simulated `later_share`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace

from repro.cost import disk_bytes
from repro.kinds import KINDS
from repro.plan import claim_runs, planned_runs, required_runs, with_ancestors
from repro.stats.sequential import worth_continuing
from repro.results import ClaimOutcome
from repro.stats.verdicts import Outcome, Verdict
from repro.store import CorruptRunError


def look_hours(claims, profile, data, first_runs=None) -> list[tuple[int, float]]:
    """Per look of `profile.sequential`: (chains per configuration, GPU-hours that look adds when every
    part is still open); the first look's figure is its whole plan (`first_runs`, when already planned).
    A chain's runs all carry its seed, so one chain costs what the first round's runs of its last seed cost."""
    design = profile.sequential
    if design is None:
        raise ValueError(f"profile {profile.name} has no sequential design (Profile.sequential); give it one "
                         "in repro/profiles.py, e.g. SequentialDesign((3, 5, 8, 10))")
    looks = design.looks
    if first_runs is None:
        first_runs = planned_runs(claims, profile.with_seeds(looks[0]), data, seeds_chosen=True)
    first = sum(r.gpu_hours for r in first_runs)
    per_chain = sum(r.gpu_hours for r in first_runs if r.spec.seed == looks[0])
    return [(looks[0], first)] + [(n, per_chain * (n - prev)) for prev, n in zip(looks, looks[1:])]


_FUTILITY_TEXT = {"decision": "of any verdict at the next or the last look",
                  "reproduce": "of 'reproduced' at the next or the last look, or 'not reproduced' at the next",
                  "split": "of 'reproduced' at the next or the last look, or >= {refute:g} of 'not reproduced'"}


def design_lines(claims, profile, data, first_runs=None) -> list[str]:
    """`repro plan`'s lines on the design: the first round's GPU-hours, each later look's, the most and the
    expected total (with the design's simulated share of parts reaching each look)."""
    design = profile.sequential
    if first_runs is None:
        first_runs = planned_runs(claims, profile.with_seeds(design.looks[0]), data, seeds_chosen=True)
    hours = look_hours(claims, profile, data, first_runs)
    chain = [r for r in first_runs if r.spec.seed == design.looks[0]]  # one chain's runs
    encoders = disk_bytes(chain)[0] * design.looks[-1]
    lines = [f"design: sequential, looks at {', '.join(map(str, design.looks))} chains per configuration, "
             f"{design.spending.replace('_', '-')}-type alpha spending (levels "
             f"{', '.join(f'{a:.4f}' for a in design.levels)}), next round only for open parts with predictive "
             f"power >= {design.min_power:g} "
             f"({_FUTILITY_TEXT[design.futility].format(refute=design.min_refute_power)})",
             f"design: first round ({hours[0][0]} chains): {hours[0][1]:,.1f} GPU-hours; later looks add "
             + "; ".join(f"{h:,.1f} at {n} chains" for n, h in hours[1:]) + " if every part stays open "
             f"(at most {sum(h for _, h in hours):,.1f} GPU-hours in all, and about {encoders / 1e9:,.0f} GB of "
             f"encoders in the store at {design.looks[-1]} chains)"]
    if design.reach:
        extends = (f", of a chain's runs a later look extends {', '.join(f'{r:.2f}' for r in design.later_share)}"
                   if design.later_share else "")
        lines.append(f"design: expected total: {expected_hours(claims, profile, data, hours[0][1]):,.1f} GPU-hours "
                     f"(share of parts reaching each look {', '.join(f'{r:.2f}' for r in design.reach)}{extends}, "
                     "simulated by benchmarks/sequential.py; a run shared by parts is run when any of them goes on "
                     "with it)")
    return lines


def expected_hours(claims, profile, data, first: float) -> float:
    """The design's expected GPU-hours: the first round (`first`), then per later look each run of a chain once,
    run when any claim part using it goes on with it: each part independently, reaching the look with the
    design's `reach` and extending a run with its `later_share` (1 when not measured)."""
    design = profile.sequential
    users: dict[str, list] = {}  # run folder name of one chain -> [GPU-hours, parts using it]
    for claim in claims:
        for r in claim_runs(claim, profile.with_seeds(design.looks[0]), data, seeds_chosen=True):
            if r.spec.seed == design.looks[0]:
                users.setdefault(r.name, [r.gpu_hours, 0])[1] += 1
    share = design.later_share or (1.0,) * (len(design.looks) - 1)
    later = zip(design.looks, design.looks[1:], design.reach[1:], share)
    return first + sum((n - prev) * h * (1 - (1 - reach * part) ** k)
                       for prev, n, reach, part in later for h, k in users.values())


# ---- judging at the look the store holds, and the next round ------------------------------------------

def stored(claim, engine, chains: int) -> bool:
    """Whether every run `claim` reads at `chains` chains (its held configurations at theirs) is stored."""
    c, p = claim.for_profile(engine.profile.with_seeds(chains))
    try:
        specs = with_ancestors(required_runs(c, p, engine.data).values())
        return all(engine.store.get(s) is not None for s in specs)
    except CorruptRunError:
        return False  # judged at the look before; the damaged run is named when that look reads it


def extended(outcome, chains: int):
    """`outcome.claim` as the next look reads it: the configurations its open comparisons need (their
    `needs`) get the next look's chains, every other one keeps the chains it has (`Claim.held`)."""
    claim = outcome.claim
    used = claim.configurations_used()
    wanted: set = set()
    for comp in outcome.comparisons:
        if comp.verdict.outcome == Outcome.INCONCLUSIVE:
            wanted.update(used if comp.needs is None else comp.needs)
    held = {c: h for c, h in claim.held if c not in wanted}  # a comparison open again extends its configurations
    for config in used:
        if config not in wanted:
            held.setdefault(config, chains)
    return replace(claim, held=tuple(held.items()))


def _at(engine, chains: int):
    """The engine on the same store with `chains` seeds."""
    moved = copy.copy(engine)
    moved.profile = engine.profile.with_seeds(chains)
    return moved


def rule_of(verdict, claim):
    """The vectorised rule behind a comparison's verdict (for its power), as the verdict's kind gives it
    (`ClaimKind.power_rule`); None when it has none."""
    kind = KINDS.get(verdict.kind)
    return None if kind is None else kind.power_rule(claim)


def open_power(outcome, design, look: int) -> tuple[bool, float]:
    """(ask for the next look?, the best predictive power) over the outcome's undecided comparisons (not those
    reported beside the verdict: `needs` empty)."""
    best, go = 0.0, False
    for comp in outcome.comparisons:
        rule = rule_of(comp.verdict, outcome.claim)
        if (comp.verdict.outcome != Outcome.INCONCLUSIVE or rule is None or comp.needs == ()
                or not hasattr(comp.result, "components")):
            continue
        wants, power = worth_continuing(comp.result, rule, design, look)
        best, go = max(best, power), go or wants
    return go, best


@dataclass(frozen=True)
class Rounds:
    """A claim judged look after look (`walk`): the outcome of the last look judged, and the runs the store
    lacks of the next look when it is pending (parents first; empty when no next look is pending)."""

    outcome: ClaimOutcome
    next_runs: tuple = ()


def walk(claim, engine, *, judge=None) -> Rounds:
    """Judge `claim` look after look of the profile's sequential design while the store holds each look's
    runs: stop at the first decisive look (a decided part keeps its verdict and record), at the last look,
    where the next look's runs are not all stored, or where no open comparison has a fair chance and the
    store does not hold the next look's runs anyway.  Those a part would not ask for but other parts ran are
    read: futility never binds (the looks' levels hold whether or not a look is taken), so chains computed
    for other parts add evidence at no cost (the record's `unasked`).  A later look adds chains only to the
    configurations the open comparisons need (`extended`)."""
    from repro.judging import judge as judge_claim  # judging imports this package's helpers, not the reverse
    judge = judge or judge_claim
    design = engine.profile.sequential
    current, out, pending, decided, go, power, k = claim, None, None, False, False, 0.0, 0
    unasked: list[int] = []  # looks judged on chains the part's futility did not ask for
    for k, n in enumerate(design.looks):
        if k and not stored(current, engine, n):
            pending, k = (current, n), k - 1
            break
        out = judge(current, _at(engine, n))
        if out.skipped is not None or not isinstance(out.verdict, Verdict):  # skipped or damaged: as it is
            return Rounds(out)
        decided = out.verdict.outcome != Outcome.INCONCLUSIVE
        go, power = (False, 0.0) if decided else open_power(out, design, k)
        if decided or k == len(design.looks) - 1:
            break
        following = replace(claim, held=extended(out, n).held)  # the claim as given: its [smoke] table kept
        if not go:
            # read a look no one asked for only where it holds new chains: the same chains judged again at
            # another look's level would be a test the spending never counted
            grows = set(out.claim.configurations_used()) - set(dict(following.held))
            if not grows or not stored(following, engine, design.looks[k + 1]):
                break
            unasked.append(k + 2)  # 1-based, as the record's `look`
        current = following
    assert out is not None, "the first look is always judged"
    last = k == len(design.looks) - 1
    upcoming, runs = None, []
    if pending is not None:
        runs = next_round_runs(pending[0], engine, pending[1])
        upcoming = {"chains": pending[1], "runs": len(runs), "gpu_hours": round(sum(r.gpu_hours for r in runs), 2)}
    held = {out.claim.label(c): h for c, h in out.claim.held}
    record = {**(out.sequential or {}), "decided_early": decided and not last, "power": round(power, 3),
              "next_round": upcoming, **({"held": held} if held else {}), **({"unasked": unasked} if unasked else {}),
              "stopped": ("decided" if decided else "last look" if last else
                          "next round pending" if go else "no fair chance at the next looks")}
    return Rounds(replace(out, sequential=record), tuple(runs))


def judge_rounds(claim, engine, *, seeds_chosen: bool = False, judge=None):
    """Judge `claim` as the profile's sequential design does (`walk`); the outcome's `sequential` record gains
    `decided_early`, `power`, `next_round` ({chains, runs, gpu_hours} of the next look's missing runs, or
    None), `stopped` and, where a look held configurations at fewer chains, `held`.  Without a design,
    with seeds chosen by the user, or for a claim judged without runs (setup): `judge` as it is."""
    from repro.judging import judge as judge_claim
    judge = judge or judge_claim
    if engine.profile.sequential is None or seeds_chosen or not claim.kind_object.needs_runs:
        return judge(claim, engine, **({"seeds_chosen": True} if seeds_chosen else {}))
    return walk(claim, engine, judge=judge).outcome


def next_round_runs(claim, engine, chains: int) -> list:
    """The `PlannedRun`s of `claim` at `chains` chains that the store lacks (parents first)."""
    runs = claim_runs(claim, engine.profile.with_seeds(chains), engine.data, seeds_chosen=True)
    return [r for r in runs if _missing(engine.store, r.spec)]


def _missing(store, spec) -> bool:
    try:
        return store.get(spec) is None
    except CorruptRunError:
        return True

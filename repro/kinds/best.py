"""`best`: the first configuration beats every other one (Hsu's multiple comparisons with the best)
and, with `expected`, improves on the baseline by about that much."""
from __future__ import annotations

from functools import partial

from repro import stats as V
from repro.kinds.base import ClaimKind, Evidence, Judgement, Locator, refuse
from repro.paper.v1 import v1_row
from repro.results import Comparison, JudgedClaim


class Best(ClaimKind):
    """A best-of claim: simultaneous bounds on the claimed configuration minus each other one."""

    name = "best"
    fields = ()

    def check(self, claim: JudgedClaim, at: Locator, table: str | None) -> None:
        if len(claim.configurations) < 2:
            raise refuse(at("configurations", table), "a best claim needs the claimed configuration "
                                                      "and at least one other")

    def judge(self, claim: JudgedClaim, evidence: Evidence | None) -> Judgement:
        assert evidence is not None, "a best claim is judged on runs"
        claimed = claim.label(claim.configurations[0])
        best = V.compare_with_best({claim.label(c): evidence.runs_of(c) for c in claim.configurations}, claimed,
                                   metrics=evidence.metrics, parallel=evidence.parallel, rng=evidence.seed(""),
                                   alpha=evidence.alpha)
        verdict = V.judge_best(best, label=f"{claimed} is best")
        # a later look extends the claimed configuration and those not yet shown behind it
        by_label = {claim.label(c): c for c in claim.configurations}
        behind = {o for o, lower in zip(best.others, best.lower) if lower > 0}
        comparisons = [Comparison(f"{claimed} vs the other {len(best.others)}",
                                  best.pairwise[best.others[int(best.lower.argmin())]], verdict,
                                  needs=tuple(by_label[o] for o in [claimed, *best.others] if o not in behind))]
        if claim.expected is not None:
            result = evidence.difference(evidence.runs_of(claim.configurations[0]), evidence.runs_of(claim.baseline),
                                         "gain")
            gain = V.judge_magnitude(result, expected=claim.expected, margin=claim.margin, label=f"{claimed} gain",
                                     alpha=evidence.alpha)
            comparisons.append(Comparison(f"{claimed} vs {claim.label(claim.baseline)}", result, gain,
                                          needs=(claim.configurations[0], claim.baseline)))
            verdict = V.judge_all([verdict, gain])
        return comparisons, verdict

    def power_rule(self, claim: JudgedClaim):
        """Each pairwise bound of the claimed configuration against another must clear 0."""
        return partial(V.improves_rule, threshold=0.0)

    def replay(self, claim: JudgedClaim, directory=None) -> str:
        if v1_row(claim.configurations[0], directory) is None:
            return (f"v1 has no {claim.label(claim.configurations[0])} run: its multi-task model "
                    "leaves out SQuAD and has no MNLI; the nine-task multi-task is the final version's")
        return "v1 reports one run per configuration without intervals; a best-of claim needs simultaneous bounds"


KIND = Best()

"""`setup`: a check of the `paper` profile's configuration and the task registry (repro.setup_checks),
judged without runs and so the same on every profile and source."""
from __future__ import annotations

from repro.kinds.base import ClaimKind, Evidence, Judgement, Locator, refuse
from repro.results import JudgedClaim
from repro.setup_checks import CHECKS, judge_setup


class Setup(ClaimKind):
    """A setup claim names one check of `repro.setup_checks.CHECKS` and the paper's value."""

    name = "setup"
    fields = ("check",)
    needs_runs = False

    def check(self, claim: JudgedClaim, at: Locator, table: str | None) -> None:
        if claim.check not in CHECKS:
            raise refuse(at("check"), f"unknown setup check {claim.check!r}; one of {', '.join(CHECKS)}")

    def judge(self, claim: JudgedClaim, evidence: Evidence | None) -> Judgement:
        return [], judge_setup(claim)

    def replay(self, claim: JudgedClaim, directory=None) -> Judgement:
        return [], judge_setup(claim)


KIND = Setup()

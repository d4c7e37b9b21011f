"""Planted claims: the suite must recover effects fixed by construction (`pytest -m planted`).

Each claim part of `claims/planted/` is judged on the planted world (`repro.planted`) by the
same engine, store, statistics and report as the paper's claims.  Unlike those on `smoke`,
these are real assertions: the planted truth is known, so only "reproduced" passes, and a
machinery that loses a planted effect or invents one fails (docs/planted.md).
"""
import pytest

from repro.judging import judge

pytestmark = pytest.mark.planted


def test_planted_claim(claim, planted_engine, record_claim):
    outcome = judge(claim, planted_engine)
    record_claim(outcome)
    verdict = outcome.verdict
    assert verdict.outcome == "reproduced", (
        f"the suite did not recover the planted truth ({verdict.outcome.value}): {verdict.reason}")

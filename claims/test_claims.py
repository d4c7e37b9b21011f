"""Every claim part of the paper as one test case: `pytest -m claims` (select with -k, e.g. -k squad).

The outcome follows the verdict: reproduced passes, not reproduced fails,
inconclusive fails (not verified) with the reason and the seeds that would
decide it, or skips with `--inconclusive skip`.  A part the selected source
cannot speak to (a configuration v1 lacks) is skipped with the reason.  On a
profile that is no evidence (smoke) the verdict is computed and reported, then
the case is marked as an expected
failure: a tiny model is no evidence about the paper; any machinery error
still fails.  Setup claims check the `paper` profile, so they pass when
reproduced on any profile.
"""
import pytest

from repro.data import DataError
from repro.models import ModelUnavailableError
from repro.store import CorruptRunError, MissingRunError

pytestmark = pytest.mark.claims


def test_claim(claim, claim_source, record_claim, pytestconfig):
    try:
        outcome = claim_source(claim)
    except (MissingRunError, CorruptRunError, DataError, ModelUnavailableError) as err:
        pytest.fail(str(err), pytrace=False)  # a run, data or model that cannot be had: the message names the fix
    record_claim(outcome)
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    verdict = outcome.verdict
    summary = f"{verdict.outcome.value}: {verdict.reason}"
    if verdict.outcome == "reproduced" and (outcome.is_evidence or not claim.needs_runs):
        return
    if not outcome.is_evidence:
        pytest.xfail(f"profile {outcome.profile} uses a tiny model on synthetic data, which is no evidence "
                     f"about the paper; computed verdict {summary}")
    if verdict.outcome == "inconclusive":
        seeds = (f" About {verdict.seeds_needed} seeds per configuration would likely decide it."
                 if verdict.seeds_needed else "")
        message = f"not verified, {summary}{seeds}"
        if pytestconfig.getoption("--inconclusive") == "skip":
            pytest.skip(message)
        pytest.fail(message)
    assert verdict.outcome == "reproduced", summary

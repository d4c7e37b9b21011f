"""Real `ClaimOutcome`s for the report tests: claims judged by `repro.claims.judge` on synthetic
per-unit outcomes of known effect (tests.test_claims_judge), and a point-estimate part."""
from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from repro.judging import ClaimOutcome, Comparison, PointResult, judge
from repro.kinds import get_kind
from repro.profiles import SMOKE
from repro.report.schema import claim_record
from tests.test_claims_judge import FakeEngine, claim, fake_outcomes

SEEDS = (1, 2, 3)


def fake_engine() -> FakeEngine:
    """An engine over SEEDS whose xnli/pawsx runs gain 8/1 points from MNLI and 1/6 from SQuAD."""
    cfg = SMOKE.target["xnli"]
    profile = replace(SMOKE, seeds=SEEDS, intermediate=MappingProxyType({"mnli": cfg, "squad": cfg}),
                      smoke_languages=MappingProxyType({"xnli": ("en", "de"), "pawsx": ("en", "de")}))
    return FakeEngine(profile)


def judged(cid: str, **fields) -> ClaimOutcome:
    """`judge` of a claim on xnli (unless `targets` says otherwise) with the fake engine."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("repro.outcomes.run_outcomes", fake_outcomes)
        return judge(claim(id=cid, **{"targets": ("xnli",), **fields}), fake_engine())


def point(cid: str, estimate: float, *, kind: str = "no_benefit", margin: float = 2.0) -> ClaimOutcome:
    """A claim part judged on a printed value: a point estimate without interval or seeds."""
    c = claim(id=cid, kind=kind, margin=margin)
    verdict = get_kind(kind).point(estimate, c, label="mnli")
    return ClaimOutcome(c, verdict, (Comparison("mnli", PointResult(estimate), verdict),), (), (),
                        "smoke", False, "paper-v1")


def records() -> list[dict]:
    """a-claim: reproduced with intervals; b-claim: two configurations, one far off; c-claim: a point."""
    return [claim_record(judged("a-claim", kind="magnitude", expected=8.0, margin=2.0)),
            claim_record(judged("b-claim", kind="magnitude", expected=1.0, margin=0.5,
                                configurations=(("mnli",), ("squad",)))),
            claim_record(point("c-claim", -1.0))]

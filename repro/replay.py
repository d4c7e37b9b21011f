"""The `paper-v1` judging source: judge claims on the numbers arXiv v1 prints.

v1's Table 2 (dev, differences from XLM-R) and XTREME block (`repro.paper`, rows looked up by
`repro.paper.v1`) are point estimates without intervals; each claim part's kind judges it against
its own tolerance and labels it as such.  The replay recomputes every printed average from its
cells and reports the rows that disagree.  A part v1 cannot speak to (MNLI, translated data, the
nine-task multi-task) is skipped with that reason.
"""
from __future__ import annotations

from repro.claims import Claim
from repro.paper.v1 import average_inconsistencies, v1_row
from repro.results import ClaimOutcome, judged, skipped

SOURCE = "paper-v1"
__all__ = ["SOURCE", "average_inconsistencies", "replay", "v1_row"]


def replay(claim: Claim, directory=None) -> ClaimOutcome:
    """Judge `claim` on v1's printed numbers, or skip it with the reason v1 cannot speak to it."""
    found = claim.kind_object.replay(claim, directory)
    if isinstance(found, str):
        return skipped(claim, f"paper-v1 cannot speak to this part: {found}", profile=SOURCE, source=SOURCE)
    comparisons, verdict = found
    return judged(claim, comparisons, verdict, profile=SOURCE, is_evidence=True, source=SOURCE)

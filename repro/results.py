"""What judging produces and the report records: a claim part's comparisons, verdict and provenance.

Low in the layers (statistics below, claim kinds, judging sources and the report above), so
every judging source (the engine's runs, `paper-v1`) and the report share one set of types.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, Union

from repro.stats.intervals import DifferenceResult
from repro.stats.verdicts import Verdict


class JudgedClaim(Protocol):
    """What a claim kind, a judging source and a result read of a claim (`repro.claims.Claim` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def targets(self) -> tuple[str, ...]: ...
    @property
    def configurations(self) -> tuple[tuple[str, ...], ...]: ...
    @property
    def baseline(self) -> tuple[str, ...]: ...
    @property
    def split(self) -> str: ...
    @property
    def select_split(self) -> str: ...
    @property
    def expected(self) -> float | None: ...
    @property
    def margin(self) -> float: ...
    @property
    def at_least(self) -> int: ...
    @property
    def options(self) -> Mapping[str, object]: ...
    @property
    def comparator(self) -> str: ...
    @property
    def check(self) -> str: ...
    @property
    def value(self) -> object: ...

    def label(self, configuration: tuple[str, ...]) -> str: ...

    def comparisons(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]: ...


@dataclass(frozen=True)
class PointResult:
    """A number without an interval (the paper's printed values)."""

    estimate: float
    note: str = ""
    ci90: None = None
    ci95: None = None


@dataclass(frozen=True)
class Skipped:
    """Why a claim part is not judged: "skipped" (the source cannot speak to it) or "damaged" (a run it reads is)."""

    reason: str
    outcome: str = "skipped"
    estimate: None = None


# a comparison's result: a resampled difference, or a printed point value
Result = Union[DifferenceResult, PointResult]


@dataclass(frozen=True)
class Comparison:
    """One configuration against its baseline (or a point read from the paper)."""

    configuration: str
    result: Result
    verdict: Verdict
    # the configurations whose further chains bear on this verdict, which a later look of the sequential
    # design extends while it is open (repro.rounds); None: every configuration of the claim; (): none
    # (a comparison reported beside the verdict)
    needs: tuple[tuple[str, ...], ...] | None = None


@dataclass(frozen=True)
class ClaimOutcome:
    """A judged (or skipped) claim with everything the report shows."""

    claim: JudgedClaim
    verdict: Verdict | Skipped
    comparisons: tuple[Comparison, ...]
    runs: tuple[str, ...]           # run folder names, each once
    seeds: tuple[int, ...]
    profile: str
    is_evidence: bool
    source: str = "engine"
    skipped: str | None = None      # why the claim part could not be judged from this source
    sequential: dict | None = None  # the look judged at (repro.stats.sequential.look_at), its level the rules' alpha


def skipped(claim: JudgedClaim, reason: str, *, profile: str, source: str, is_evidence: bool = True,
            outcome: str = "skipped") -> ClaimOutcome:
    """An outcome that states why a claim part is not judged (`outcome` "damaged": a run it reads is)."""
    return ClaimOutcome(claim, Skipped(reason, outcome), (), (), (), profile, is_evidence, source, reason)


def judged(claim: JudgedClaim, comparisons: Sequence[Comparison], verdict: Verdict, *, profile: str,
           is_evidence: bool, source: str = "engine", runs: Sequence[str] = (),
           seeds: Sequence[int] = (), sequential: dict | None = None) -> ClaimOutcome:
    """The outcome of a judged claim part (`sequential`: the design's look it was judged at)."""
    return ClaimOutcome(claim, verdict, tuple(comparisons), tuple(dict.fromkeys(runs)), tuple(seeds), profile,
                        is_evidence, source, sequential=sequential)

"""A claim kind as one object: the fields a claim of it sets, its checks, how it is judged from the
claim's runs, how `paper-v1` replays it on printed numbers, its report wording and its figure band.

Judging sources hand a kind what it reads through `Evidence` (the engine's runs: repro.judging) or a
paper directory (`repro.replay`); a kind returns its comparisons and verdict, or (replay) the reason
the source cannot speak to it.  Kinds judged on one difference per configuration are `DifferenceKind`s.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from types import MappingProxyType
from typing import Protocol

from repro import stats as V
from repro.errors import ClaimError
from repro.metrics.base import Metric
from repro.paper.v1 import misprint_warning, row_mean, v1_row
from repro.results import Comparison, JudgedClaim, PointResult
from repro.stats import DifferenceResult, RunOutcomes, Verdict

# a kind's judgement: its comparisons and the claim part's verdict
Judgement = tuple[list[Comparison], Verdict]
# where a claim file sets a field: at(field, table=None) -> "path, line N"
Locator = Callable[..., str]
BANDS = ("around_expected", "below_margin", "above_threshold", "above_zero")  # repro.report.figures


class Evidence(Protocol):
    """What a kind reads of a claim's runs (built by repro.judging from the engine's store)."""

    @property
    def seeds(self) -> tuple[int, ...]: ...
    @property
    def metrics(self) -> Mapping[str, Metric]: ...
    @property
    def parallel(self) -> list[str]: ...
    @property
    def alpha(self) -> float:
        """The level every verdict rule judges at: the sequential design's at the look reached."""

    def seeds_of(self, configuration: tuple[str, ...]) -> tuple[int, ...]:
        """The seeds (chains) `configuration` has at this look: `seeds`, or the first ones where a later
        look of the sequential design held it (`repro.claims.Claim.held`)."""

    def cells(self, configuration: tuple[str, ...], target: str, seed: int, split: str) -> RunOutcomes:
        """One run's per-unit outcomes of `target` on `split`."""

    def runs_of(self, configuration: tuple[str, ...] | None, split: str | None = None,
                chosen: Mapping[str, tuple[str, ...]] | None = None) -> list[RunOutcomes]:
        """One merged run per seed over the claim's targets (`chosen`: a configuration per target), over the
        seeds every configuration read holds."""

    def difference(self, a: Sequence[RunOutcomes], b: Sequence[RunOutcomes], label: str) -> DifferenceResult:
        """The paired difference a - b of the claim's aggregate, resampled with the label's fixed seed."""

    def seed(self, label: str) -> int:
        """The claim part's fixed resampling seed for `label` (verdicts are repeatable)."""


def number(value, signed: bool = True) -> str:
    """A claim's number as the report writes it ("—" when absent)."""
    return "—" if value is None else f"{value:+.2f}" if signed else f"{value:.2f}"


class ClaimKind:
    """The base of claim kinds: subclass it, or build a `DifferenceKind`, and register the instance
    (`repro.kinds.register`)."""

    name: str = ""
    fields: tuple[str, ...] = ()          # claim fields a file of this kind must set
    # fields this kind adds to claim files: name -> check(value) giving the problem with its fix, or None;
    # a claim keeps their values in `Claim.options` (the report shows them beside the common fields)
    own_fields: Mapping[str, Callable[[object], str | None]] = MappingProxyType({})
    band: str = "around_expected"         # the forest plot's band: one of BANDS
    needs_runs: bool = True               # False: judged without runs, on any profile (setup checks)
    comparators: tuple[str, ...] = ("baseline",)  # what its configurations may be measured against

    def expected(self, claim: Mapping) -> str:
        """What the paper expects, in the report's words, from a claim record's fields."""
        return f"{number(claim.get('expected'))} ± {number(claim.get('margin'), False)}"

    def check(self, claim: JudgedClaim, at: Locator, table: str | None) -> None:
        """ClaimError naming the field and the fix when `claim` breaks this kind's own rules."""

    def splits(self, claim: JudgedClaim) -> tuple[str, ...]:
        """The splits its runs are read on."""
        return (claim.split,)

    def judge(self, claim: JudgedClaim, evidence: Evidence | None) -> Judgement:
        """Comparisons and verdict from the claim's runs (`evidence` is None when `needs_runs` is False)."""
        raise NotImplementedError(f"claim kind {self.name!r} defines no judge")

    def replay(self, claim: JudgedClaim, directory=None) -> Judgement | str:
        """Comparisons and verdict on v1's printed numbers, or why v1 cannot speak to the claim."""
        return f"v1 prints nothing a {self.name} claim can be judged on"

    @property
    def lower_is_better(self) -> bool:
        """Whether a lower estimate favours the claim (its band lies below a margin): which component's
        numbers a conjunction shows (`repro.stats.verdicts.decisive`)."""
        return self.band == "below_margin"

    def power_rule(self, claim: JudgedClaim) -> Callable | None:
        """The vectorised rule behind a verdict of this kind on `claim` (the sequential design's predictive
        power plans with it, repro.rounds), None when the kind has none."""
        return None


def combine(claim: JudgedClaim, verdicts: list[Verdict], lower_is_better: bool = False) -> Verdict:
    """One verdict of a claim's comparisons: the only one, at least `at_least` of them, or all."""
    if len(verdicts) == 1:
        return verdicts[0]
    if claim.at_least:
        return V.judge_at_least(verdicts, claim.at_least, lower_is_better=lower_is_better)
    return V.judge_all(verdicts, lower_is_better=lower_is_better)


def with_reason(verdict: Verdict, extra: str) -> Verdict:
    """`verdict` with `extra` appended to its reason."""
    return replace(verdict, reason=verdict.reason + extra) if extra else verdict


class DifferenceKind(ClaimKind):
    """A kind judged on each configuration's difference from its baseline by one verdict rule
    (statistics.md 1.6), the comparisons combined by `at_least`; on v1's numbers, the same rule on
    the printed point values."""

    def __init__(self, name: str, fields: tuple[str, ...], judge_fn: Callable[..., Verdict], rule: Callable,
                 params: tuple[str, ...], wording: Callable[[Mapping], str] | None = None,
                 band: str = "around_expected"):
        self.name, self.fields, self.band = name, fields, band
        self.judge_fn = judge_fn  # the rule on a resampled difference (repro.stats.judge_*)
        self.rule = rule          # the vectorised rule, also for point values (repro.stats.*_rule)
        self.params = params      # claim fields `judge_fn` and `rule` take as keyword arguments
        self.wording = wording

    def __repr__(self) -> str:
        return f"DifferenceKind({self.name!r})"

    def expected(self, claim: Mapping) -> str:
        return self.wording(claim) if self.wording else super().expected(claim)

    def arguments(self, claim: JudgedClaim) -> dict:
        """The claim's values of `params`."""
        return {n: getattr(claim, n) for n in self.params}

    def judge(self, claim: JudgedClaim, evidence: Evidence | None) -> Judgement:
        assert evidence is not None, "a difference kind is judged on runs"
        comparisons, kwargs = [], self.arguments(claim)
        for config, base in claim.comparisons():
            label = claim.label(config) + (f" vs {claim.label(base)}" if base else "")
            result = evidence.difference(evidence.runs_of(config), evidence.runs_of(base), label)
            comparisons.append(Comparison(label, result, self.judge_fn(result, label=label, alpha=evidence.alpha,
                                                                      **kwargs), needs=(config, base)))
        return comparisons, combine(claim, [c.verdict for c in comparisons], self.lower_is_better)

    @property
    def lower_is_better(self) -> bool:
        """Whether a lower estimate favours the claim (its band lies below a margin): which component's
        numbers a conjunction shows (`repro.stats.verdicts.decisive`)."""
        return self.band == "below_margin"

    def power_rule(self, claim: JudgedClaim) -> Callable | None:
        arguments = self.arguments(claim)
        return None if any(v is None for v in arguments.values()) else partial(self.rule, **arguments)

    def point(self, estimate: float, claim: JudgedClaim, label: str | None = None) -> Verdict:
        """The rule on a printed value without an interval."""
        return V.judge_point(self.name, estimate, self.rule, self.arguments(claim), label=label)

    def replay(self, claim: JudgedClaim, directory=None) -> Judgement | str:
        comparisons, absent, used = [], [], []
        for config, base in claim.comparisons():
            label = claim.label(config) + (f" vs {claim.label(base)}" if base else "")
            a, b = v1_row(config, directory), v1_row(base, directory)
            if a is None or b is None:
                absent.append(claim.label(config))
                continue
            used += [a["label"], b["label"]]
            delta = row_mean(a, claim.targets) - row_mean(b, claim.targets)
            comparisons.append(Comparison(label, PointResult(delta, "v1 Table 2, dev, cells"),
                                          self.point(delta, claim, label)))
        if not comparisons:
            return (f"v1 has none of the configurations ({', '.join(absent)}): MNLI, SST-2 and "
                    "machine-translated intermediate data are not in v1")
        verdicts = [c.verdict for c in comparisons]
        k = min(claim.at_least or len(claim.configurations), len(verdicts))
        verdict = verdicts[0] if len(verdicts) == 1 else V.judge_at_least(verdicts, k, label=claim.id,
                                                                             lower_is_better=self.lower_is_better)
        note = (f" Judged on the {len(verdicts)} of {len(claim.configurations)} configurations v1 reports "
                f"(absent: {', '.join(absent)})." if absent else "")
        return comparisons, with_reason(verdict, note + misprint_warning(used, directory))


def refuse(where: str, problem: str) -> ClaimError:
    """The ClaimError of a kind's check: where the field is written, then the problem and the fix."""
    return ClaimError(f"{where}: {problem}")

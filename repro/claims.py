"""Claims as data: one TOML file per claim part in `claims/`, loaded into frozen objects.

A claim compares target-task scores after intermediate training on one or more
configurations against a baseline, on the XTREME aggregate of its target tasks
(mean over languages per task, mean over tasks), and judges the difference
with margins fixed in the file before any result is seen.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from repro import plan
from repro.outcomes import run_outcomes
from repro.spec import RunSpec
from repro import stats as V
from repro.stats import paired_difference
from repro.tasks import get_task

# claim kind -> (judge function, the claim fields it takes as keyword arguments)
KINDS = {
    "no_benefit": (V.judge_no_benefit, ("margin", "two_sided")),
    "magnitude": (V.judge_magnitude, ("expected", "margin")),
    "improves": (V.judge_improves, ("threshold",)),
    "beats": (V.judge_beats, ("trivial_margin",)),
}
REQUIRED = ("id", "quote", "source", "kind", "targets", "configurations", "margin_reason")


class ClaimError(ValueError):
    """A claim file that cannot be used."""


@dataclass(frozen=True)
class Claim:
    """One claim part: what is compared, on what, and how it is judged."""

    id: str
    quote: str
    source: str
    kind: str
    targets: tuple[str, ...]
    configurations: tuple[tuple[str, ...], ...]  # intermediate task sets, each against the baseline
    baseline: tuple[str, ...] = ()                 # () = no intermediate training
    expected: float = 0.0                          # the paper's value of the difference, in points
    margin: float = 0.0
    threshold: float = 0.0
    trivial_margin: float = 0.0
    two_sided: bool = False
    margin_reason: str = ""
    note: str = ""
    path: Path | None = field(default=None, compare=False)

    @classmethod
    def from_file(cls, path: Path) -> "Claim":
        """Load and check one claim file; ClaimError names the file and the problem."""
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ClaimError(f"{path}: not valid TOML ({err})") from err
        missing = [k for k in REQUIRED if k not in raw]
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__) - {"path"})
        if missing or unknown:
            raise ClaimError(f"{path}: missing field(s) {missing or 'none'}, unknown field(s) {unknown or 'none'}")
        if raw["kind"] not in KINDS:
            raise ClaimError(f"{path}: unknown kind {raw['kind']!r}; one of {', '.join(KINDS)}")
        try:
            for name in [*raw["targets"], *(t for c in raw["configurations"] for t in c), *raw.get("baseline", ())]:
                get_task(name)
        except KeyError as err:
            raise ClaimError(f"{path}: {err.args[0]}") from None
        raw["targets"] = tuple(raw["targets"])
        raw["configurations"] = tuple(tuple(c) for c in raw["configurations"])
        raw["baseline"] = tuple(raw.get("baseline", ()))
        return cls(**raw, path=path)

    def label(self, configuration: tuple[str, ...]) -> str:
        return "+".join(configuration) or "XLM-R"


def load_claims(directory: Path) -> list[Claim]:
    """Every claim file in `directory`, sorted by id; ids must be unique."""
    claims = [Claim.from_file(p) for p in sorted(Path(directory).glob("*.toml"))]
    seen: dict[str, Path] = {}
    for c in claims:
        if c.id in seen:
            raise ClaimError(f"claim id {c.id!r} is used by both {seen[c.id]} and {c.path}")
        seen[c.id] = c.path
    return sorted(claims, key=lambda c: c.id)


def required_runs(claim: Claim, profile, data) -> dict[tuple[tuple[str, ...], str, int], RunSpec]:
    """The target runs a claim needs, keyed by (configuration, target, seed)."""
    runs = {}
    for config in (claim.baseline, *claim.configurations):
        for target in claim.targets:
            for seed in profile.seeds:
                runs[(config, target, seed)] = plan.target_spec(
                    profile, data, target, intermediate=config or None, seed=seed)
    return runs


@dataclass(frozen=True)
class Comparison:
    """One configuration against the baseline."""

    configuration: str
    result: object   # repro.stats.DifferenceResult
    verdict: object  # repro.stats.verdicts.Verdict


@dataclass(frozen=True)
class ClaimOutcome:
    """A judged claim with everything the report shows."""

    claim: Claim
    verdict: object
    comparisons: tuple[Comparison, ...]
    runs: tuple[str, ...]  # run folder names
    seeds: tuple[int, ...]
    profile: str
    is_evidence: bool


def judge(claim: Claim, engine) -> ClaimOutcome:
    """Compute (or read) the claim's runs and judge it."""
    profile = engine.profile
    specs = required_runs(claim, profile, engine.data)
    outcomes = {key: run_outcomes(engine.ensure(spec)) for key, spec in specs.items()}
    metrics = {t: get_task(t).metric for t in claim.targets}
    parallel = [t for t in claim.targets if get_task(t).parallel]
    judge_fn, arg_names = KINDS[claim.kind]
    kwargs = {name: getattr(claim, name) for name in arg_names}

    def seeds_of(config):
        return [_merge(outcomes[(config, t, s)] for t in claim.targets) for s in profile.seeds]

    comparisons = []
    for config in claim.configurations:
        result = paired_difference(seeds_of(config), seeds_of(claim.baseline), metrics=metrics,
                                   parallel=parallel, rng=_claim_seed(claim.id))
        comparisons.append(Comparison(claim.label(config), result, judge_fn(result, **kwargs)))
    verdict = (comparisons[0].verdict if len(comparisons) == 1
               else V.judge_all([c.verdict for c in comparisons]))
    return ClaimOutcome(claim, verdict, tuple(comparisons), tuple(s.dirname for s in specs.values()),
                        tuple(profile.seeds), profile.name, profile.is_evidence)


def _merge(cells_per_target):
    merged = {}
    for cells in cells_per_target:
        merged.update(cells)
    return merged


def _claim_seed(claim_id: str) -> int:
    """A fixed resampling seed per claim, so verdicts are repeatable."""
    import zlib
    return zlib.crc32(claim_id.encode())

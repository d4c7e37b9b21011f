"""Claims as data: one TOML file per claim part in `claims/`, loaded into frozen objects.

A claim compares target-task scores after intermediate training on one or more
configurations against a baseline, on the XTREME aggregate of its target tasks
(mean over languages per task, QA as mean(F1, EM), mean over tasks), and judges
the difference with margins fixed in the file before any result is seen.
Setup claims check the `paper` profile and the task registry instead.
"""
from __future__ import annotations

import re
import tomllib
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from repro import plan
from repro import stats as V
from repro.profiles import INTERMEDIATE_TASKS
from repro.spec import RunSpec
from repro.stats import aggregate_score, compare_with_best, paired_difference
from repro.tasks import TASKS, get_task

# kinds judged on differences: judge function and the claim fields it takes as keyword arguments
COMPARED = {
    "no_benefit": (V.judge_no_benefit, ("margin", "two_sided")),
    "magnitude": (V.judge_magnitude, ("expected", "margin")),
    "improves": (V.judge_improves, ("threshold",)),
    "beats": (V.judge_beats, ("trivial_margin",)),
}
# "best": the first configuration beats every other one (Hsu's comparisons with the best), and, with
# `expected`, improves on the baseline by about that much.  "best_per_target": per target task the
# configuration best on `select_split`, measured on `split` against the baseline.  "setup": a check of
# the `paper` profile's configuration and the task registry (repro.setup_checks).
KINDS = (*COMPARED, "best", "best_per_target", "setup")
REQUIRED = ("id", "seed_claim", "quote", "source", "kind", "margin_reason")
KIND_FIELDS = {"no_benefit": ("margin",), "magnitude": ("expected", "margin"), "improves": ("threshold",),
               "beats": ("trivial_margin",), "best": (), "best_per_target": ("expected", "margin"),
               "setup": ("check",)}
PSEUDO_TASKS = ("mlm",)
TRANSLATED = "_translated"
SPLITS = ("validation", "test")
SMOKE_FIELDS = ("configurations", "baselines", "at_least", "seeds", "split", "reason")


class ClaimError(ValueError):
    """A claim file that cannot be used."""


def intermediate_names() -> tuple[str, ...]:
    """Names a configuration may hold: the nine tasks, `mlm`, and `<task>_translated`."""
    return (*INTERMEDIATE_TASKS, *PSEUDO_TASKS, *(t + TRANSLATED for t in INTERMEDIATE_TASKS))


@dataclass(frozen=True)
class Claim:
    """One claim part: what is compared, on what, and how it is judged."""

    id: str
    seed_claim: int                                # which of the seed document's nine claims
    quote: str
    source: str
    kind: str
    margin_reason: str
    targets: tuple[str, ...] = ()
    configurations: tuple[tuple[str, ...], ...] = ()  # intermediate task sets, each against its baseline
    baseline: tuple[str, ...] = ()                 # () = no intermediate training (XLM-R)
    baselines: tuple[tuple[str, ...], ...] = ()    # one per configuration; () = `baseline` for all
    split: str = "validation"                      # where the quantity is measured
    select_split: str = "validation"               # best_per_target: where the best model is chosen
    aggregate: str = "XTREME mean over the target tasks (language mean per task, QA as mean(F1, EM))"
    expected: float | None = None                  # the paper's value of the difference, in points
    margin: float = 0.0
    threshold: float = 0.0
    trivial_margin: float = 0.0
    two_sided: bool = False
    at_least: int = 0                              # combine: 0 = every comparison must hold, k = at least k
    check: str = ""                                # setup claims: what is checked
    value: object = None                           # setup claims: the paper's value
    # best_per_target: "baseline" (the baseline run) or "published-xlmr" (Hu et al. 2020's XTREME scores,
    # a constant; the baseline run is then reported beside), repro.comparators
    comparator: str = "baseline"
    completion: str = ""                           # how a claim the seed cuts short was completed
    note: str = ""
    smoke: dict = field(default_factory=dict, compare=False)  # [smoke] overrides, with their reason
    path: Path | None = field(default=None, compare=False)

    @classmethod
    def from_file(cls, path: Path) -> "Claim":
        """Load and check one claim file; ClaimError names the file, the line and the problem."""
        text = path.read_text(encoding="utf-8")
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            line = getattr(err, "lineno", None) or _line_in_message(str(err))
            where = f"{path}, line {line}" if line else str(path)
            raise ClaimError(f"{where}: not valid TOML ({err}); fix the syntax") from None
        at = _locator(path, text)
        missing = [k for k in REQUIRED if k not in raw]
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__) - {"path"})
        if missing:
            raise ClaimError(f"{path}: missing field(s) {', '.join(missing)}; add them (see README, The claims)")
        if unknown:
            raise ClaimError(f"{at(unknown[0])}: unknown field(s) {', '.join(unknown)}; known fields: "
                             f"{', '.join(f for f in cls.__dataclass_fields__ if f != 'path')}")
        if raw["kind"] not in KINDS:
            raise ClaimError(f"{at('kind')}: unknown kind {raw['kind']!r}; one of {', '.join(KINDS)}")
        lacking = [k for k in KIND_FIELDS[raw["kind"]] if k not in raw]
        if lacking:
            raise ClaimError(f"{at('kind')}: a {raw['kind']} claim needs field(s) {', '.join(lacking)}; add them")
        for key in ("configurations", "baselines"):
            raw[key] = tuple(tuple(c) for c in raw.get(key, ()))
        raw["targets"], raw["baseline"] = tuple(raw.get("targets", ())), tuple(raw.get("baseline", ()))
        if isinstance(raw.get("value"), list):
            raw["value"] = tuple(raw["value"])
        raw["smoke"] = dict(raw.get("smoke", {}))
        claim = cls(**raw, path=path)
        claim._check(str(path), at)
        return claim

    def _check(self, where: str, at=None, table: str | None = None) -> None:
        """ClaimError unless the fields are consistent; `at(field, table)` says where a field is written
        ("path, line N"), `table` the TOML table being checked ([smoke])."""
        given, at = at, at or (lambda field, table=None: where)
        known = intermediate_names()

        def field_of(config):
            return ("configurations" if config in self.configurations
                    else "baselines" if config in self.baselines else "baseline")
        if self.kind != "setup" and not self.configurations:
            raise ClaimError(f"{at('configurations', table)}: a {self.kind} claim needs at least one configuration")
        for config in (*self.configurations, self.baseline, *self.baselines):
            bad = [n for n in config if n not in known]
            if bad:
                raise ClaimError(f"{at(field_of(config), table)}: unknown intermediate task(s) {bad}; a configuration "
                                 f"holds names of {', '.join(INTERMEDIATE_TASKS)}, 'mlm' or '<task>_translated'")
            if len(set(config)) != len(config):
                raise ClaimError(f"{at(field_of(config), table)}: configuration {list(config)} names a task twice")
        for target in self.targets:
            if target not in TASKS:
                raise ClaimError(f"{at('targets')}: unknown target task {target!r}; "
                                 f"known tasks: {', '.join(sorted(TASKS))}")
        if self.kind != "setup" and not self.targets:
            raise ClaimError(f"{at('kind')}: a {self.kind} claim needs target tasks")
        if self.baselines and len(self.baselines) != len(self.configurations):
            raise ClaimError(f"{at('baselines', table)}: {len(self.baselines)} baselines for "
                             f"{len(self.configurations)} configurations; give one baseline per configuration, or none")
        if self.kind == "best" and len(self.configurations) < 2:
            raise ClaimError(f"{at('configurations', table)}: a best claim needs the claimed configuration "
                             "and at least one other")
        if not 0 <= self.at_least <= len(self.configurations):
            raise ClaimError(f"{at('at_least', table)}: at_least = {self.at_least}, but the claim has "
                             f"{len(self.configurations)} configurations (0 means all)")
        for split in (self.split, self.select_split):
            if split not in SPLITS:
                field_name = "split" if split == self.split else "select_split"
                raise ClaimError(f"{at(field_name, table)}: unknown split {split!r}; one of {', '.join(SPLITS)}")
        if self.kind == "best_per_target" and self.split == self.select_split and len(self.configurations) > 1:
            raise ClaimError(f"{at('split', table)}: choosing the best of {len(self.configurations)} configurations "
                             f"and measuring it on the same split ({self.split}) has a winner's curse; "
                             "measure on another split")
        from repro.comparators import COMPARATORS
        if self.comparator not in COMPARATORS or (self.comparator != "baseline" and self.kind != "best_per_target"):
            raise ClaimError(f"{where}: comparator {self.comparator!r}: one of {', '.join(COMPARATORS)}, and "
                             "other than 'baseline' only for a best_per_target claim")
        if self.kind == "setup":
            from repro.setup_checks import CHECKS
            if self.check not in CHECKS:
                raise ClaimError(f"{at('check')}: unknown setup check {self.check!r}; one of {', '.join(CHECKS)}")
        if self.smoke:
            bad = sorted(set(self.smoke) - set(SMOKE_FIELDS))
            if bad or "reason" not in self.smoke:
                raise ClaimError(f"{at('smoke')}: [smoke] takes {', '.join(SMOKE_FIELDS)} and must give a reason "
                                 f"(unknown: {bad or 'none'})")
            self.for_smoke()._check(f"{where} [smoke]", given, "smoke")

    def label(self, configuration: tuple[str, ...]) -> str:
        return "+".join(configuration) or "XLM-R"

    def comparisons(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """(configuration, its baseline) pairs."""
        return list(zip(self.configurations, self.baselines or [self.baseline] * len(self.configurations)))

    def configurations_used(self) -> list[tuple[str, ...]]:
        """Every configuration a run is needed for, the baselines included, each once."""
        return list(dict.fromkeys([*self.configurations, self.baseline, *self.baselines]))

    def for_smoke(self) -> "Claim":
        """The claim as the smoke profile judges it (the [smoke] table's overrides, same rule)."""
        over = {k: v for k, v in self.smoke.items() if k in ("configurations", "baselines", "at_least", "split")}
        for key in ("configurations", "baselines"):
            if key in over:
                over[key] = tuple(tuple(c) for c in over[key])
        return replace(self, **over, smoke={})

    def for_profile(self, profile, *, seeds_chosen: bool = False) -> tuple["Claim", object]:
        """The claim and profile as `profile` runs it: smoke applies the [smoke] overrides
        (its seed count only when the user chose none)."""
        if profile.name != "smoke" or not self.smoke:
            return self, profile
        seeds = None if seeds_chosen else self.smoke.get("seeds")
        return self.for_smoke(), (profile.with_seeds(seeds) if seeds else profile)

    def splits(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.select_split, self.split] if self.kind == "best_per_target"
                                   else [self.split]))


def _line_in_message(message: str) -> int | None:
    """The line of a TOMLDecodeError before Python 3.14, which says it only as "(at line N, column M)"."""
    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else None


TABLE_HEADER = re.compile(r"\s*\[[A-Za-z0-9_.\- ]+\]\s*(#.*)?$")


def _locator(path: Path, text: str):
    """`at(field, table=None)` -> "path, line N": where `field` is set in the file (in `[table]` when
    given), else where that table starts, else just the path."""
    lines = text.splitlines()

    def at(field: str, table: str | None = None) -> str:
        headers = [i for i, line in enumerate(lines) if TABLE_HEADER.match(line)]
        start, end = 0, (headers + [len(lines)])[0]  # the root table ends where the first [table] starts
        if table is not None:
            header = next((i for i in headers if re.match(rf"\s*\[{re.escape(table)}\]", lines[i])), None)
            if header is None:
                return str(path)
            start, end = header + 1, next((i for i in headers if i > header), len(lines))
        setting = re.compile(rf"\s*{re.escape(field)}\s*=")
        found = next((i for i in range(start, end) if setting.match(lines[i])), None)
        if found is None:  # a table of its own ([smoke]), or the table the field should be in
            found = next((i for i in headers if re.match(rf"\s*\[{re.escape(field)}\]", lines[i])),
                         start - 1 if table is not None else None)
        name = str(path) if table is None else f"{path} [{table}]"
        return name if found is None else f"{name}, line {found + 1}"
    return at


def load_claims(directory: Path) -> list[Claim]:
    """Every claim file in `directory`, sorted by id; ids must be unique."""
    claims = [Claim.from_file(p) for p in sorted(Path(directory).glob("*.toml"))]
    seen: dict[str, Path] = {}
    for c in claims:
        if c.id in seen:
            raise ClaimError(f"claim id {c.id!r} is used by both {seen[c.id]} and {c.path}")
        seen[c.id] = c.path
    return sorted(claims, key=lambda c: c.id)


def missing_tasks(claim: Claim, profile) -> list[str]:
    """Intermediate and target tasks of the claim that `profile` has no training configuration for."""
    names = [n for c in claim.configurations_used() for n in c if n not in profile.intermediate]
    names += [t for t in claim.targets if t in TASKS and get_task(t).trained and t not in profile.target]
    return list(dict.fromkeys(names))


RunKey = tuple[tuple[str, ...], str, int, str]  # (configuration, target, seed, split)


def run_keys(claim: Claim, profile) -> list[RunKey]:
    """Every (configuration, target, seed, split) the claim reads."""
    return [(config, target, seed, split) for split in claim.splits() for config in claim.configurations_used()
            for target in claim.targets for seed in profile.seeds]


def required_runs(claim: Claim, profile, data) -> dict[RunKey, RunSpec]:
    """The target runs a claim needs on `profile` (as given: apply `for_profile` first)."""
    missing = missing_tasks(claim, profile)
    if missing:
        raise ClaimError(f"claim {claim.id}: profile {profile.name} has no training configuration for "
                         f"{', '.join(missing)}; add one to repro/profiles.py or name a registered task in the claim")
    return {(config, target, seed, split): plan.target_spec(profile, data, target, intermediate=config or None,
                                                            seed=seed, split=split)
            for config, target, seed, split in run_keys(claim, profile)}


@dataclass(frozen=True)
class Comparison:
    """One configuration against its baseline (or a point read from the paper)."""

    configuration: str
    result: object   # repro.stats.DifferenceResult, BestResult summary, or a PointResult
    verdict: object  # repro.stats.verdicts.Verdict


@dataclass(frozen=True)
class PointResult:
    """A number without an interval (the paper's printed values)."""

    estimate: float
    note: str = ""
    ci90: None = None
    ci95: None = None


@dataclass(frozen=True)
class ClaimOutcome:
    """A judged (or skipped) claim with everything the report shows."""

    claim: Claim
    verdict: object                 # Verdict, or a dict {"outcome": "skipped", ...} when skipped
    comparisons: tuple[Comparison, ...]
    runs: tuple[str, ...]           # run folder names, each once
    seeds: tuple[int, ...]
    profile: str
    is_evidence: bool
    source: str = "engine"
    skipped: str | None = None      # why the claim part could not be judged from this source


def skipped(claim: Claim, reason: str, *, profile: str, source: str, is_evidence: bool = True,
            outcome: str = "skipped") -> ClaimOutcome:
    """An outcome that states why a claim part is not judged (`outcome` "damaged": a run it reads is)."""
    return ClaimOutcome(claim, {"outcome": outcome, "reason": reason, "estimate": None}, (), (), (),
                        profile, is_evidence, source, reason)


def judge(claim: Claim, engine, *, seeds_chosen: bool = False) -> ClaimOutcome:
    """Compute (or read) the claim's runs on the engine's profile and judge it.

    `seeds_chosen`: the user set the seed count, which the claim's [smoke] table must not change.
    """
    from repro.outcomes import run_outcomes
    from repro.setup_checks import judge_setup

    claim, profile = claim.for_profile(engine.profile, seeds_chosen=seeds_chosen)
    if claim.kind == "setup":
        return ClaimOutcome(claim, judge_setup(claim), (), (), (), profile.name, profile.is_evidence)
    specs = required_runs(claim, profile, engine.data)
    outcomes = _pad_sparse({key: run_outcomes(engine.ensure(spec)) for key, spec in specs.items()})
    metrics = {t: get_task(t).metric for t in claim.targets}
    parallel = [t for t in claim.targets if get_task(t).parallel]

    def runs_of(config, split=claim.split, chosen=None):
        """One merged run per seed; `chosen` maps a target to the configuration read for it."""
        return [{cell: co for t in claim.targets
                 for cell, co in outcomes[((chosen or {}).get(t, config), t, s, split)].items()}
                for s in profile.seeds]

    def difference(a, b, label):
        return paired_difference(a, b, metrics=metrics, parallel=parallel, rng=_claim_seed(claim.id + label))

    comparisons = []
    if claim.kind in COMPARED:
        judge_fn, names = COMPARED[claim.kind]
        kwargs = {n: getattr(claim, n) for n in names}
        for config, base in claim.comparisons():
            label = claim.label(config) + (f" vs {claim.label(base)}" if base else "")
            result = difference(runs_of(config), runs_of(base), label)
            comparisons.append(Comparison(label, result, judge_fn(result, label=label, **kwargs)))
        verdicts = [c.verdict for c in comparisons]
        verdict = (verdicts[0] if len(verdicts) == 1 else
                   V.judge_at_least(verdicts, claim.at_least) if claim.at_least else V.judge_all(verdicts))
    elif claim.kind == "best":
        claimed = claim.label(claim.configurations[0])
        best = compare_with_best({claim.label(c): runs_of(c) for c in claim.configurations}, claimed,
                                 metrics=metrics, parallel=parallel, rng=_claim_seed(claim.id))
        verdict = V.judge_best(best, label=f"{claimed} is best")
        comparisons.append(Comparison(f"{claimed} vs the other {len(best.others)}", best.pairwise[
            best.others[int(best.lower.argmin())]], verdict))
        if claim.expected is not None:
            result = difference(runs_of(claim.configurations[0]), runs_of(claim.baseline), "gain")
            gain = V.judge_magnitude(result, expected=claim.expected, margin=claim.margin, label=f"{claimed} gain")
            comparisons.append(Comparison(f"{claimed} vs {claim.label(claim.baseline)}", result, gain))
            verdict = V.judge_all([verdict, gain])
    else:  # best_per_target: choose on select_split, measure on split
        comparisons, verdict = _best_per_target(claim, profile, outcomes, runs_of, difference, metrics, parallel)
    return ClaimOutcome(claim, verdict, tuple(comparisons), tuple(dict.fromkeys(s.dirname for s in specs.values())),
                        tuple(profile.seeds), profile.name, profile.is_evidence)


def _best_per_target(claim: Claim, profile, outcomes, runs_of, difference, metrics, parallel):
    """Per target the configuration best on `select_split`, measured on `split` against the claim's
    comparator: its baseline run, or the published XLM-R scores (the baseline run then reported beside).

    A target whose two splits read one evaluation set (XQuAD, TyDiQA-GoldP, Tatoeba; BUCC, whose
    dev set only sets the threshold) is chosen on one half of its units and measured on the other.
    """
    from functools import reduce

    from repro.comparators import (MEASURE_HALF, PUBLISHED_XLMR, SELECT_HALF, difference_from_constant,
                                   published_xlmr_score, restrict)

    halved = [t for t in claim.targets if len(claim.configurations) > 1
              and get_task(t).one_evaluation_set(claim.select_split, claim.split)]
    chosen = {}
    for t in claim.targets:
        def selection_cells(c, s, t=t):
            cells = outcomes[(c, t, s, claim.select_split)]
            return restrict(cells, t, SELECT_HALF) if t in halved else cells
        dev = {c: sum(aggregate_score(selection_cells(c, s), metrics={t: metrics[t]}) for s in profile.seeds)
               for c in claim.configurations}
        chosen[t] = max(claim.configurations, key=lambda c: dev[c])

    def measured(runs):
        return [reduce(lambda cells, t: restrict(cells, t, MEASURE_HALF), halved, run) for run in runs]

    label = ("best per target (" + ", ".join(f"{t}: {claim.label(c)}" for t, c in chosen.items())
             + f"; chosen on {claim.select_split}"
             + (f", except {', '.join(halved)}: one evaluation set, chosen on one half of its units and measured "
                "on the other" if halved else "") + ")")
    best, own = measured(runs_of(None, chosen=chosen)), measured(runs_of(claim.baseline))
    if claim.comparator != PUBLISHED_XLMR:
        result = difference(best, own, label)
        verdict = V.judge_magnitude(result, expected=claim.expected, margin=claim.margin, label=label)
        return [Comparison(label, result, verdict)], verdict
    published = published_xlmr_score(claim.targets)
    result = difference_from_constant(best, published, metrics=metrics, parallel=parallel,
                                      rng=_claim_seed(claim.id + label))
    verdict = V.judge_magnitude(result, expected=claim.expected, margin=claim.margin, label=label)
    beside = difference(best, own, label + " own")
    own_label = f"{claim.label(claim.baseline)} run of this suite"
    return [Comparison(f"{label} vs XLM-R as published (Hu et al. 2020: {published:.2f})", result, verdict),
            Comparison(f"the same vs the {own_label} (reported beside; not part of the verdict)", beside,
                       V.judge_improves(beside, threshold=0.0, label=f"gain over the {own_label}"))], verdict


# BUCC runs record only source sentences in a gold or a mined pair, so the set differs between runs;
# a sentence a run does not record has no gold and no prediction there: all-zero (tp, n_pred, n_gold).
SPARSE_TASKS = ("bucc2018",)


def _pad_sparse(outcomes: dict) -> dict:
    """Give every run of a sparse task's cell the union of the cell's units, absent ones as zero rows."""
    from repro.stats import CellOutcomes
    units: dict = {}
    for (config, target, seed, split), cells in outcomes.items():
        for cell, co in cells.items():
            if cell[0] in SPARSE_TASKS:
                units.setdefault((cell, split), set()).update(co.units.tolist())
    if not units:
        return outcomes
    padded = {}
    for key, cells in outcomes.items():
        padded[key] = dict(cells)
        for cell, co in cells.items():
            extra = sorted(units.get((cell, key[3]), set()) - set(co.units.tolist()))
            if extra:
                padded[key][cell] = CellOutcomes(np.concatenate([co.units, np.asarray(extra, dtype=co.units.dtype)]),
                                                 np.vstack([co.stats, np.zeros((len(extra), co.stats.shape[1]))]))
    return padded


def _claim_seed(text: str) -> int:
    """A fixed resampling seed per claim part, so verdicts are repeatable."""
    return zlib.crc32(text.encode())

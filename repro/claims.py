"""Claims as data: one TOML file per claim part in `claims/`, loaded into frozen objects.

A claim compares target-task scores after intermediate training on one or more
configurations against a baseline, on the XTREME aggregate of its target tasks
(mean over languages per task, QA as mean(F1, EM), mean over tasks), and judges
the difference with margins fixed in the file before any result is seen.
Setup claims check the `paper` profile and the task registry instead.  The runs a claim
needs are planned in `repro.plan`, its judging is `repro.judging`; everything that depends on
its kind is the kind's object (`repro.kinds`).
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from repro.claim_types import type_problems
from repro.comparators import COMPARATORS
from repro.errors import ClaimError
from repro.kinds import KINDS, ClaimKind, get_kind
from repro.paper import TARGETS
from repro.profiles import INTERMEDIATE_TASKS, Profile
from repro.tasks import TASKS
from repro.tasks.planted import INTERMEDIATE as PLANTED_INTERMEDIATE

REQUIRED = ("id", "seed_claim", "quote", "source", "kind", "margin_reason")
# named target sets a claim file may give as `targets = "xtreme"`
TARGET_SETS = {"xtreme": TARGETS}  # the nine XTREME target tasks, in the paper's order
PSEUDO_TASKS = ("mlm",)
TRANSLATED = "_translated"
SPLITS = ("validation", "test")
NOT_IN_FILES = ("path", "options", "held")  # Claim fields the loader or the rounds set, never a claim file
SMOKE_FIELDS = ("configurations", "baselines", "at_least", "seeds", "split", "reason")
__all__ = ["KINDS", "Claim", "ClaimError", "load_claims", "select_claims"]


def intermediate_names() -> tuple[str, ...]:
    """Names a configuration may hold: the nine tasks, `mlm`, `<task>_translated`, and the planted
    world's tasks (claims/planted/; no paper claim names them, tests/test_planted.py checks)."""
    return (*INTERMEDIATE_TASKS, *PSEUDO_TASKS, *(t + TRANSLATED for t in INTERMEDIATE_TASKS), *PLANTED_INTERMEDIATE)


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
    # the values of the fields its kind adds (`ClaimKind.own_fields`); the report writes them beside the others
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    path: Path | None = field(default=None, compare=False)
    # configurations held at fewer chains than the look judged: a later look of the sequential design adds
    # chains only to what an open comparison needs (repro.rounds); ((configuration, chains), ...)
    held: tuple[tuple[tuple[str, ...], int], ...] = field(default=(), repr=False)

    @classmethod
    def from_file(cls, path: Path) -> "Claim":
        """Load and check one claim file; ClaimError names the file, the line and the problem."""
        try:
            text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is welcome
        except UnicodeDecodeError as err:
            raise ClaimError(f"{path}: not UTF-8 text (byte {err.start}: {err.reason}); "
                             "save the file as UTF-8") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            line = getattr(err, "lineno", None) or _line_in_message(str(err))
            where = f"{path}, line {line}" if line else str(path)
            raise ClaimError(f"{where}: not valid TOML ({err}); fix the syntax") from None
        at = _locator(path, text)
        missing = [k for k in REQUIRED if k not in raw]
        own = KINDS[raw["kind"]].own_fields if isinstance(raw.get("kind"), str) and raw["kind"] in KINDS else {}
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__) - set(NOT_IN_FILES) - set(own))
        if missing:
            raise ClaimError(f"{path}: missing field(s) {', '.join(missing)}; add them (see docs/claims.md)")
        if unknown:
            raise ClaimError(f"{at(unknown[0])}: unknown field(s) {', '.join(unknown)}; known fields: "
                             f"{', '.join([f for f in cls.__dataclass_fields__ if f not in NOT_IN_FILES] + list(own))}")
        problems = type_problems({k: v for k, v in raw.items() if k not in own}, at) + [
            f"{at(name)}: {problem}" for name, check in own.items() if name in raw and (problem := check(raw[name]))]
        if problems:
            raise ClaimError("\n".join(problems))
        if raw["kind"] not in KINDS:
            raise ClaimError(f"{at('kind')}: unknown kind {raw['kind']!r}; one of {', '.join(KINDS)}")
        lacking = [k for k in KINDS[raw["kind"]].fields if k not in raw]
        if lacking:
            raise ClaimError(f"{at('kind')}: a {raw['kind']} claim needs field(s) {', '.join(lacking)}; add them")
        for key in ("configurations", "baselines"):
            raw[key] = tuple(tuple(c) for c in raw.get(key, ()))
        raw["targets"], raw["baseline"] = _targets(raw.get("targets", ()), at), tuple(raw.get("baseline", ()))
        if isinstance(raw.get("value"), list):
            raw["value"] = tuple(raw["value"])
        raw["smoke"] = dict(raw.get("smoke", {}))
        raw["options"] = MappingProxyType({name: raw.pop(name) for name in own if name in raw})
        claim = cls(**raw, path=path)
        claim._check(str(path), at)
        return claim

    def _check(self, where: str, at=None, table: str | None = None) -> None:
        """ClaimError unless the fields are consistent; `at(field, table)` says where a field is written
        ("path, line N"), `table` the TOML table being checked ([smoke])."""
        given, at = at, at or (lambda field, table=None: where)
        known = intermediate_names()
        if self.kind not in KINDS:
            raise ClaimError(f"{at('kind')}: unknown kind {self.kind!r}; one of {', '.join(KINDS)}")
        kind = KINDS[self.kind]

        def field_of(config):
            return ("configurations" if config in self.configurations
                    else "baselines" if config in self.baselines else "baseline")
        if kind.needs_runs and not self.configurations:
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
        if kind.needs_runs and not self.targets:
            raise ClaimError(f"{at('kind')}: a {self.kind} claim needs target tasks")
        if self.baselines and len(self.baselines) != len(self.configurations):
            raise ClaimError(f"{at('baselines', table)}: {len(self.baselines)} baselines for "
                             f"{len(self.configurations)} configurations; give one baseline per configuration, or none")
        if not 0 <= self.at_least <= len(self.configurations):
            raise ClaimError(f"{at('at_least', table)}: at_least = {self.at_least}, but the claim has "
                             f"{len(self.configurations)} configurations (0 means all)")
        for split in (self.split, self.select_split):
            if split not in SPLITS:
                field_name = "split" if split == self.split else "select_split"
                raise ClaimError(f"{at(field_name, table)}: unknown split {split!r}; one of {', '.join(SPLITS)}")
        if self.comparator not in kind.comparators:
            others = [k.name for k in KINDS.values() if self.comparator in k.comparators]
            raise ClaimError(f"{where}: comparator {self.comparator!r}: a {self.kind} claim takes "
                             f"{', '.join(kind.comparators)} (comparators: {', '.join(COMPARATORS)}"
                             + (f"; {self.comparator!r} only for a {' or '.join(others)} claim)" if others else ")"))
        kind.check(self, at, table)
        if self.smoke:
            bad = sorted(set(self.smoke) - set(SMOKE_FIELDS))
            if bad or "reason" not in self.smoke:
                raise ClaimError(f"{at('smoke')}: [smoke] takes {', '.join(SMOKE_FIELDS)} and must give a reason "
                                 f"(unknown: {bad or 'none'})")
            self.for_smoke()._check(f"{where} [smoke]", given, "smoke")

    @property
    def kind_object(self) -> ClaimKind:
        """The claim's kind (`repro.kinds`): its fields, checks, judging, replay, wording and band."""
        return get_kind(self.kind)

    @property
    def needs_runs(self) -> bool:
        """Whether judging it reads runs (a setup claim checks the `paper` profile instead)."""
        return self.kind_object.needs_runs

    def label(self, configuration: tuple[str, ...]) -> str:
        """A configuration's name in labels: its tasks joined by "+", "XLM-R" for none."""
        return "+".join(configuration) or "XLM-R"

    def comparisons(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """(configuration, its baseline) pairs."""
        return list(zip(self.configurations, self.baselines or [self.baseline] * len(self.configurations)))

    def configurations_used(self) -> list[tuple[str, ...]]:
        """Every configuration a run is needed for, the baselines included, each once."""
        return list(dict.fromkeys([*self.configurations, self.baseline, *self.baselines]))

    def seeds_of(self, configuration: tuple[str, ...], seeds: Sequence[int]) -> tuple[int, ...]:
        """The seeds (chains) of `configuration` among the look's `seeds`: all of them, or the first ones
        where the configuration is held (`held`)."""
        return tuple(seeds)[:dict(self.held).get(configuration, len(seeds))]

    def for_smoke(self) -> "Claim":
        """The claim as the smoke profile judges it (the [smoke] table's overrides, same rule)."""
        over = {k: v for k, v in self.smoke.items() if k in ("configurations", "baselines", "at_least", "split")}
        for key in ("configurations", "baselines"):
            if key in over:
                over[key] = tuple(tuple(c) for c in over[key])
        return replace(self, **over, smoke={})

    def for_profile(self, profile: Profile, *, seeds_chosen: bool = False) -> tuple[Claim, Profile]:
        """The claim and profile as `profile` runs it: smoke applies the [smoke] overrides
        (its seed count only when the user chose none)."""
        if profile.name != "smoke" or not self.smoke:
            return self, profile
        seeds = None if seeds_chosen else self.smoke.get("seeds")
        return self.for_smoke(), (profile.with_seeds(seeds) if seeds else profile)

    def splits(self) -> tuple[str, ...]:
        """The splits its runs are read on (its kind says which)."""
        return self.kind_object.splits(self)


def _targets(value, at) -> tuple[str, ...]:
    """A claim file's `targets`: a list of tasks, or the name of a set in TARGET_SETS."""
    if isinstance(value, str):
        if value not in TARGET_SETS:
            raise ClaimError(f"{at('targets')}: unknown target set {value!r}; one of {', '.join(TARGET_SETS)}, "
                             "or a list of target tasks")
        return TARGET_SETS[value]
    return tuple(value)


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


def select_claims(directory: Path, select: str = "") -> list[Claim]:
    """The claims in `directory` whose id contains `select` (all for "")."""
    return [c for c in load_claims(directory) if select in c.id]


def load_claims(directory: Path) -> list[Claim]:
    """Every claim file in `directory`, sorted by id; ids must be unique; ClaimError if `directory` is none."""
    if not Path(directory).is_dir():
        raise ClaimError(f"no claims directory at {directory}; pass --claims DIR, the claims/ folder of a "
                         "checkout of this project")
    claims, problems = [], []
    for path in sorted(Path(directory).glob("*.toml")):  # every file checked: all problems said at once
        try:
            claims.append(Claim.from_file(path))
        except ClaimError as err:
            problems.append(str(err))
    if problems:
        raise ClaimError("\n".join(problems))
    seen: dict[str, Path | None] = {}
    for c in claims:
        if c.id in seen:
            raise ClaimError(f"claim id {c.id!r} is used by both {seen[c.id]} and {c.path}")
        seen[c.id] = c.path
    return sorted(claims, key=lambda c: c.id)



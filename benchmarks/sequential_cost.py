"""GPU-hours of the simulated claim parts, per configuration, on the paper plan (for benchmarks/sequential.py).

A later look extends only the configurations a part still needs, so a data set's GPU-hours are the part's
seed-independent runs plus, per configuration, its chains times one chain's runs of that configuration
(`repro.plan` on the paper profile, seed 3): an intermediate run, and the target and retrieval runs whose
parent it is, belong to its configuration; a target or retrieval run with no intermediate parent to the
no-intermediate baseline.  The simulated configurations stand for the real ones (`sim_weights`).  Best per
target chooses its configurations once, on the first look's chains, so a later chain costs at most the
phase-(ii) runs of as many of the dearest configurations as there are targets, per target the dearest run
for it, and the baseline's runs (`best_per_target_bound`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from repro.profiles import PAPER

# The claim part whose runs cost each simulated kind
KIND_PART = {"magnitude": "squad-gain", "improves": "squad-gain", "no_benefit": "xnli-no-benefit",
             "at_least": "tydiqa-gain", "best": "multitask-best", "best_per_target": "best-per-target-xtreme"}

# Every claim part with runs, by the simulated kind that stands for it (the k-of-n and no-benefit parts by the
# 2-of-3 and single no-benefit kinds; multitask-best's gain beside its best-of is left out)
PARTS = {"magnitude": ("squad-gain", "mnli-gain", "hellaswag-gain"),
         "at_least": ("bucc-gain", "tatoeba-gain", "tydiqa-gain"),
         "no_benefit": ("xnli-no-benefit", "mlm-no-gain", "translated-no-gain"), "best": ("multitask-best",),
         "best_per_target": ("best-per-target-xtreme",)}

BASE = frozenset()  # the no-intermediate baseline's configuration


def _claim(part: str):
    from repro.claims import select_claims
    found = [c for c in select_claims(Path(__file__).resolve().parents[1] / "claims", part) if c.id == part]
    if not found:
        raise SystemExit(f"sequential_cost: no claim part {part!r} in claims/; name one of its files' ids")
    return found[0]


@lru_cache(maxsize=None)
def _plan(part: str, chains: int = 3) -> tuple:
    from repro.data import DataSource
    from repro.plan import planned_runs
    return tuple(planned_runs([_claim(part)], PAPER.with_seeds(chains), DataSource("hub"), seeds_chosen=True))


@lru_cache(maxsize=None)
def chain_cost(part: str) -> tuple[float, float]:
    """(GPU-hours of the claim part's runs independent of the chain count, GPU-hours per chain) on the
    paper profile, from `repro.plan` and `repro.cost` at 3 and 10 chains: the affine cost of every
    configuration going on together."""
    hours = [sum(r.gpu_hours for r in _plan(part, n)) for n in (3, 10)]
    per = (hours[1] - hours[0]) / 7
    return hours[0] - 3 * per, per


def chain_runs() -> dict:
    """Per claim part of PARTS, {run folder name: GPU-hours} of one chain (seed 3) on the paper plan."""
    return {part: {r.name: r.gpu_hours for r in _plan(part) if r.spec.seed == 3}
            for parts in PARTS.values() for part in parts}


def config_of(spec) -> frozenset:
    """The configuration (its intermediate tasks) a run of one chain belongs to; BASE without an intermediate."""
    if spec.kind == "intermediate":
        return frozenset(spec.tasks)
    if spec.kind in ("target", "retrieval"):
        parent = spec.parent
        return frozenset(parent.tasks) if parent is not None and parent.kind == "intermediate" else BASE
    raise ValueError(f"a {spec.kind} run in one chain belongs to no configuration; extend config_of for it")


@lru_cache(maxsize=None)
def config_runs(part: str) -> dict:
    """Per configuration of the part, {run folder name: (evaluated task or None, GPU-hours)} of one chain."""
    out: dict = {}
    for r in _plan(part):
        if r.spec.seed == 3:
            task = r.spec.eval_task if r.kind in ("target", "retrieval") else None
            out.setdefault(config_of(r.spec), {})[r.name] = (task, r.gpu_hours)
    return out


def sim_weights(kind: str, part: str) -> dict:
    """Per real configuration of `part`, {simulated configuration: share of its runs' cost} (shares sum to 1):
    one-comparison kinds: every configuration "a" (no benefit's nine together); at least k of n: the
    configurations in claim order, a third each to "a", "b", "c"; best: the claimed (first) "a", each other
    half "b" and half "c"; best per target: every configuration "pool"; the baseline(s) "base"."""
    claim = _claim(part)
    configs = [frozenset(c) for c in claim.configurations]
    out = {frozenset(b): {"base": 1.0} for b in (claim.baseline, *claim.baselines)}
    if kind in ("magnitude", "improves", "no_benefit"):
        out.update({c: {"a": 1.0} for c in configs})
    elif kind == "at_least":
        for name, third in zip("abc", np.array_split(np.arange(len(configs)), 3)):
            out.update({configs[i]: {name: 1.0} for i in third})
    elif kind == "best":
        out.update({c: {"b": 0.5, "c": 0.5} for c in configs[1:]})
        out[configs[0]] = {"a": 1.0}
    elif kind == "best_per_target":
        out.update({c: {"pool": 1.0} for c in configs})
    else:
        raise ValueError(f"unknown simulated kind {kind!r}; one of {', '.join(KIND_PART)}")
    missing = set(config_runs(part)) - set(out)
    if missing:
        raise ValueError(f"{part}: runs of configurations {sorted(map(sorted, missing))} that no simulated "
                         "configuration stands for")
    return out


@dataclass(frozen=True)
class PartCost:
    """A simulated part's GPU-hours: `fixed` (seed-independent), `per` one chain's per simulated configuration,
    and for best per target `later` (a chain beyond the first look's, an upper bound, see the module text)."""

    fixed: float
    per: dict
    later: float | None = None

    def hours(self, chains: dict) -> float:
        """The part's GPU-hours with `chains` (simulated configuration -> its chain count)."""
        if self.later is not None:  # best per target: every configuration to the first look, then the bound
            first, last = min(chains.values()), max(chains.values())
            return self.fixed + first * sum(self.per.values()) + (last - first) * self.later
        missing = set(self.per) - set(chains)
        if missing:
            raise ValueError(f"no chain count for simulated configurations {sorted(missing)}; give every one")
        return self.fixed + sum(n * self.per[c] for c, n in chains.items() if c in self.per)

    @property
    def chain(self) -> float:
        """One chain of every configuration."""
        return sum(self.per.values())


BOUNDS = ("distinct", "dearest")


def best_per_target_bound(part: str, bound: str = "distinct") -> float:
    """A chain beyond the first look's for best per target, whichever configurations were chosen: the baseline's
    runs and, per target, the run for it of the dearest configuration, with ("distinct", the default) the
    phase-(ii) runs of as many of the dearest configurations as there are targets, as if every target chose a
    different one, or ("dearest", looser: it counts a configuration's phase-(ii) run once per target that
    chose it, which no choice runs twice) the dearest configuration's phase-(ii) run in full for every target."""
    if bound not in BOUNDS:
        raise ValueError(f"bound must be one of {', '.join(BOUNDS)}, got {bound!r}")
    runs, claim = config_runs(part), _claim(part)
    pool = [runs[frozenset(c)] for c in claim.configurations]
    targets = {t for rs in pool for t, _ in rs.values() if t is not None}
    total = sum(h for _, h in runs.get(BASE, {}).values())
    if bound == "distinct":
        phase_ii = sorted((sum(h for task, h in rs.values() if task is None) for rs in pool), reverse=True)
        return total + sum(phase_ii[:len(targets)]) + sum(max(sum(h for task, h in rs.values() if task == t)
                                                              for rs in pool) for t in targets)
    for t in targets:
        total += max(sum(h for task, h in rs.values() if task is None or task == t) for rs in pool)
    return total


@lru_cache(maxsize=None)
def part_cost(kind: str, bound: str = "distinct") -> PartCost:
    """The simulated kind's `PartCost` on its claim part (KIND_PART); `bound`: best per target's later chain."""
    part = KIND_PART[kind]
    per: dict = {}
    weights = sim_weights(kind, part)
    for config, rs in config_runs(part).items():
        for sim, w in weights[config].items():
            per[sim] = per.get(sim, 0.0) + w * sum(h for _, h in rs.values())
    later = best_per_target_bound(part, bound) if kind == "best_per_target" else None
    if later is not None:
        per = {"base": per.get("base", 0.0), "pool": per["pool"]}
    return PartCost(chain_cost(part)[0], per, later)


def shared_plan(rows, design: str, looks, bound: str = "distinct") -> dict:
    """The whole paper plan's expected GPU-hours under `design` against fixed 5: "per_part" counts each part's
    runs as its own, "shared" each run once, run up to the most chains any part using it reaches.  A run reaches
    a look with the share of data sets in which the simulated configuration standing for its configuration
    (`sim_weights`; best's other nine: the mean of "b" and "c") has that look's chains, each part drawn
    independently from its kind's simulated distribution over the truths; best per target's configurations reach
    the first look only, and its later chains are the selection-free bound, counted as its own (not shared)."""
    mine = {kind: [r for r in rows if r["kind"] == kind and r["design"] == design] for kind in PARTS}
    reach = {kind: {c: np.mean([r["reach_by_config"][c] for r in rs], axis=0) for c in rs[0]["reach_by_config"]}
             for kind, rs in mine.items()}
    steps = np.diff([0, *looks])
    first_only = (np.arange(len(looks)) == 0).astype(float)
    users: dict = {}
    own = 0.0  # best per target's later chains
    for kind, parts in PARTS.items():
        for part in parts:
            weights = sim_weights(kind, part)
            for config, rs in config_runs(part).items():
                for name, (_, h) in rs.items():
                    r = (first_only if kind == "best_per_target" and config != BASE else
                         sum(w * reach[kind][s] for s, w in weights[config].items()))
                    users.setdefault(name, [h, []])[1].append(r)
            if kind == "best_per_target":
                later = np.mean([r["reach"] for r in mine[kind]], axis=0) * (1 - first_only)
                base = sum(h for _, h in config_runs(part).get(BASE, {}).values())
                own += (best_per_target_bound(part, bound) - base) * float(np.dot(steps, later))
    per_part = own + sum(h * float(np.dot(steps, r)) for h, rs in users.values() for r in rs)
    shared = own + sum(h * float(np.dot(steps, 1 - np.prod([1 - r for r in rs], axis=0))) for h, rs in users.values())
    return {"per_part": round(per_part / (5 * sum(h * len(rs) for h, rs in users.values())), 3),
            "shared": round(shared / (5 * sum(h for h, _ in users.values())), 3)}

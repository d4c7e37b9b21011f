"""Planted phase-(ii) noise: the chain design against the one-intermediate-run design (docs/statistics.md §6).

A configuration's outcome varies with its phase-(ii) run as well as with its phase-(iii) run.
This world plants both at known sizes: per-example Bernoulli outcomes with
P(correct) = sigmoid(x_i + δ + w + u), x_i the example's logit (a fresh test sample per data set,
N(m_l, `sd_examples`²) in language l), w the phase-(ii) run's shift N(0, `sd_ii`²) and u the
phase-(iii) run's N(0, `sd_iii`²); the baseline has phase (iii) only.  The estimand is the
procedure's effect: the difference of the population accuracies averaged over both shifts and the
examples, known by quadrature (`procedure_effect`).

Designs of one configuration's S replicates:
- "chains": replicate r has its own phase-(ii) run (w_r) and phase-(iii) run (u_r);
- "one-intermediate": one phase-(ii) run (w) shared by S phase-(iii) runs, the design before chains,
  whose interval is conditional on that one w.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from repro.metrics.base import Accuracy
from repro.stats.data import CellOutcomes
from repro.stats.intervals import paired_difference
from repro.stats.verdicts import judge_improves

DESIGNS = ("chains", "one-intermediate")
TASK = "task"


@dataclass(frozen=True)
class World:
    """The planted world's sizes (the issue's simulation: 5 languages x 2,000 examples, 3 replicates a
    side, phase (ii) N(0, 0.1²) and phase (iii) N(0, 0.05²) on the logit scale)."""

    languages: tuple[float, ...] = (0.4, 0.7, 1.0, 1.3, 1.6)  # m_l: mean logit per language
    n: int = 2000                 # test examples per language
    seeds: int = 3                # replicates per side
    sd_examples: float = 1.5      # spread of the examples' logits
    sd_ii: float = 0.1            # phase-(ii) run's shift
    sd_iii: float = 0.05          # phase-(iii) run's shift


_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(120)


def _mean_sigmoid(mean: float, var: float) -> float:
    """E[sigmoid(X)] for X ~ N(mean, var), by Gauss-Hermite quadrature."""
    x = mean + np.sqrt(var) * _NODES
    return float(np.sum(_WEIGHTS / (1 + np.exp(-x))) / np.sum(_WEIGHTS))


def procedure_effect(delta: float, world: World = World()) -> float:
    """The true effect in accuracy points: the configuration's population accuracy, averaged over its
    phase-(ii) and phase-(iii) shifts and the examples, less the baseline's (phase iii only)."""
    a = world.sd_examples**2 + world.sd_ii**2 + world.sd_iii**2
    b = world.sd_examples**2 + world.sd_iii**2
    return 100 * float(np.mean([_mean_sigmoid(m + delta, a) - _mean_sigmoid(m, b) for m in world.languages]))


def delta_for(effect: float, world: World = World()) -> float:
    """The logit shift δ that plants a procedure effect of `effect` points."""
    return brentq(lambda d: procedure_effect(d, world) - effect, -3, 3)


def simulate(rng: np.random.Generator, delta: float, design: str, world: World = World()):
    """One data set: (runs of the configuration, runs of the baseline), each a list of S runs whose cells
    are (task, language) with (correct, 1) per example, the layout of `repro.metrics.base.Accuracy`."""
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")
    s = world.seeds
    x = [rng.normal(m, world.sd_examples, world.n) for m in world.languages]
    w = rng.normal(0, world.sd_ii, s) if design == "chains" else np.full(s, rng.normal(0, world.sd_ii))
    shifts = {"a": delta + w + rng.normal(0, world.sd_iii, s), "b": rng.normal(0, world.sd_iii, s)}
    runs = outcomes(rng, x, shifts, world)
    return runs["a"], runs["b"]


def chain_shifts(rng: np.random.Generator, deltas: dict, world: World = World()) -> dict:
    """Per configuration name, its S chains' logit shifts δ + w_r + u_r (phase ii and iii), and for the
    baseline "base" its phase-(iii) shifts u_r: the trained models, which any test sample can evaluate."""
    s = world.seeds
    out = {name: d + rng.normal(0, world.sd_ii, s) + rng.normal(0, world.sd_iii, s) for name, d in deltas.items()}
    return {**out, "base": rng.normal(0, world.sd_iii, s)}


def outcomes(rng: np.random.Generator, x, shifts: dict, world: World = World()) -> dict:
    """Per name in `shifts`, its runs on the test sample `x` (per language, the examples' logits): a list
    of S runs of {(task, language): CellOutcomes} with (correct, 1) per example."""
    ids = np.arange(world.n)
    return {side: [{(TASK, str(l)): CellOutcomes(ids, np.column_stack([
        rng.random(world.n) < 1 / (1 + np.exp(-(xl + shift[r]))), np.ones(world.n)]).astype(float))
        for l, xl in enumerate(x)} for r in range(len(shift))] for side, shift in shifts.items()}


def draw_sample(rng: np.random.Generator, world: World = World()) -> list[np.ndarray]:
    """A fresh test sample: per language, its examples' logits N(m_l, sd_examples²)."""
    return [rng.normal(m, world.sd_examples, world.n) for m in world.languages]


def calibrate(datasets: int, *, design: str, effect: float, world: World = World(), n_resamples: int = 199,
              rng: int = 0) -> dict:
    """Coverage of the 95% interval for the planted procedure effect and the rate of "improves" verdicts
    (above 0), over `datasets` simulated data sets of `design`."""
    delta = delta_for(effect, world)
    gen = np.random.default_rng(rng)
    covered, improves, results = 0, 0, []
    for i in range(datasets):
        a, b = simulate(gen, delta, design, world)
        res = paired_difference(a, b, metrics={TASK: Accuracy()}, n_resamples=n_resamples, rng=i)
        lo, hi = res.ci95
        covered += lo < effect < hi
        improves += judge_improves(res, threshold=0.0).outcome == "reproduced"
        results.append(res)
    return {"design": design, "effect": effect, "datasets": datasets, "coverage": covered / datasets,
            "improves_rate": improves / datasets, "mean_df": float(np.mean([r.df for r in results])),
            "results": results}

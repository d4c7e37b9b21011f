"""Planted-truth data for calibration tests, power checks and benchmarks (statistics.md, 3.2).

A probit model with example difficulty z_i (shared by configurations), a
configuration x example interaction v_ci, a seed effect u_cs and seed x
example noise e_csi.  The population value of each configuration, averaged
over seeds, is known in closed form (accuracy) or by 1-D quadrature (F1).
"""
from __future__ import annotations

import numpy as np
from scipy import stats as sps

from repro.metrics.base import Accuracy, Metric
from repro.stats.data import CellOutcomes
from repro.stats.intervals import paired_difference

CELL = ("task", "xx")


def _latent(rng, r, n, mu, sigma_z, sigma_v, sigma_u, sigma_e, seeds):
    """Latent scores per configuration: list of arrays (r, S_c, n)."""
    z = rng.normal(0, sigma_z, (r, 1, n))
    return [mu_c + z + rng.normal(0, sv, (r, 1, n)) + rng.normal(0, sigma_u, (r, s, 1))
            + rng.normal(0, sigma_e, (r, s, n)) for mu_c, sv, s in zip(mu, sigma_v, seeds)]


def _runs(stats_c):
    """(S, n, k) statistics of one configuration -> list of single-cell runs."""
    ids = np.arange(stats_c.shape[1])
    return [{CELL: CellOutcomes(ids, s)} for s in stats_c]


def accuracy_truth(mu, *, sigma_z=1.5, sigma_v=0.0, sigma_u=0.1, sigma_e=1.0) -> float:
    """Population accuracy (0-100) averaged over seeds: 100 Φ(μ / sqrt(σz²+σv²+σu²+σe²))."""
    return 100 * sps.norm.cdf(mu / np.sqrt(sigma_z**2 + sigma_v**2 + sigma_u**2 + sigma_e**2))


def accuracy_datasets(r, n, *, mu=(1.0, 0.9), sigma_z=1.5, sigma_v=(1.0, 0.0), sigma_u=0.1, sigma_e=1.0,
                      seeds=(3, 3), rng=0):
    """`r` simulated (runs_a, runs_b) pairs of n binary outcomes, and the true Δ in points.

    Statistics per unit are (correct, 1), the layout of `repro.metrics.base.Accuracy`.
    """
    rng = np.random.default_rng(rng)
    lat = _latent(rng, r, n, mu, sigma_z, sigma_v, sigma_u, sigma_e, seeds)
    data = [tuple(_runs(np.stack([(x[i] > 0).astype(float), np.ones_like(x[i])], axis=-1)) for x in lat)
            for i in range(r)]
    truth = [accuracy_truth(m, sigma_z=sigma_z, sigma_v=sv, sigma_u=sigma_u, sigma_e=sigma_e)
             for m, sv in zip(mu, sigma_v)]
    return data, truth[0] - truth[1]


def f1_truth(mu, *, lam=1.0, fp_rate=0.3, sigma_z=1.0, sigma_v=0.0, sigma_u=0.1, sigma_e=0.5) -> float:
    """Population corpus F1 (0-100) averaged over seeds, by Gauss-Hermite quadrature over u.

    Per seed, E[tp] = (1+λ) Φ((μ+u)/sqrt(1+σz²+σv²+σe²)), E[pred] = E[tp] + fp_rate,
    E[gold] = 1+λ, and F1 = 2 E[tp] / (E[pred] + E[gold]).
    """
    x, w = np.polynomial.hermite_e.hermegauss(80)
    tp = (1 + lam) * sps.norm.cdf((mu + sigma_u * x) / np.sqrt(1 + sigma_z**2 + sigma_v**2 + sigma_e**2))
    return float(np.sum(w * 200 * tp / (tp + fp_rate + 1 + lam)) / np.sum(w))


def f1_datasets(r, n, *, mu=(0.5, 0.3), lam=1.0, fp_rate=0.3, sigma_z=1.0, sigma_v=(0.5, 0.0), sigma_u=0.1,
                sigma_e=0.5, seeds=(3, 3), rng=0):
    """`r` simulated (runs_a, runs_b) pairs of per-sentence (tp, n_pred, n_gold), and the true Δ.

    Sentence i has 1 + Poisson(λ) gold spans; each is found with probability
    Φ(latent); false positives are Poisson(fp_rate).
    """
    rng = np.random.default_rng(rng)
    gold = 1 + rng.poisson(lam, (r, 1, n))
    lat = _latent(rng, r, n, mu, sigma_z, sigma_v, sigma_u, sigma_e, seeds)
    data = []
    per_c = []
    for x in lat:
        tp = rng.binomial(np.broadcast_to(gold, x.shape), sps.norm.cdf(x))
        pred = tp + rng.poisson(fp_rate, x.shape)
        per_c.append(np.stack([tp, pred, np.broadcast_to(gold, x.shape)], axis=-1).astype(float))
    data = [tuple(_runs(s[i]) for s in per_c) for i in range(r)]
    truth = [f1_truth(m, lam=lam, fp_rate=fp_rate, sigma_z=sigma_z, sigma_v=sv, sigma_u=sigma_u, sigma_e=sigma_e)
             for m, sv in zip(mu, sigma_v)]
    return data, truth[0] - truth[1]



class CorpusF1(Metric):
    """Micro F1 from per-sentence (tp, n_pred, n_gold), the layout `f1_datasets` writes."""

    stat_names, metric_names = ("tp", "n_pred", "n_gold"), ("f1",)

    def unit_stats(self, *, predictions, references, lang=None):
        raise TypeError("this F1 scores planted statistics only; use repro.metrics for real outputs")

    def from_sums(self, sums):
        sums = np.asarray(sums, dtype=np.float64)
        den = sums[..., 1] + sums[..., 2]
        return {"f1": np.where(den > 0, 200.0 * sums[..., 0] / np.where(den > 0, den, 1), 0.0)}


def study(kind: str, r: int, n: int, *, seeds: int, sigma_u: float, mu=None, sigma_v=None,
          n_resamples: int = 199, rng: int = 0):
    """`paired_difference` on `r` planted data sets of one setting: (results, true Δ).

    kind "acc" (accuracy, probit) or "f1" (corpus F1); `seeds` per side;
    `mu` and `sigma_v` default to the generators' own.  Example resamples are
    few (199) because only Var_ex is read from them.
    """
    kw = {"seeds": (seeds, seeds), "sigma_u": sigma_u, "rng": rng}
    kw.update({k: v for k, v in (("mu", mu), ("sigma_v", sigma_v)) if v is not None})
    metric: Metric
    if kind == "acc":
        (data, truth), metric = accuracy_datasets(r, n, **kw), Accuracy()
    elif kind == "f1":
        (data, truth), metric = f1_datasets(r, n, **kw), CorpusF1()
    else:
        raise ValueError(f"kind must be 'acc' or 'f1', got {kind!r}")
    return [paired_difference(a, b, metrics={CELL[0]: metric}, n_resamples=n_resamples, rng=i)
            for i, (a, b) in enumerate(data)], truth

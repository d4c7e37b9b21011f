"""Monte-Carlo calibration with planted effects (statistics.md, 3.2-3.4).

Every simulation and bootstrap uses a fixed seed, so the counts are the same
on every run; the acceptance bands are binomial quantiles (flake probability
1e-4 per band if the seed or NumPy's stream changes) computed here.  The
fast tier uses R = 200 data sets with wide bands; the slow tier R = 1000.
"""
from functools import lru_cache

import numpy as np
import pytest
from scipy import stats as sps
from scipy.optimize import brentq

from repro.metrics.base import Accuracy
from repro.stats import Outcome, judge_improves, judge_no_benefit, paired_difference
from repro.stats.simulate import accuracy_datasets, accuracy_truth, f1_datasets

from tests.stats.toy_metrics import CorpusF1

B = 499  # example resamples per data set; the primary interval only needs Var_ex


def band(r, p, flake=1e-4):
    """Central binomial acceptance band for a rate p over r data sets, as fractions."""
    return sps.binom.ppf(flake / 2, r, p) / r, sps.binom.isf(flake / 2, r, p) / r


@lru_cache(maxsize=None)
def results(kind, r, **kw):
    """paired_difference on r simulated data sets; returns (results, true Δ)."""
    kw = dict(kw)
    if kind == "f1":
        data, truth = f1_datasets(r, kw.pop("n", 300), rng=20, **kw)
        metric = CorpusF1()
    else:
        data, truth = accuracy_datasets(r, kw.pop("n", 300), rng=kw.pop("seed", 10), **kw)
        metric = Accuracy()
    return [paired_difference(a, b, metrics={"task": metric}, n_resamples=B, rng=i)
            for i, (a, b) in enumerate(data)], truth


def coverage(res, truth, interval=lambda r: r.ci95):
    return np.mean([lo < truth < hi for lo, hi in map(interval, res)])


def check_calibrated(res, truth):
    """Coverage at least nominal (the t interval may be conservative) and no needless width."""
    lo, _ = band(len(res), 0.95)
    assert coverage(res, truth) >= lo - 0.01  # 1 pp allowance for small-S percentile bias (3.4.3)
    est = np.array([r.estimate for r in res])
    ratio = np.mean([r.se for r in res]) / est.std(ddof=1)  # estimated vs true SE of Δ̂
    assert 0.85 < ratio < 1.4
    assert abs(est.mean() - truth) < 4 * est.std(ddof=1) / np.sqrt(len(res))  # unbiased for the planted Δ


def mu_b_for(delta, mu_a=1.0, **kw):
    """μ_B that plants a population difference Δ (accuracy points) under the probit model."""
    return brentq(lambda m: accuracy_truth(mu_a, **kw) - accuracy_truth(m, **kw) - delta, -5, 5)


NULL = dict(mu=(0.9, 0.9), sigma_v=(0.7, 0.7))  # equal configurations: Δ = 0 exactly


def test_coverage_mean_metric_fast():
    check_calibrated(*results("acc", 200))


def test_examples_only_interval_undercovers_when_seeds_matter_fast():
    res, truth = results("acc", 200, sigma_u=0.3)
    assert coverage(res, truth, lambda r: r.examples_interval(0.95)) < band(200, 0.95)[0] - 0.1
    assert coverage(res, truth) >= band(200, 0.95)[0]


def test_improves_false_positive_rate_fast():
    res, truth = results("acc", 200, **NULL)
    assert truth == 0
    assert np.mean([judge_improves(r).outcome == Outcome.REPRODUCED for r in res]) <= band(200, 0.025)[1]


@pytest.mark.slow
def test_coverage_mean_metric_with_seed_variance():
    check_calibrated(*results("acc", 1000))


@pytest.mark.slow
def test_coverage_corpus_f1_with_seed_variance():
    check_calibrated(*results("f1", 1000))


@pytest.mark.slow
def test_coverage_corpus_f1_with_seed_variance_large_cells():
    # 600 sentences: counts come from the Poisson-table sampler (repro.stats.resample.poisson_counts)
    check_calibrated(*results("f1", 1000, n=600))


@pytest.mark.slow
def test_examples_only_interval_undercovers_when_seeds_matter():
    res, truth = results("acc", 1000, sigma_u=0.3)
    lo = band(1000, 0.95)[0]
    assert coverage(res, truth, lambda r: r.examples_interval(0.95)) < lo - 0.1  # the teeth
    check_calibrated(res, truth)


@pytest.mark.slow
def test_improves_false_positive_rate_under_no_effect():
    res, truth = results("acc", 1000, **NULL)
    outcomes = [judge_improves(r).outcome for r in res]
    # one-sided 2.5% in each direction
    assert outcomes.count(Outcome.REPRODUCED) / 1000 <= band(1000, 0.025)[1]
    assert outcomes.count(Outcome.NOT_REPRODUCED) / 1000 <= band(1000, 0.025)[1]


NB = dict(sigma_v=(0.5, 0.5), sigma_u=0.05, seeds=(5, 5))
MARGIN = 8.0


def _no_benefit(delta, r):
    kw = dict(NB, mu=(1.0, mu_b_for(delta, sigma_v=0.5, sigma_u=0.05)), seed=40 + int(delta))
    res, truth = results("acc", r, **kw)
    assert truth == pytest.approx(delta, abs=1e-9)
    outcomes = [judge_no_benefit(x, margin=MARGIN).outcome for x in res]
    return {o: outcomes.count(o) / r for o in Outcome}


@pytest.mark.slow
def test_no_benefit_size_at_the_margin():
    # Δ exactly at the margin: "no benefit" may be wrongly reproduced at most alpha = 5% of the time
    assert _no_benefit(MARGIN, 1000)[Outcome.REPRODUCED] <= band(1000, 0.05)[1]


@pytest.mark.slow
def test_no_benefit_reproduced_under_no_effect_and_refuted_under_a_large_one():
    assert _no_benefit(0.0, 300)[Outcome.REPRODUCED] >= 0.9
    large = _no_benefit(3 * MARGIN, 300)
    assert large[Outcome.REPRODUCED] == 0 and large[Outcome.NOT_REPRODUCED] >= 0.9

"""Paired bootstrap with seed variance: closed forms, scipy.stats, planted effects."""
import numpy as np
import pytest
from scipy import stats as sps

from repro.metrics import Accuracy
from repro.metrics.base import Metric
from repro.stats import CellOutcomes, aggregate_score, paired_difference

ACC = {"t": Accuracy()}


class CorpusF1(Metric):
    """F1 = 2·tp / (pred + gold) from per-sentence (tp, pred, gold)."""
    stat_names = ("tp", "pred", "gold")
    metric_names = ("f1",)

    def unit_stats(self, *, predictions, references, lang=None):
        raise NotImplementedError

    def from_sums(self, sums):
        return {"f1": 100 * 2 * sums[..., 0] / np.maximum(sums[..., 1] + sums[..., 2], 1)}


def cell(correct, units=None):
    correct = np.asarray(correct, dtype=float)
    units = np.arange(len(correct)) if units is None else np.asarray(units)
    return CellOutcomes(units, np.column_stack([correct, np.ones_like(correct)]))


def test_aggregate_is_the_xtreme_functional():
    run = {("t", "en"): cell([1, 1, 0, 0]), ("t", "de"): cell([1, 0, 0, 0, 0, 0, 0, 0]),
           ("u", "en"): cell([1, 1, 1, 0])}
    metrics = {"t": Accuracy(), "u": Accuracy()}
    # task t: mean(50, 12.5) = 31.25; task u: 75; overall mean of tasks, not of examples
    assert aggregate_score(run, metrics=metrics) == pytest.approx((31.25 + 75) / 2)


def test_identical_configurations_give_an_exact_zero():
    run = {("t", "en"): cell([1, 0, 1, 1, 0])}
    res = paired_difference([run, run], [run, run], metrics=ACC, n_resamples=200)
    assert res.estimate == 0 and res.var_examples == 0 and res.ci95 == (0.0, 0.0)


def test_seed_component_is_the_welch_formula():
    # constant per-example outcomes within a seed: no example variance, only seed variance
    rng = np.random.default_rng(1)
    a = [{("t", "en"): cell(np.full(50, v))} for v in (1, 1, 0)]
    b = [{("t", "en"): cell(np.full(50, v))} for v in (0, 0, 1, 0)]
    res = paired_difference(a, b, metrics=ACC, n_resamples=100, rng=int(rng.integers(1000)))
    sa, sb = np.var([100, 100, 0], ddof=1), np.var([0, 0, 100, 0], ddof=1)
    assert res.estimate == pytest.approx(200 / 3 - 25)
    assert res.var_examples == pytest.approx(0, abs=1e-20)
    assert res.var_seeds == pytest.approx(sa / 3 + sb / 4)
    df = (sa / 3 + sb / 4) ** 2 / ((sa / 3) ** 2 / 2 + (sb / 4) ** 2 / 3)
    assert res.df == pytest.approx(df)
    half = sps.t.ppf(0.975, df) * np.sqrt(sa / 3 + sb / 4)
    assert res.ci95 == pytest.approx((res.estimate - half, res.estimate + half))


def test_one_seed_matches_scipy_paired_bootstrap():
    rng = np.random.default_rng(2)
    x, y = rng.random(400) < 0.7, rng.random(400) < 0.6
    res = paired_difference([{("t", "en"): cell(x)}], [{("t", "en"): cell(y)}], metrics=ACC,
                            n_resamples=9999, rng=3)
    ref = sps.bootstrap((100.0 * x, 100.0 * y), lambda a, b, axis: a.mean(axis) - b.mean(axis),
                        paired=True, n_resamples=9999, method="percentile", rng=4)
    assert res.seed_variance == "unknown"
    assert res.se == pytest.approx(ref.standard_error, rel=0.05)
    assert res.ci95[0] == pytest.approx(ref.confidence_interval.low, abs=0.6)
    assert res.ci95[1] == pytest.approx(ref.confidence_interval.high, abs=0.6)


def test_same_seed_same_interval_and_parallel_draws_are_shared():
    rng = np.random.default_rng(5)
    runs = [{("t", l): cell(rng.random(100) < 0.6) for l in ("en", "de")} for _ in range(4)]
    one = paired_difference(runs[:2], runs[2:], metrics=ACC, parallel=["t"], n_resamples=2500, rng=7)
    two = paired_difference(runs[:2], runs[2:], metrics=ACC, parallel=["t"], n_resamples=2500, rng=7)
    assert one == two
    # a parallel task whose two languages are identical: resampling ids jointly = one language
    same = [{("t", l): r[("t", "en")] for l in ("en", "de")} for r in runs]
    single = [{("t", "en"): r[("t", "en")]} for r in runs]
    joint = paired_difference(same[:2], same[2:], metrics=ACC, parallel=["t"], n_resamples=2500, rng=7)
    alone = paired_difference(single[:2], single[2:], metrics=ACC, n_resamples=2500, rng=7)
    assert joint.var_examples == pytest.approx(alone.var_examples)


def test_mismatched_units_are_rejected_with_the_cell_named():
    a = [{("t", "en"): cell([1, 0, 1])}]
    b = [{("t", "en"): cell([1, 0, 1], units=[0, 2, 1])}]
    with pytest.raises(ValueError, match=r"cell \(t, en\).*same items in the same order"):
        paired_difference(a, b, metrics=ACC)


def _simulate(rng, n, n_seeds, delta, sigma_seed, metric):
    """Probit model: shared difficulty per example, a seed effect per run; returns runs and the true Δ."""
    z = rng.normal(size=n)
    runs = {}
    for name, mu in (("a", 0.3 + delta), ("b", 0.3)):
        runs[name] = []
        for _ in range(n_seeds):
            u = rng.normal(scale=sigma_seed)
            correct = (mu + z + u + rng.normal(size=n) > 0).astype(float)
            if metric == "f1":  # sentences with 2 gold spans; tp = correct spans, 2 predictions
                tp = correct + (mu + z + u + rng.normal(size=n) > 0)
                stats = np.column_stack([tp, np.full(n, 2.0), np.full(n, 2.0)])
            else:
                stats = np.column_stack([correct, np.ones(n)])
            runs[name].append({("t", "en"): CellOutcomes(np.arange(n), stats)})
    scale = np.sqrt(1 + 1 + sigma_seed ** 2)
    truth = 100 * (sps.norm.cdf((0.3 + delta) / scale) - sps.norm.cdf(0.3 / scale))
    return runs["a"], runs["b"], truth


@pytest.mark.parametrize("metric", ["accuracy", "f1"])
def test_interval_covers_a_planted_effect(metric):
    rng = np.random.default_rng(11)
    metrics = {"t": Accuracy() if metric == "accuracy" else CorpusF1()}
    hits, reps = 0, 120
    for _ in range(reps):
        a, b, truth = _simulate(rng, 200, 3, 0.2, 0.15, metric)
        res = paired_difference(a, b, metrics=metrics, n_resamples=300, rng=int(rng.integers(2**31)))
        hits += res.ci95[0] <= truth <= res.ci95[1]
    # binomial band for 120 draws at 0.95 (flake probability about 1e-4), widened for bootstrap bias
    assert hits / reps >= 0.85

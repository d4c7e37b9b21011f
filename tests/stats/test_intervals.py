"""paired_difference and aggregate_score: exact cases, scipy agreement, invariances."""
import dataclasses

import numpy as np
import pytest
from scipy import stats as sps

from repro.stats import CellOutcomes, aggregate_score, paired_difference


def acc_cells(correct_by_cell, ids_by_cell=None):
    out = {}
    for c, correct in correct_by_cell.items():
        correct = np.asarray(correct, float)
        ids = np.arange(len(correct)) if ids_by_cell is None else ids_by_cell[c]
        out[c] = CellOutcomes(np.asarray(ids), np.column_stack([correct, np.ones_like(correct)]))
    return out


def test_aggregate_is_the_xtreme_functional(acc, qa):
    run = {**acc_cells({("xnli", "en"): [1, 1, 0], ("xnli", "de"): [1, 0]}),
           ("xquad", "en"): CellOutcomes(np.array(["p1", "p2"]), np.array([[1, 1, 1], [0, 0.5, 1]]))}
    xnli = (200 / 3 + 50) / 2  # unweighted language mean, not pooled 3/5
    xquad = (50 + 75) / 2  # mean of EM and F1
    assert aggregate_score(run, metrics={"xnli": acc, "xquad": qa}) == pytest.approx((xnli + xquad) / 2, abs=1e-12)
    assert aggregate_score(run, metrics={"xnli": acc, "xquad": qa}, cells=[("xnli", "de")]) == pytest.approx(50)


def const_runs(values, n=30):
    """Runs whose every unit has the same fractional 'correct': no example variance at all."""
    return [acc_cells({("t", "en"): np.full(n, v)}) for v in values]


def test_no_example_variance_gives_the_welch_variance_and_welchs_df(acc):
    # every unit of a run has the same value v_s: the bootstrap sees nothing, and no unit departs from
    # its seed's shift, so the interaction is 0 and the seed part is Welch's s_a²/S_a + s_b²/S_b
    va, vb = [0.71, 0.74, 0.70, 0.75], [0.69, 0.66, 0.70]
    r = paired_difference(const_runs(va), const_runs(vb), metrics={"t": acc}, n_resamples=100)
    sa2, sb2 = np.var(100 * np.array(va), ddof=1), np.var(100 * np.array(vb), ddof=1)
    assert r.var_examples < 1e-8
    assert (r.seed_var_a, r.seed_var_b) == (pytest.approx(sa2), pytest.approx(sb2))
    assert abs(r.components.interaction_a) < 1e-9 and abs(r.components.interaction_b) < 1e-9
    assert r.var_seeds == pytest.approx(sa2 / 4 + sb2 / 3, rel=1e-9)
    # the df: Satterthwaite with Var(s_c²) = 2 s_c⁴/(S_c − 1); with no interaction nothing is clipped: Welch's df
    welch = sps.ttest_ind(100 * np.array(va), 100 * np.array(vb), equal_var=False).df
    assert r.df == pytest.approx(welch, rel=1e-6)
    h = sps.t.ppf(0.975, r.df) * np.sqrt(r.var_seeds + r.var_examples)
    np.testing.assert_allclose(r.ci95, (r.estimate - h, r.estimate + h), rtol=1e-12)
    assert r.n_seeds_a == 4 and r.n_seeds_b == 3 and r.seed_variance_estimable


def test_per_seed_scores_match_aggregate_score_of_each_run(acc):
    rng = np.random.default_rng(3)
    a = [acc_cells({("t", "en"): rng.integers(0, 2, 40), ("t", "de"): rng.integers(0, 2, 25)}) for _ in range(3)]
    b = [acc_cells({("t", "en"): rng.integers(0, 2, 40), ("t", "de"): rng.integers(0, 2, 25)}) for _ in range(2)]
    r = paired_difference(a, b, metrics={"t": acc}, n_resamples=100)
    np.testing.assert_allclose(r.scores_a, [aggregate_score(x, metrics={"t": acc}) for x in a], rtol=1e-12)
    np.testing.assert_allclose(r.scores_b, [aggregate_score(x, metrics={"t": acc}) for x in b], rtol=1e-12)
    assert r.estimate == pytest.approx(r.scores_a.mean() - r.scores_b.mean(), abs=1e-12)


@pytest.fixture(scope="module", params=[400, 2000])
def one_seed_pair(request):
    # 400 units: uniform draws; 2000: Poisson-table draws with merged identical rows
    rng = np.random.default_rng(11)
    n = request.param
    ca = (rng.random(n) < 0.72).astype(float)
    cb = np.where(rng.random(n) < 0.8, ca, (rng.random(n) < 0.65).astype(float))
    return ca, cb


def test_one_seed_mean_agrees_with_scipy_bootstrap(acc, one_seed_pair):
    ca, cb = one_seed_pair
    b_ = 9999
    r = paired_difference([acc_cells({("t", "en"): ca})], [acc_cells({("t", "en"): cb})], metrics={"t": acc},
                          n_resamples=b_, rng=1)
    assert not r.seed_variance_estimable and np.isnan(r.var_seeds) and r.df == np.inf
    ref = sps.bootstrap((100 * ca, 100 * cb), lambda x, y, axis: np.mean(x - y, axis=axis), paired=True,
                        n_resamples=b_, method="percentile", rng=np.random.default_rng(2), vectorized=True,
                        batch=1000)
    d = 100 * (ca - cb)
    se_ideal = np.sqrt(np.mean((d - d.mean()) ** 2) / len(d))  # exact bootstrap SE of a mean
    # Monte-Carlo SE of a 2.5% quantile of B replicates, for each of the two independent runs
    mc = np.sqrt(0.025 * 0.975 / b_) / sps.norm.pdf(sps.norm.ppf(0.025)) * se_ideal
    tol = 4 * np.sqrt(2) * mc
    np.testing.assert_allclose(r.examples_interval(0.95), ref.confidence_interval, atol=tol)
    np.testing.assert_allclose(r.ci95, ref.confidence_interval, atol=tol + 0.05 * se_ideal)  # + skew allowance
    assert r.var_examples == pytest.approx(se_ideal**2, rel=5 * np.sqrt(2 / b_))
    assert np.sqrt(r.var_examples) == pytest.approx(ref.standard_error, rel=5 * np.sqrt(1 / b_))


def test_swapping_configurations_negates_everything(acc):
    rng = np.random.default_rng(5)
    a = [acc_cells({("t", "en"): rng.integers(0, 2, 60)}) for _ in range(3)]
    b = [acc_cells({("t", "en"): rng.integers(0, 2, 60)}) for _ in range(2)]
    ab = paired_difference(a, b, metrics={"t": acc}, n_resamples=500)
    ba = paired_difference(b, a, metrics={"t": acc}, n_resamples=500)
    assert ba.estimate == pytest.approx(-ab.estimate, abs=1e-12)
    np.testing.assert_allclose(ba.ci95, (-ab.ci95[1], -ab.ci95[0]), atol=1e-9)
    assert ba.var_examples == pytest.approx(ab.var_examples, rel=1e-9)


def test_duplicating_examples_halves_the_example_variance(acc):
    rng = np.random.default_rng(6)
    ca, cb = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    one = paired_difference([acc_cells({("t", "en"): ca})], [acc_cells({("t", "en"): cb})], metrics={"t": acc},
                            n_resamples=4000)
    two = paired_difference([acc_cells({("t", "en"): np.tile(ca, 2)})], [acc_cells({("t", "en"): np.tile(cb, 2)})],
                            metrics={"t": acc}, n_resamples=4000)
    assert two.estimate == pytest.approx(one.estimate, abs=1e-12)
    assert two.var_examples / one.var_examples == pytest.approx(0.5, rel=6 * np.sqrt(4 / 4000))


def test_parallel_languages_share_the_draw(acc):
    # four perfect "translations": the language mean is the single-language score,
    # so its variance must not shrink 4-fold as it would with independent draws
    rng = np.random.default_rng(7)
    ca, cb = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    langs = ("de", "en", "fr", "sw")
    a = [acc_cells({("x", l): ca for l in langs})]
    b = [acc_cells({("x", l): cb for l in langs})]
    par = paired_difference(a, b, metrics={"x": acc}, parallel={"x"}, n_resamples=4000)
    ind = paired_difference(a, b, metrics={"x": acc}, n_resamples=4000)
    single = paired_difference([acc_cells({("x", "en"): ca})], [acc_cells({("x", "en"): cb})], metrics={"x": acc},
                               n_resamples=4000)
    tol = 6 * np.sqrt(2 / 4000)
    assert par.var_examples / single.var_examples == pytest.approx(1, rel=tol)
    assert ind.var_examples / single.var_examples == pytest.approx(0.25, rel=tol)


def test_clusters_are_resampled_whole(acc):
    # clusters of 4 identical questions: resampling paragraphs gives ~4x the variance of questions
    rng = np.random.default_rng(8)
    ca, cb = np.repeat(rng.integers(0, 2, 150), 4), np.repeat(rng.integers(0, 2, 150), 4)
    para = np.repeat(np.arange(150), 4)
    ids = {("q", "en"): para}
    clus = paired_difference([acc_cells({("q", "en"): ca}, ids)], [acc_cells({("q", "en"): cb}, ids)],
                             metrics={"q": acc}, n_resamples=4000)
    flat = paired_difference([acc_cells({("q", "en"): ca})], [acc_cells({("q", "en"): cb})],
                             metrics={"q": acc}, n_resamples=4000)
    assert clus.estimate == pytest.approx(flat.estimate, abs=1e-12)
    assert clus.var_examples / flat.var_examples == pytest.approx(4, rel=6 * np.sqrt(4 / 4000))


def test_assumed_seed_sd_for_a_single_seed(acc):
    a, b = const_runs([0.7]), const_runs([0.6, 0.62, 0.65])
    r = paired_difference(a, b, metrics={"t": acc}, n_resamples=100, seed_sd=2.0)
    assert r.seed_variance_estimable and r.seed_sd_assumed == 2.0
    vb = np.var([60, 62, 65], ddof=1)
    # an assumed SD is taken as it is (no interaction can be estimated from one seed)
    assert r.components.interaction_a == 0 and abs(r.components.interaction_b) < 1e-9
    assert r.var_seeds == pytest.approx(4.0 + vb / 3, rel=1e-9)
    # only the estimated part carries finite degrees of freedom: Satterthwaite with Var(s_b²) = 2 s_b⁴/2
    assert r.df == pytest.approx(r.var_seeds**2 / ((vb / 3) ** 2 / 2), rel=1e-6)
    with pytest.raises(ValueError, match="seed_sd"):
        paired_difference(a, b, metrics={"t": acc}, n_resamples=100, seed_sd=-1)


def test_interval_levels(acc):
    r = paired_difference(const_runs([0.7, 0.8]), const_runs([0.6, 0.65]), metrics={"t": acc}, n_resamples=50)
    assert r.interval(0.5)[0] > r.ci90[0] > r.ci95[0]
    with pytest.raises(ValueError, match="level"):
        r.interval(95)


def test_results_are_frozen_and_options_keyword_only(acc):
    r = paired_difference(const_runs([0.7, 0.8]), const_runs([0.6, 0.65]), metrics={"t": acc}, n_resamples=50)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 0.0
    with pytest.raises(TypeError):
        paired_difference(const_runs([0.7]), const_runs([0.6]), {"t": acc})  # metrics is keyword-only


@pytest.mark.parametrize("n", [300, 3000])
def test_example_variance_of_a_mean_is_the_exact_bootstrap_variance(qa, n):
    # continuous per-question F1: no two rows alike, so nothing is merged at n = 3000
    rng = np.random.default_rng(12)
    f_a, f_b = rng.random(n), rng.random(n) ** 2
    cell = lambda f: {("q", "en"): CellOutcomes(np.arange(n), np.column_stack([f > 0.9, f, np.ones(n)]))}
    r = paired_difference([cell(f_a)], [cell(f_b)], metrics={"q": qa}, n_resamples=4000, rng=3)
    d = 50 * ((f_a > 0.9) + f_a - (f_b > 0.9) - f_b)
    assert r.estimate == pytest.approx(d.mean(), abs=1e-9)
    assert r.var_examples == pytest.approx(np.var(d) / n, rel=5 * np.sqrt(2 / 4000))

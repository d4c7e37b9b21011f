"""Count matrices, seeding and batch invariance (repro.stats.resample)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats as sps

from repro.stats import CellOutcomes, aggregate_score, paired_difference, resample
from repro.stats.data import build_design
from repro.stats.resample import (_distinct_columns, _merged_rows, _poisson_rate, _poisson_table, _uniform_counts,
                                  counts, poisson_counts, replicate_scores, root_seed)


@settings(max_examples=30, deadline=None)
@given(b=st.integers(1, 40), n=st.integers(1, 60), seed=st.integers(0, 2**32 - 1))
def test_full_counts_sum_to_n(b, n, seed):
    c = counts(np.random.default_rng(seed), b, n, n)
    assert c.shape == (b, n) and (c >= 0).all() and (c.sum(axis=1) == n).all()


@settings(max_examples=30, deadline=None)
@given(b=st.integers(1, 40), n=st.integers(1, 60), frac=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_thinned_counts_never_exceed_n(b, n, frac, seed):
    m = int(frac * n)
    c = counts(np.random.default_rng(seed), b, n, m)
    assert c.shape == (b, m) and (c.sum(axis=1) <= n).all()


def test_thinned_counts_have_multinomial_moments():
    # kept units of a Multinomial(n, 1/n): mean 1, variance 1 - 1/n, covariance -1/n
    n, m, b = 20, 5, 40000
    c = counts(np.random.default_rng(1), b, n, m).astype(float)
    mc_se = np.sqrt(2 / b)  # variance of a count is ~1; SE of its estimate ~ sqrt(2/b)
    np.testing.assert_allclose(c.mean(axis=0), 1, atol=5 * np.sqrt(1 / b))
    np.testing.assert_allclose(c.var(axis=0), 1 - 1 / n, atol=5 * mc_se)
    np.testing.assert_allclose(np.cov(c.T)[0, 1:], -1 / n, atol=5 * np.sqrt(1 / b))
    # the total on the kept units is Binomial(n, m/n)
    total = c.sum(axis=1)
    assert abs(total.mean() - m) < 5 * np.sqrt(m * (1 - m / n) / b)
    assert abs(total.var() / (m * (1 - m / n)) - 1) < 5 * np.sqrt(2 / b)


def _runs(rng, n_seeds, n=120):
    return [{("t", l): CellOutcomes(np.arange(n), np.column_stack([rng.integers(0, 2, n), np.ones(n)]))
             for l in ("de", "en")} for _ in range(n_seeds)]


@pytest.mark.parametrize("batch", [1, 250, 600, 5000])
def test_replicates_do_not_depend_on_batch(acc, batch):
    rng = np.random.default_rng(0)
    a, b = _runs(rng, 2), _runs(rng, 3)
    ref = paired_difference(a, b, metrics={"t": acc}, n_resamples=1001, rng=7, batch=1000)
    got = paired_difference(a, b, metrics={"t": acc}, n_resamples=1001, rng=7, batch=batch)
    np.testing.assert_array_equal(got.replicates, ref.replicates)
    assert got.ci95 == ref.ci95


def test_seed_forms_and_prefix_property(acc):
    rng = np.random.default_rng(0)
    a, b = _runs(rng, 2), _runs(rng, 2)
    r1 = paired_difference(a, b, metrics={"t": acc}, n_resamples=500, rng=3)
    r2 = paired_difference(a, b, metrics={"t": acc}, n_resamples=500, rng=np.random.SeedSequence(3))
    r3 = paired_difference(a, b, metrics={"t": acc}, n_resamples=800, rng=3)
    r4 = paired_difference(a, b, metrics={"t": acc}, n_resamples=500, rng=4)
    np.testing.assert_array_equal(r1.replicates, r2.replicates)
    np.testing.assert_array_equal(r1.replicates, r3.replicates[:500])  # more resamples extend the stream
    assert not np.array_equal(r1.replicates, r4.replicates)
    with pytest.raises(TypeError, match="rng must be"):
        root_seed("seven")


# ---- the Poisson-table sampler for large groups (poisson_counts) ----

def test_poisson_table_is_the_poisson_law_to_2_pow_minus_32():
    for rate in {_poisson_rate(n, n) for n in (512, 1000, 5000, 100000)} | {_poisson_rate(400000, 70000)}:
        table, thresholds = _poisson_table(rate)
        pmf = np.diff(np.concatenate([[0], thresholds.astype(float)])) / 2.0**32
        np.testing.assert_allclose(pmf, sps.poisson.pmf(np.arange(len(pmf)), rate), rtol=0, atol=2.0**-32)
        # every unambiguous bin holds the count of both of its ends; few bins are ambiguous
        lo = np.arange(2**16, dtype=np.uint64) << np.uint64(16)
        ends = [np.searchsorted(thresholds, x, side="right") for x in (lo, lo + np.uint64(2**16 - 1))]
        sure = table >= 0
        assert (table[sure] == ends[0][sure]).all() and (table[sure] == ends[1][sure]).all()
        assert (ends[0][~sure] != ends[1][~sure]).all() and (~sure).sum() < len(thresholds)


def test_large_groups_use_the_poisson_sampler():
    assert _poisson_rate(300, 300) is None and _poisson_rate(10000, 10000) is not None
    assert _poisson_rate(400000, 70000) is not None


@pytest.mark.parametrize("n, m", [(2000, 2000), (8000, 1000)])
def test_poisson_counts_are_multinomial(n, m):
    b = 4000
    c = counts(np.random.default_rng(2), b, n, m)
    assert c.dtype == np.float32 and (c == np.round(c)).all() and (c >= 0).all()
    total = c.sum(axis=1)
    if m == n:
        assert (total == n).all()
    else:  # Binomial(n, m/n) on the kept units
        assert abs(total.mean() - m) < 5 * np.sqrt(m * (1 - m / n) / b)
        assert abs(total.var() / (m * (1 - m / n)) - 1) < 5 * np.sqrt(2 / b)
    # one unit's count is Binomial(n, 1/n): chi-square over 0..5 and the rest, pooled over units
    x = c[:, :100].astype(int).ravel()
    obs = np.bincount(np.minimum(x, 6), minlength=7)
    p = sps.binom.pmf(np.arange(6), n, 1 / n)
    exp = len(x) * np.append(p, 1 - p.sum())
    # units of one row are weakly dependent (covariance -1/n); the statistic stays near chi2(6)
    assert sps.chi2.sf(((obs - exp) ** 2 / exp).sum(), 6) > 1e-4
    # two units: covariance -1/n
    cov = np.mean([np.cov(c[:, 2 * j], c[:, 2 * j + 1])[0, 1] for j in range(50)])
    assert abs(cov + 1 / n) < 5 * np.sqrt(1 / (50 * b))


def test_poisson_counts_match_uniform_counts_on_a_skewed_statistic():
    # the distribution of a weighted sum is the same from both samplers (two-sample KS)
    n, b = 1500, 6000
    x = np.random.default_rng(0).exponential(size=n) ** 2
    fast = counts(np.random.default_rng(3), b, n, n) @ x
    plain = _uniform_counts(np.random.default_rng(4), np.full(b, n), n) @ x
    assert sps.ks_2samp(fast, plain).pvalue > 1e-3
    assert fast.var() / plain.var() == pytest.approx(1, abs=6 * np.sqrt(2 / b))


def test_overshooting_rows_are_redrawn_exactly():
    # rate 1 makes the Poisson sum overshoot the total in about half the rows
    n, b = 600, 3000
    c = poisson_counts(np.random.default_rng(5), np.full(b, n), n, 1.0)
    assert (c.sum(axis=1) == n).all()
    np.testing.assert_allclose(c.var(axis=0).mean(), 1 - 1 / n, rtol=5 * np.sqrt(2 / (b * n)) * 10)


@pytest.mark.parametrize("n, m, merged", [(3000, 3000, [100, 300, 500]), (300, 300, [10, 20, 50]),
                                          (5000, 2000, [100, 300, 500])])
def test_merged_columns_count_their_units(n, m, merged):
    # column j stands for weights[j] units: Multinomial(n, weights/n) over columns
    single = m - sum(merged)
    weights = np.array([1] * single + merged)
    b = 4000
    c = counts(np.random.default_rng(6), b, n, m, weights)
    assert c.shape == (b, len(weights))
    if m == n:
        assert (c.sum(axis=1) == n).all()
    p = np.array(merged) / n
    mean, var = c[:, single:].mean(axis=0), c[:, single:].var(axis=0)
    assert (abs(mean - n * p) < 5 * np.sqrt(n * p * (1 - p) / b)).all()
    assert (abs(var / (n * p * (1 - p)) - 1) < 5 * np.sqrt(2 / b)).all()
    assert abs(c[:, :single].mean() - 1) < 5 / np.sqrt(b * single)
    with pytest.raises(ValueError, match="ones first"):
        counts(np.random.default_rng(0), 2, n, m, weights[::-1])


def test_merged_rows_and_columns_keep_the_statistics():
    rng = np.random.default_rng(8)
    stats = np.column_stack([rng.integers(0, 2, 3000), np.ones(3000), rng.integers(0, 2, 3000), np.ones(3000)])
    stats[:100] = rng.random((100, 4))  # distinct rows stay as units
    rows, weights = _merged_rows(stats)
    assert len(rows) == 104 and weights[:100].tolist() == [1] * 100 and weights.sum() == 3000
    np.testing.assert_allclose((weights[:, None] * rows).sum(axis=0), stats.sum(axis=0))
    first, inverse = _distinct_columns(stats[100:])
    assert len(first) == 3 and (stats[100:][:, first][:, inverse] == stats[100:]).all()


def test_any_split_of_blocks_between_workers_gives_the_same_replicates(acc):
    rng = np.random.default_rng(1)
    a, b = _runs(rng, 2, n=700), _runs(rng, 2, n=700)  # 700 units: the Poisson-table sampler
    design = build_design({"a": a, "b": b}, metrics={"t": acc})
    root = np.random.SeedSequence(9)
    full = replicate_scores(design, 1100, root)  # blocks 0-4, the last one short
    split = np.concatenate([replicate_scores(design, 1100, root, blocks=range(0, 2)),
                            replicate_scores(design, 1100, root, blocks=range(2, 3), batch=1),
                            replicate_scores(design, 1100, root, blocks=range(3, 5))])
    np.testing.assert_array_equal(split, full)
    with pytest.raises(ValueError, match="contiguous range"):
        replicate_scores(design, 1100, root, blocks=range(3, 7))


def test_one_draw_serves_every_configuration_and_seed(acc):
    # identical runs in both configurations: every replicate difference is exactly zero
    rng = np.random.default_rng(2)
    runs = _runs(rng, 3, n=900)
    r = paired_difference(runs, list(runs), metrics={"t": acc}, n_resamples=600)
    assert r.var_examples == 0 and (r.replicates == 0).all()
    # and every seed of one configuration sees the same draw: equal seeds give equal replicates
    design = build_design({"a": [runs[0], runs[0]]}, metrics={"t": acc})
    reps = replicate_scores(design, 300, np.random.SeedSequence(1))
    np.testing.assert_array_equal(reps[:, 0], reps[:, 1])


def test_a_replicate_is_the_xtreme_score_of_the_reweighted_data(acc, qa, monkeypatch):
    # fix the counts, then compare each replicate with aggregate_score on data whose units carry them
    rng = np.random.default_rng(3)
    n_q, n_x = 40, 30
    w_q, w_x = rng.integers(0, 4, n_q).astype(np.float32), rng.integers(0, 4, n_x).astype(np.float32)
    fixed = {n_q: w_q, n_x: w_x}
    monkeypatch.setattr(resample, "MERGE_MIN", 10**9)
    monkeypatch.setattr(resample.Sampler, "draw", lambda self, gen, b: np.tile(fixed[self.n], (b, 1)))

    def run():
        q = {("xquad", l): CellOutcomes(np.arange(n_q), np.column_stack([rng.integers(0, 2, n_q), rng.random(n_q),
                                                                          np.ones(n_q)])) for l in ("de", "en")}
        x = {("xnli", l): CellOutcomes(np.arange(n_x), np.column_stack([rng.integers(0, 2, n_x), np.ones(n_x)]))
             for l in ("de", "en", "fr")}
        return q | x

    runs = [run() for _ in range(3)]
    metrics = {"xquad": qa, "xnli": acc}
    design = build_design({"a": runs}, metrics=metrics, parallel={"xquad"})
    reps = replicate_scores(design, 5, np.random.SeedSequence(0))
    for r, cells in enumerate(runs):
        weighted = {c: CellOutcomes(co.units, co.stats * fixed[len(co.units)][:, None]) for c, co in cells.items()}
        assert reps[:, r] == pytest.approx(aggregate_score(weighted, metrics=metrics), rel=1e-6)

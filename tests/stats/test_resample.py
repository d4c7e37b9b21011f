"""Count matrices, seeding and batch invariance (repro.stats.resample)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats as sps

from repro.stats import CellOutcomes, paired_difference
from repro.stats.resample import counts, root_seed


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

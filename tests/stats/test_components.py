"""Variance components (repro.stats.components): closed forms, known truths, planning, best-of."""
import numpy as np
import pytest
from scipy import integrate
from scipy import stats as sps

from repro.stats import CellOutcomes, compare_with_best, paired_difference, seeds_needed
from repro.stats.components import clipped_gamma_var, estimate, influence, satterthwaite, score_gradient
from repro.stats.data import build_design
from repro.stats.verdicts import improves_rule


def acc_run(values_by_cell):
    return {c: CellOutcomes(np.arange(len(v)), np.column_stack([v, np.ones(len(v))]))
            for c, v in values_by_cell.items()}


@pytest.mark.parametrize("estimated, var, c", [(1.0, 1.0, 1.0), (3.0, 4.5, 0.5), (2.0, 0.5, 2.6), (0.4, 1.0, 0.1),
                                               (5.0, 2.0, 0.0), (5.0, 2.0, -1.0)])
def test_clipped_gamma_var_is_the_variance_of_the_positive_part(estimated, var, c):
    # Y a gamma with the given mean and variance (scipy's parametrisation), X = Y − c clipped at 0
    y = sps.gamma(estimated**2 / var, scale=var / estimated)
    lo = max(c, 0.0)
    m1 = integrate.quad(lambda t: (t - c) * y.pdf(t), lo, np.inf)[0]
    m2 = integrate.quad(lambda t: (t - c) ** 2 * y.pdf(t), lo, np.inf)[0]
    assert clipped_gamma_var(estimated - c, estimated, var) == pytest.approx(m2 - m1**2, rel=1e-6, abs=1e-12)
    assert clipped_gamma_var(estimated - c, estimated, 0.0) == 0.0


def test_satterthwaite_is_welch_for_two_sample_variances():
    x, y = np.array([3.1, 2.7, 3.9, 3.3]), np.array([2.2, 2.9, 2.0])
    va, vb = np.var(x, ddof=1) / 4, np.var(y, ddof=1) / 3
    assert satterthwaite(va + vb, [(va, 3), (vb, 2)]) == pytest.approx(
        sps.ttest_ind(x, y, equal_var=False).df, rel=1e-12)
    assert satterthwaite(1.0, [(1.0, np.inf)]) == np.inf


def test_f1_gradient_is_the_analytic_one(f1):
    sums = np.array([[40.0, 55.0, 60.0], [7.0, 9.0, 20.0]])
    tp, pred, gold = sums.T
    analytic = np.column_stack([200 / (pred + gold), -200 * tp / (pred + gold) ** 2, -200 * tp / (pred + gold) ** 2])
    np.testing.assert_allclose(score_gradient(f1, sums), analytic, rtol=1e-7)


def test_interaction_of_accuracy_is_the_closed_form_sum_of_across_seed_variances(acc):
    # two tasks, one parallel over two languages: unit i's influence on the aggregate is
    # Σ_l (1 / (tasks · langs)) · 100 x_il / n_l (the count column is the same in every seed and drops out);
    # the interaction is the two-way (units x seeds) residual sum of squares, scaled to Σ_i Var_s(e_si)
    rng = np.random.default_rng(1)
    a = [{**acc_run({("x", "en"): rng.integers(0, 2, 40), ("x", "de"): rng.integers(0, 2, 40)}),
          **acc_run({("p", "en"): rng.integers(0, 2, 25)})} for _ in range(3)]
    b = [{**acc_run({("x", "en"): rng.integers(0, 2, 40), ("x", "de"): rng.integers(0, 2, 40)}),
          **acc_run({("p", "en"): rng.integers(0, 2, 25)})} for _ in range(2)]
    design = build_design({"a": a, "b": b}, metrics={"x": acc, "p": acc}, parallel={"x"})
    comp = estimate(design, 1.0, 5.0, 4.0)
    for runs, got in ((a, comp.interaction_a), (b, comp.interaction_b)):
        x = np.array([(r["x", "en"].stats[:, 0] + r["x", "de"].stats[:, 0]) * 100 / (2 * 2 * 40) for r in runs])
        p = np.array([r["p", "en"].stats[:, 0] * 100 / (2 * 25) for r in runs])
        want = 0.0
        for t in (x, p):  # (S, n) per task
            resid = t - t.mean(axis=0) - t.mean(axis=1, keepdims=True) + t.mean()
            s_, n_ = t.shape
            want += np.sum(resid**2) * n_ / ((s_ - 1) * (n_ - 1))
        assert got == pytest.approx(want, rel=1e-7)


def test_influence_linearises_the_corpus_f1_aggregate(f1):
    # removing one sentence changes a run's aggregate by minus its influence, to first order in 1/n
    rng = np.random.default_rng(2)
    n = 4000
    gold = 1 + rng.poisson(1.0, n)
    tp = rng.binomial(gold, 0.7)
    stats = np.column_stack([tp, tp + rng.poisson(0.3, n), gold]).astype(float)
    design = build_design({"a": [{("t", "en"): CellOutcomes(np.arange(n), stats)}]}, metrics={"t": f1})
    (d, _), = influence(design)
    full = f1.score(stats.sum(0))
    for i in (0, 17, 999):
        drop = f1.score(stats.sum(0) - stats[i]) - full
        assert drop == pytest.approx(-d[i, 0], abs=1e-3 * abs(d[i, 0]) + 1e-6)


def test_seed_effect_and_interaction_are_recovered_without_bias(qa):
    # per-question scores a_i + u_s + e_si (QA: the score is a mean of them): known σ_u and σ_e
    rng = np.random.default_rng(3)
    n, s, reps, su, se = 200, 4, 3000, 0.02, 0.1
    got = []
    for _ in range(reps):
        x = 0.5 + rng.normal(0, 0.1, n) + rng.normal(0, su, (s, 1)) + rng.normal(0, se, (s, n))
        runs = [{("q", "en"): CellOutcomes(np.arange(n), np.column_stack([row, row, np.ones(n)]))} for row in x]
        design = build_design({"a": runs, "b": runs[:2]}, metrics={"q": qa})
        seed = np.var([qa.score(r["q", "en"].stats.sum(0)) for r in runs], ddof=1)
        comp = estimate(design, 0.0, seed, seed)
        got.append((comp.seed_a - comp.interaction_a, comp.interaction_a))
    got = np.array(got)
    truth = (100**2 * su**2, 100**2 * se**2 / n)  # σ²_u and I on the 0-100 scale
    mc = got.std(axis=0, ddof=1) / np.sqrt(reps)
    np.testing.assert_array_less(np.abs(got.mean(axis=0) - truth), 4 * mc)


def test_planning_keeps_the_observed_components_and_shrinks_both_seed_parts(acc):
    rng = np.random.default_rng(4)
    runs = lambda p, s: [acc_run({("t", "en"): (rng.random(500) < p + rng.normal(0, 0.02)).astype(float)})
                         for _ in range(s)]
    r = paired_difference(runs(0.7, 3), runs(0.65, 3), metrics={"t": acc}, n_resamples=2000)
    c = r.components
    assert c.at() == (pytest.approx(r.var_examples), pytest.approx(r.var_seeds), pytest.approx(r.df))
    v_ex, v_seed, _ = c.at(12, 12)
    assert v_ex == pytest.approx(r.var_examples - (c.interaction_a + c.interaction_b) * (1 / 3 - 1 / 12))
    assert v_seed == pytest.approx(max(c.seed_a - c.interaction_a + c.seed_b - c.interaction_b, 0) / 12)
    need = seeds_needed(r, lambda *x: improves_rule(*x, threshold=r.estimate / 2))
    assert need is None or need >= 2


def test_best_shrinks_each_seed_deviation_to_its_seed_effect(acc):
    from repro.stats.best import seed_shrink
    rng = np.random.default_rng(5)
    make = lambda p, s: [acc_run({("t", "en"): (rng.random(800) < p + rng.normal(0, 0.03)).astype(float)})
                         for _ in range(s)]
    configs = {"A": make(0.75, 4), "B": make(0.7, 4), "C": make(0.6, 4)}
    best = compare_with_best(configs, "A", metrics={"t": acc}, n_resamples=2000)
    shrink = seed_shrink(best.pairwise, "A")
    for other in ("B", "C"):
        c = best.pairwise[other].components
        assert shrink[other] == pytest.approx(np.sqrt(max(c.seed_b - c.interaction_b, 0) / c.seed_b))
        assert shrink["A"] == pytest.approx(np.sqrt(max(c.seed_a - c.interaction_a, 0) / c.seed_a))


def test_the_report_names_the_estimator():
    from repro.report.build import provenance
    from repro.report.content import provenance_blocks
    from repro.stats import ESTIMATOR
    prov = provenance([], [], {})
    assert prov["interval_estimator"] == ESTIMATOR and "interaction" in ESTIMATOR
    (_, items), = provenance_blocks(prov)
    assert f"Intervals: {ESTIMATOR}" in items


def test_df_never_falls_below_the_smallest_part_when_the_seed_part_is_clipped():
    # Seen on the rehearsal profile: two configurations whose same-seed runs predict alike give a tiny
    # example variance of the difference beside large between-seed variances that the interaction
    # more than explains; the clipped seed part's spread then drove Satterthwaite's df to ~1e-8 and
    # the 95% interval to +-1e148.  The df is bounded below by min(df_examples, S - 1).
    from repro.stats.components import VarianceComponents
    comp = VarianceComponents(var_examples=5.77e-5, df_examples=29.4, n_seeds_a=3, n_seeds_b=3,
                              seed_a=1.457, seed_b=1.469, interaction_a=5.187, interaction_b=5.187,
                              df_interaction_a=109.5, df_interaction_b=109.6)
    v_ex, v_seed, df = comp.at()
    assert v_seed == 0 and v_ex == pytest.approx(5.77e-5)
    assert df == pytest.approx(2.0)
    # where the parts are balanced the floor does not bind
    balanced = VarianceComponents(var_examples=1.0, df_examples=50.0, n_seeds_a=5, n_seeds_b=5, seed_a=3.0,
                                  seed_b=3.0, interaction_a=0.5, interaction_b=0.5,
                                  df_interaction_a=200.0, df_interaction_b=200.0)
    assert balanced.at()[2] > 4

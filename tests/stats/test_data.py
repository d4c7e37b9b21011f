"""Validation and alignment of inputs (repro.stats.data)."""
import numpy as np
import pytest

from repro.stats import CellOutcomes, aggregate_score, paired_difference
from repro.stats.data import build_design


def run(cells):
    return {c: CellOutcomes(np.asarray(u), np.asarray(s, float)) for c, (u, s) in cells.items()}


def acc_run(correct, ids=None, cell=("xnli", "en")):
    correct = np.asarray(correct, float)
    ids = np.arange(len(correct)) if ids is None else ids
    return {cell: CellOutcomes(np.asarray(ids), np.column_stack([correct, np.ones_like(correct)]))}


@pytest.mark.parametrize("units, stats, msg", [
    (np.zeros((2, 2)), np.zeros((2, 1)), "1-D"),
    (np.arange(3), np.zeros((2, 1)), "3 unit ids for 2 rows"),
    (np.arange(0), np.zeros((0, 1)), "at least one unit"),
    (np.arange(2), np.array([[1.0], [np.nan]]), "finite"),
    (np.array([0.5, 1.5]), np.zeros((2, 1)), "integers or strings"),
    (np.arange(2), np.zeros((2, 2, 2)), "2-D"),
])
def test_cell_checks_name_the_problem(units, stats, msg):
    with pytest.raises(ValueError, match=msg):
        CellOutcomes(units, stats)


def test_rows_in_another_order_are_aligned_by_id(acc):
    rng = np.random.default_rng(0)
    a = [acc_run(rng.integers(0, 2, 50)) for _ in range(2)]
    b = [acc_run(rng.integers(0, 2, 50)) for _ in range(2)]
    perm = rng.permutation(50)
    b_perm = [{c: CellOutcomes(co.units[perm], co.stats[perm]) for c, co in r.items()} for r in b]
    r1 = paired_difference(a, b, metrics={"xnli": acc}, n_resamples=200)
    r2 = paired_difference(a, b_perm, metrics={"xnli": acc}, n_resamples=200)
    assert r1.estimate == r2.estimate
    np.testing.assert_allclose(r1.replicates, r2.replicates, rtol=0, atol=1e-9)


def test_mismatched_ids_are_reported_with_cell_and_seed(acc):
    a = [acc_run([1, 0, 1])]
    b = [acc_run([1, 1, 1]), acc_run([1, 1, 1], ids=[0, 1, 7])]
    with pytest.raises(ValueError, match=r"cell \('xnli', 'en'\): configuration 'b' seed 1 .*1 missing.*\[2\].*\[7\]"):
        paired_difference(a, b, metrics={"xnli": acc}, n_resamples=10)


def test_cluster_sizes_must_match(acc):
    a = [acc_run([1, 0, 1], ids=[0, 0, 1])]
    b = [acc_run([1, 1, 1], ids=[0, 1, 1])]
    with pytest.raises(ValueError, match="different number of rows"):
        paired_difference(a, b, metrics={"xnli": acc}, n_resamples=10)


def test_missing_cell_metric_and_bad_containers(acc):
    a = [acc_run([1, 0])]
    other = [acc_run([1, 0], cell=("xnli", "de"))]
    with pytest.raises(ValueError, match="lacks cells"):
        paired_difference(a, other, metrics={"xnli": acc}, n_resamples=10)
    with pytest.raises(ValueError, match="no metric for tasks"):
        paired_difference(a, a, metrics={}, n_resamples=10)
    with pytest.raises(ValueError, match="non-empty sequence of runs"):
        paired_difference(a[0], a, metrics={"xnli": acc}, n_resamples=10)
    with pytest.raises(ValueError, match="non-empty sequence"):
        paired_difference([], a, metrics={"xnli": acc}, n_resamples=10)
    with pytest.raises(ValueError, match="expected CellOutcomes"):
        paired_difference([{("xnli", "en"): (1, 2)}], a, metrics={"xnli": acc}, n_resamples=10)
    with pytest.raises(ValueError, match="n_resamples"):
        paired_difference(a, a, metrics={"xnli": acc}, n_resamples=1)
    with pytest.raises(ValueError, match="lacks cells"):
        aggregate_score(a[0], metrics={"xnli": acc}, cells=[("xnli", "fr")])


def test_parallel_ids_of_one_type(acc):
    r = {**acc_run([1, 0], cell=("x", "en")), **acc_run([1, 0], ids=np.array(["a", "b"]), cell=("x", "de"))}
    with pytest.raises(ValueError, match="mixes integer and string"):
        build_design({"a": [r]}, metrics={"x": acc}, parallel={"x"})


def test_parallel_group_is_the_union_of_ids(acc):
    r = {**acc_run([1, 0, 1], ids=[0, 1, 2], cell=("x", "en")), **acc_run([1, 1], ids=[1, 3], cell=("x", "de"))}
    d = build_design({"a": [r]}, metrics={"x": acc}, parallel={"x"})
    (g,) = d.groups
    assert g.n == 4 and g.langs == ("de", "en") and g.stats.shape == (4, 2, 1, 2)
    # unit 3 exists only in German: its English row is zero
    np.testing.assert_array_equal(g.stats[3, 1, 0], [0, 0])


def test_clusters_are_summed_per_unit(acc):
    d = build_design({"a": [acc_run([1, 0, 1, 1], ids=["p1", "p1", "p2", "p1"])]}, metrics={"xnli": acc})
    np.testing.assert_array_equal(d.groups[0].stats[:, 0, 0], [[2, 3], [1, 1]])


def test_all_zero_rows_are_dropped_but_counted(f1):
    stats = np.array([[1, 1, 1], [0, 0, 0], [0, 1, 0], [0, 0, 0]], float)
    d = build_design({"a": [{("bucc", "de"): CellOutcomes(np.arange(4), stats)}]}, metrics={"bucc": f1})
    assert d.groups[0].n == 4 and len(d.groups[0].stats) == 2

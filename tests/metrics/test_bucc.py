"""BUCC set F1 over (source id, English id) pairs."""
import numpy as np
import pytest

from repro.metrics import BuccF1

METRIC = BuccF1()


def test_hand_computed():
    pred = [("de-1", "en-1"), ("de-2", "en-2"), ("de-3", "en-3")]
    gold = [("de-1", "en-1"), ("de-2", "en-3"), ("de-4", "en-4")]
    values = METRIC.compute(predictions=pred, references=gold)
    assert values == pytest.approx({"f1": 100 / 3, "precision": 100 / 3, "recall": 100 / 3})
    # one row per source id, sorted: de-1 .. de-4
    np.testing.assert_array_equal(
        METRIC.unit_stats(predictions=pred, references=gold), [[1, 1, 1], [0, 1, 1], [0, 1, 0], [0, 0, 1]]
    )


def test_unequal_precision_and_recall():
    pred = [("a", "1"), ("a", "2"), ("b", "3"), ("b", "3")]  # duplicates collapse: 3 distinct pairs
    gold = [("a", "1"), ("b", "3")]
    values = METRIC.compute(predictions=pred, references=gold)
    assert values["precision"] == pytest.approx(200 / 3)
    assert values["recall"] == pytest.approx(100.0)
    assert values["f1"] == pytest.approx(80.0)


@pytest.mark.parametrize(
    ("pred", "gold"),
    [([], []), ([], [("a", "1")]), ([("a", "1")], []), ([("a", "2")], [("a", "1")])],
)
def test_nothing_correct_scores_zero(pred, gold):
    assert METRIC.compute(predictions=pred, references=gold) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}

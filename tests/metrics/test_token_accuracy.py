"""Token accuracy (CCG supertagging): words tagged right over all words, per sentence."""
import numpy as np
import pytest

from repro.metrics import TokenAccuracy

METRIC = TokenAccuracy()


def test_hand_computed():
    pred = [["NP", "S[dcl]\\NP", "N"], ["conj"], ["N/N", "N"]]
    gold = [["NP", "(S[dcl]\\NP)/NP", "N"], ["conj"], ["NP[nb]/N", "NP"]]
    np.testing.assert_array_equal(METRIC.unit_stats(predictions=pred, references=gold), [[2, 3], [1, 1], [0, 2]])
    assert METRIC.compute(predictions=pred, references=gold) == pytest.approx({"accuracy": 100 * 3 / 6})


def test_every_word_needs_one_tag():
    with pytest.raises(ValueError, match="sentence 1: 1 predicted tags for 2 words"):
        METRIC.compute(predictions=[["N"], ["N"]], references=[["N"], ["N", "NP"]])


def test_empty_scores_zero():
    assert METRIC.compute(predictions=[], references=[]) == {"accuracy": 0.0}

"""SQuAD v1.1 and MLQA exact match / F1: normalisation and closed-form scores."""
import numpy as np
import pytest

from repro.metrics import MlqaEmF1, SquadEmF1
from repro.metrics.qa import mlqa_normalize, squad_normalize, token_f1

SQUAD, MLQA = SquadEmF1(), MlqaEmF1()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The  Cat's, a hat!", "cats hat"),
        ("An apple\tthe END.", "apple end"),
        ("theory", "theory"),  # articles only as whole words
        ("«Grand» café", "«grand» café"),  # only ASCII punctuation goes
        ("北京，大学", "北京，大学"),  # no segmentation
    ],
)
def test_squad_normalize(text, expected):
    assert squad_normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("The cat's hat", "en", "cats hat"),
        ("«El gato» y la casa", "es", "gato y casa"),
        ("Der Hund, den ich sah", "de", "hund ich sah"),
        ("cái bàn của tôi", "vi", "bàn tôi"),
        ("الكتاب", "ar", "كتاب"),
        ("بالقلم", "ar", "ب قلم"),  # every "ال" goes, even inside a word
        ("the cat।", "hi", "the cat"),  # no Hindi articles; Unicode punctuation removed
        ("北京大学abc def，", "zh", "北 京 大 学 abc def"),
    ],
)
def test_mlqa_normalize(text, lang, expected):
    assert mlqa_normalize(text, lang) == expected


def test_token_f1():
    assert token_f1("a b c", "b c d") == pytest.approx(2 / 3)
    assert token_f1("a a b", "a b b") == pytest.approx(2 / 3)  # bag overlap counts multiplicity
    assert token_f1("", "a") == 0.0
    assert token_f1("", "") == 0.0  # v1.1: no shared token, F1 0 (EM is still 1)


def test_squad_hand_computed():
    preds = ["the cat", "x b c", None, "the"]
    golds = [["Cat!"], ["x", "b c d"], ["anything"], ["an"]]  # best of "x" (F1 1/2) and "b c d" (2/3)
    values = SQUAD.compute(predictions=preds, references=golds)
    # EM: 1, 0, 0 (unanswered), 1 (both normalise to ""); F1: 1, 2/3, 0, 0
    assert values["exact_match"] == pytest.approx(50.0)
    assert values["f1"] == pytest.approx(100 * (1 + 2 / 3) / 4)
    stats = SQUAD.unit_stats(predictions=preds, references=golds)
    np.testing.assert_allclose(stats, [[1, 1, 1], [2 / 3, 0, 1], [0, 0, 1], [0, 1, 1]])
    assert float(SQUAD.score(stats.sum(0))) == pytest.approx((values["exact_match"] + values["f1"]) / 2)


def test_squad_does_not_segment_chinese_but_mlqa_does():
    pred, gold = ["北京"], [["北京大学"]]
    assert SQUAD.compute(predictions=pred, references=gold)["f1"] == 0.0
    assert MLQA.compute(predictions=pred, references=gold, lang="zh")["f1"] == pytest.approx(200 / 3)


def test_mlqa_language_changes_the_score():
    pred, gold = ["la casa"], [["casa"]]
    assert MLQA.compute(predictions=pred, references=gold, lang="es")["exact_match"] == 100.0
    assert MLQA.compute(predictions=pred, references=gold, lang="hi")["exact_match"] == 0.0


@pytest.mark.parametrize("lang", ["fr", None])
def test_mlqa_unknown_language_is_an_error(lang):
    with pytest.raises(ValueError, match="ar, de, en, es, hi, vi, zh"):
        MLQA.compute(predictions=["a"], references=[["a"]], lang=lang)


def test_empty_and_invalid_inputs():
    assert SQUAD.compute(predictions=[], references=[]) == {"exact_match": 0.0, "f1": 0.0}
    with pytest.raises(ValueError, match="question 0"):
        SQUAD.unit_stats(predictions=["a"], references=[[]])
    with pytest.raises(ValueError, match="1 predictions for 2 references"):
        SQUAD.unit_stats(predictions=["a"], references=[["a"], ["b"]])

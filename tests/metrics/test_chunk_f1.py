"""Chunk F1 with seqeval 0.0.12 semantics: closed-form cases, sentence flattening, seqeval 1.x cross-check."""
import importlib.util
import random

import numpy as np
import pytest

from repro.metrics import ChunkF1
from repro.metrics.chunk_f1 import chunks, flatten, separable

METRIC = ChunkF1()
UPOS = "ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X".split()


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 1), ("LOC", 3, 3)]),
        (["I-PER", "I-PER", "O"], [("PER", 0, 1)]),  # improper: I- opens a chunk
        (["O", "I-LOC"], [("LOC", 1, 1)]),
        (["B-PER", "I-LOC"], [("PER", 0, 0), ("LOC", 1, 1)]),  # type change splits
        (["B-PER", "B-PER"], [("PER", 0, 0), ("PER", 1, 1)]),
        (["NOUN", "NOUN", "VERB"], [("NOUN", 0, 1), ("VERB", 2, 2)]),  # bare tags: runs merge
        (["X", "X", "NOUN"], [("X", 0, 1), ("NOUN", 2, 2)]),  # 1.x would type X as '_'
        (["SCONJ", "SCONJ"], [("SCONJ", 0, 0), ("SCONJ", 1, 1)]),  # prefix S: singletons
        (["INTJ", "INTJ"], [("INTJ", 0, 1)]),  # prefix I: continues
        (["NOUN", ".", "NOUN"], [("NOUN", 0, 0), ("NOUN", 2, 2)]),  # '.' never in a chunk
        (["O", "O"], []),
        ([], []),
    ],
)
def test_chunks(tags, expected):
    assert chunks(tags) == expected


def test_bare_pos_runs_score_zero():
    values = METRIC.compute(predictions=[["NOUN", "VERB", "VERB"]], references=[["NOUN", "NOUN", "VERB"]])
    assert values == {"f1": 0.0, "precision": 0.0, "recall": 0.0}


def test_hand_computed_corpus():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["O"]]  # tp 1, 2 predicted, 3 gold
    values = METRIC.compute(predictions=pred, references=gold)
    assert values["precision"] == pytest.approx(50.0)
    assert values["recall"] == pytest.approx(100 / 3)
    assert values["f1"] == pytest.approx(40.0)
    np.testing.assert_array_equal(METRIC.unit_stats(predictions=pred, references=gold), [[1, 2, 2], [0, 0, 1]])


@pytest.mark.parametrize(
    ("pred", "gold"),
    [
        ([], []),  # no sentences
        ([["O", "O"]], [["O", "O"]]),  # no chunks anywhere
        ([["B-PER"]], [["O"]]),  # predicted chunks, no gold: P = R = 0
        ([["O"]], [["B-PER"]]),  # gold chunks, none predicted
    ],
)
def test_zero_denominators_give_zero(pred, gold):
    assert METRIC.compute(predictions=pred, references=gold) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}


def test_token_count_mismatch_names_sentence_and_counts():
    with pytest.raises(ValueError, match=r"sentence 1: 1 predicted tags for 2 reference tokens"):
        METRIC.unit_stats(predictions=[["O"], ["O"]], references=[["O"], ["O", "O"]])
    with pytest.raises(ValueError, match="sentence 1"):
        METRIC.compute(predictions=[["O"], ["O"]], references=[["O"], ["O", "O"]])


def _per_sentence_chunks(sentences):
    found, offset = set(), 0
    for sentence in sentences:
        found |= {(t, a + offset, b + offset) for t, a, b in chunks(sentence)}
        offset += len(sentence) + 1  # seqeval's 'O' separator
    return found


@pytest.mark.parametrize(
    "alphabet",
    [
        ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
        ["O", "B-PER", "I-PER", "E-PER", "S-PER", "E-LOC", "S-LOC"],
        [*UPOS, "O", ".", "E", "B", "N-", "X-Y-PER"],
    ],
)
def test_flattened_scan_equals_per_sentence_scan(alphabet):
    """The 'O' separator closes every chunk of separable tags: per-sentence counts are exact."""
    assert all(separable(tag) for tag in alphabet)
    rng = random.Random(12)
    for _ in range(3000):
        sentences = [[rng.choice(alphabet) for _ in range(rng.randint(0, 5))] for _ in range(rng.randint(1, 4))]
        assert set(chunks(flatten(sentences))) == _per_sentence_chunks(sentences), sentences


@pytest.mark.parametrize(
    "sentences",
    [
        [["B-PER", "X-O"], ["X-O", "B-LOC"]],  # a type-'O' chunk ends in the next sentence
        [["O"], ["O-PER", "X-Y-PER"]],  # a chunk ends without starting: its start is stale
    ],
)
def test_exotic_tags_cross_sentences(sentences):
    """For such tags only the flattened scan is the evaluator; unit_stats refuses them."""
    assert set(chunks(flatten(sentences))) != _per_sentence_chunks(sentences)
    with pytest.raises(ValueError, match="cross sentences"):
        METRIC.unit_stats(predictions=sentences, references=sentences)
    assert METRIC.compute(predictions=sentences, references=sentences)["f1"] == 100.0


@pytest.mark.skipif(importlib.util.find_spec("seqeval") is None, reason="seqeval not installed")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_agrees_with_installed_seqeval_on_iob2():
    """On PAN-X-style IOB2 tags (improper I- included) seqeval 0.0.12 and 1.x agree."""
    from seqeval.metrics import f1_score, precision_score, recall_score

    rng = np.random.default_rng(2020)
    tags = np.array(["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"])
    for _ in range(200):
        n = int(rng.integers(1, 8))
        gold = [list(tags[rng.integers(0, len(tags), rng.integers(1, 12))]) for _ in range(n)]
        pred = [[t if rng.random() < 0.7 else str(rng.choice(tags)) for t in sentence] for sentence in gold]
        ours = METRIC.compute(predictions=pred, references=gold)
        assert ours["f1"] == pytest.approx(100 * f1_score(gold, pred), abs=1e-9)
        assert ours["precision"] == pytest.approx(100 * precision_score(gold, pred), abs=1e-9)
        assert ours["recall"] == pytest.approx(100 * recall_score(gold, pred), abs=1e-9)
        summed = METRIC.from_sums(METRIC.unit_stats(predictions=pred, references=gold).sum(0))
        assert float(summed["f1"]) == pytest.approx(ours["f1"], abs=1e-9)

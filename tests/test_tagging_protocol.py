"""Tagging against XTREME's preprocessing: unknown-token words are scored, long sentences are split."""
import numpy as np
import pytest
from datasets import Dataset

from repro.data import DataSource
from repro.models import fixture_tokenizer
from repro.profiles import TrainConfig
from repro.tasks import get_task
from repro.tasks.tagging import IGNORE, TAGGING

CONFIG = TrainConfig(learning_rate=1e-3, batch_size=8, epochs=1, max_length=64)


@pytest.fixture(scope="module")
def tokenizer():
    return fixture_tokenizer()


def _gold_logits(features, n_labels):
    width = max(len(ids) for ids in features["input_ids"])
    logits = np.zeros((len(features), width, n_labels))
    for b, labels in enumerate(features["labels"]):
        for position, label in enumerate(labels):
            if label != IGNORE:
                logits[b, position, label] = 1.0
    return logits


def test_a_word_without_sub_words_becomes_the_unknown_token_and_is_scored(tokenizer):
    task = get_task("udpos")
    rows = DataSource("fixture").load(task, "validation", "en").select(range(2)).to_list()
    rows[0]["tokens"][1] = " "  # tokenises to nothing (XTREME utils_tag.py: -> tokenizer.unk_token)
    rows[1]["tokens"][0] = "x" * 200  # more sub-words than a sequence holds: also the unknown token
    assert tokenizer.tokenize(" ") == []
    data = Dataset.from_list(rows)
    features = TAGGING.eval_features(data, task, tokenizer, CONFIG)
    assert tokenizer.unk_token_id in features["input_ids"][0] and tokenizer.unk_token_id in features["input_ids"][1]
    assert set(features["word_index"][0]) - {-1} == set(range(len(rows[0]["tokens"])))
    predicted = TAGGING.decode(_gold_logits(features, len(task.labels)), features, data, task)
    assert predicted == TAGGING.references(data, task)  # every word, the blank one included, has its tag
    train = TAGGING.train_features(data, task, tokenizer, CONFIG)
    assert [sum(l != IGNORE for l in labels) for labels in train["labels"]] == [len(r["tokens"]) for r in rows]


def test_long_training_sentences_are_split_not_cut(tokenizer):
    task = get_task("udpos")
    raw = DataSource("fixture").load(task, "train", "en").select(range(30))
    words = [w for r in raw for w in r["tokens"]][:300]
    tags = [t for r in raw for t in r["pos_tags"]][:300]
    data = Dataset.from_list([{"tokens": words, "pos_tags": tags}, raw[0]])
    features = TAGGING.train_features(data, task, tokenizer, CONFIG)
    assert len(features) >= 3 and max(len(ids) for ids in features["input_ids"]) <= 64
    labelled = [l for labels in features["labels"] for l in labels if l != IGNORE]
    assert labelled == tags + list(raw[0]["pos_tags"])  # every word trained on once, in order

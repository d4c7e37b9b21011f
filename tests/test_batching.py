"""Prediction in length-sorted batches gives the predictions of input-order batches, row for row."""
from dataclasses import replace

import numpy as np
import pytest

from repro.batching import feature_lengths, length_order, predict_in_length_order, restore_order
from repro.data import DataSource
from repro.engine import Embedder
from repro.models import build_tiny_model
from repro.profiles import SMOKE, RetrievalConfig, TinyModel
from repro.tasks import get_task


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "model"
    build_tiny_model(TinyModel(), path)
    return str(path)


def test_restore_order_inverts_the_sort():
    lengths = np.array([3, 9, 1, 9, 4])
    order = length_order(lengths)
    assert list(order) == [1, 3, 4, 0, 2]  # longest first, ties in input order
    rows = np.arange(5)[order] * 10
    assert list(restore_order(rows, order)) == [0, 10, 20, 30, 40]
    start, end = restore_order((rows, -rows), order)
    assert list(end) == [0, -10, -20, -30, -40]


def test_feature_lengths_take_the_longest_choice():
    assert list(feature_lengths({"input_ids": [[1, 2, 3], [1]]})) == [3, 1]
    assert list(feature_lengths({"input_ids": [[[1, 2], [1, 2, 3, 4]], [[1], [1]]]})) == [4, 1]


@pytest.mark.parametrize("task_name, lang", [("xnli", "ru"), ("udpos", "hi"), ("xquad", "th"), ("hellaswag", "en")])
def test_sorted_prediction_matches_input_order(task_name, lang, tiny_model, tmp_path):
    from transformers import AutoTokenizer, Trainer, TrainingArguments

    task = get_task(task_name)
    config = SMOKE.target.get(task_name) or SMOKE.intermediate[task_name]
    data = DataSource("fixture", fixture_sizes={"train": 64, "validation": 48, "test": 48})
    raw = data.load(task, "validation", lang)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    features = task.format.eval_features(raw, task, tokenizer, config)
    lengths = feature_lengths(features)
    assert len(set(lengths.tolist())) > 3, "the fixture must mix lengths for this test to mean anything"
    model = task.format.model_class.from_pretrained(tiny_model, **task.format.model_kwargs(task))
    args = TrainingArguments(output_dir=str(tmp_path), per_device_eval_batch_size=8, report_to="none",
                             use_cpu=True, disable_tqdm=True)
    trainer = Trainer(model=model, args=args, data_collator=task.format.collator(tokenizer),
                      processing_class=tokenizer)
    plain = trainer.predict(features).predictions
    ordered = predict_in_length_order(trainer, features)
    decode = lambda out: task.format.decode(out, features, raw, task)  # noqa: E731
    assert decode(ordered) == decode(plain)
    as_tuple = lambda out: out if isinstance(out, tuple) else (out,)  # noqa: E731
    for a, b in zip(as_tuple(ordered), as_tuple(plain), strict=True):
        if task_name in ("udpos", "xquad"):  # per-token logits: each feature's real tokens
            for row, n in enumerate(lengths):
                np.testing.assert_allclose(a[row, :n], b[row, :n], rtol=1e-4, atol=1e-5)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_embedder_sorted_batches_match_one_sentence_at_a_time(tiny_model):
    rows = get_task("tatoeba").fixture("test", "de", 40)
    texts = [r["source_sentence"] for r in rows] + ["kurz", ""]
    config = replace(RetrievalConfig(), layer=1, max_length=128)
    batched = Embedder(tiny_model, config, batch_size=16)(texts)
    alone = Embedder(tiny_model, config, batch_size=1)(texts)
    np.testing.assert_allclose(batched, alone, rtol=1e-4, atol=1e-5)
    assert not np.allclose(batched[0], batched[1])  # rows are not all one vector

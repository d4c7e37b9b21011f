"""Evaluation features made once per process (`repro.eval_cache`): the same set gives the same
features, other rows, tokenizers or settings give their own, and the cache stays bounded."""
from dataclasses import replace

import pytest

from repro import eval_cache
from repro.data import DataSource
from repro.models import fixture_tokenizer
from repro.profiles import SMOKE
from repro.tasks import get_task


class CountingFormat:
    """A task's format that counts its `eval_features` calls."""

    def __init__(self, fmt):
        self.fmt, self.calls = fmt, 0

    def eval_features(self, *args):
        self.calls += 1
        return self.fmt.eval_features(*args)


@pytest.fixture(autouse=True)
def empty_cache():
    eval_cache.clear()
    yield
    eval_cache.clear()


def _rows(lang="ru", size=24):
    data = DataSource("fixture", fixture_sizes={"train": 32, "validation": size, "test": size})
    return data.load(get_task("xnli"), "validation", lang)


def test_the_same_set_is_featurised_once_and_sorted_by_length():
    task, tokenizer, config = get_task("xnli"), fixture_tokenizer(), SMOKE.target["xnli"]
    fmt = CountingFormat(task.format)
    first = eval_cache.evaluation_features(fmt, _rows(), task, tokenizer, config)
    again = eval_cache.evaluation_features(fmt, _rows(), task, tokenizer, config)  # rows read anew, same content
    assert again is first and fmt.calls == 1
    fresh = task.format.eval_features(_rows(), task, tokenizer, config)
    assert first.features["input_ids"] == fresh["input_ids"]
    lengths = [len(ids) for ids in first.in_length_order["input_ids"]]
    assert lengths == sorted(lengths, reverse=True) and len(set(lengths)) > 1
    assert first.in_length_order["input_ids"] == [fresh["input_ids"][i] for i in first.order]


def test_other_rows_tokenizer_or_settings_are_featurised_anew():
    task, tokenizer, config = get_task("xnli"), fixture_tokenizer(), SMOKE.target["xnli"]
    fmt = CountingFormat(task.format)
    base = eval_cache.evaluation_features(fmt, _rows(), task, tokenizer, config)
    other_rows = eval_cache.evaluation_features(fmt, _rows("zh"), task, tokenizer, config)
    shorter = eval_cache.evaluation_features(fmt, _rows(), task, tokenizer, replace(config, max_length=16))
    other_tokenizer = eval_cache.evaluation_features(fmt, _rows(), task, fixture_tokenizer(), config)
    assert fmt.calls == 4
    assert other_rows.features["input_ids"] != base.features["input_ids"]
    assert max(len(ids) for ids in shorter.features["input_ids"]) == 16
    assert other_tokenizer is not base


def test_the_cache_keeps_at_most_max_rows(monkeypatch):
    monkeypatch.setattr(eval_cache, "MAX_ROWS", 30)
    task, tokenizer, config = get_task("xnli"), fixture_tokenizer(), SMOKE.target["xnli"]
    fmt = CountingFormat(task.format)
    eval_cache.evaluation_features(fmt, _rows("ru", 20), task, tokenizer, config)
    eval_cache.evaluation_features(fmt, _rows("zh", 20), task, tokenizer, config)  # 40 rows: ru is dropped
    eval_cache.evaluation_features(fmt, _rows("zh", 20), task, tokenizer, config)
    assert fmt.calls == 2
    eval_cache.evaluation_features(fmt, _rows("ru", 20), task, tokenizer, config)
    assert fmt.calls == 3

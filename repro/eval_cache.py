"""Evaluation features made once per process and reused by every run that predicts the same set.

Every run of a target (one per configuration and seed) predicts the same evaluation sets with the
same tokenizer and settings, so their features, and the length order prediction takes them in
(`repro.batching`), are the same each time: a function of the rows, the format, the tokenizer
and the run's training configuration, which together form the key.  Rows are keyed by their
content fingerprint (`datasets`), so other rows are other features; the tokenizer by the object
itself, which the entry holds (the engine loads one per tokenizer content, `repro.models`).  The
cache keeps at most `MAX_ROWS` feature rows, dropping the least recently used sets first, so a
process that predicts large sets (the `paper` profile) holds a bounded number of them.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from repro.batching import feature_lengths, length_order

MAX_ROWS = 200_000  # feature rows kept in all (the rehearsal's sets: a few thousand)


@dataclass(frozen=True)
class EvaluationFeatures:
    """One evaluation set's features, their length order and the features in that order."""

    features: Any
    order: np.ndarray
    in_length_order: Any


_CACHE: OrderedDict = OrderedDict()  # key -> (tokenizer, EvaluationFeatures)


def evaluation_features(fmt, raw, task, tokenizer, config) -> EvaluationFeatures:
    """`fmt.eval_features(raw, task, tokenizer, config)` with its length order, made once per process
    for the same rows (content fingerprint), format, task, tokenizer and configuration."""
    key = (type(fmt).__qualname__, task.name, getattr(raw, "_fingerprint", None) or id(raw), id(tokenizer), config)
    if key in _CACHE and _CACHE[key][0] is tokenizer:
        _CACHE.move_to_end(key)
        return _CACHE[key][1]
    features = fmt.eval_features(raw, task, tokenizer, config)
    order = length_order(feature_lengths(features))
    made = EvaluationFeatures(features, order, features.select(order))
    if getattr(raw, "_fingerprint", None) is not None and len(features) <= MAX_ROWS:
        _CACHE[key] = (tokenizer, made)  # holding the tokenizer keeps its id from being reused
        while sum(len(entry.features) for _, entry in _CACHE.values()) > MAX_ROWS:
            _CACHE.popitem(last=False)
    return made


def clear() -> None:
    """Forget every cached set."""
    _CACHE.clear()

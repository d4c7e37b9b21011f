"""Length-aware batching for prediction: features in length order, outputs back in input order.

Batches of similar lengths pad little, so prediction spends its time on real tokens.  Every
output row is computed from its own feature alone (attention never crosses examples and pad
positions are masked), so the order changes which rows share a batch, not what a row predicts.
"""
from __future__ import annotations

import numpy as np


def feature_lengths(features) -> np.ndarray:
    """Tokens per feature (`input_ids` lengths; multiple choice: the longest of its choices)."""
    lengths = []
    for ids in features["input_ids"]:
        nested = len(ids) > 0 and isinstance(ids[0], (list, tuple, np.ndarray))
        lengths.append(max(len(choice) for choice in ids) if nested else len(ids))
    return np.asarray(lengths, dtype=np.int64)


def length_order(lengths) -> np.ndarray:
    """Indices from the longest to the shortest (stable: ties keep input order).

    Longest first, so that a batch too large for the device fails at once, not at the end.
    """
    return np.argsort(-np.asarray(lengths), kind="stable")


def restore_order(outputs, order: np.ndarray):
    """`outputs` (an array, or a tuple of arrays, one row per sorted feature) in input order."""
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    if isinstance(outputs, (tuple, list)):
        return tuple(np.asarray(o)[inverse] for o in outputs)
    return np.asarray(outputs)[inverse]


def predict_in_length_order(trainer, features):
    """`trainer.predict(features).predictions`, computed in length-sorted batches, rows in input order.

    Tagging and QA logits are padded to the longest feature either way; the rows' real tokens
    are what `decode` reads.
    """
    order = length_order(feature_lengths(features))
    return predict_in_order(trainer, features.select(order), order)


def predict_in_order(trainer, in_length_order, order: np.ndarray):
    """`trainer.predict(in_length_order).predictions`, features already sorted by `order` (of
    `length_order`), rows back in input order."""
    return restore_order(trainer.predict(in_length_order).predictions, order)

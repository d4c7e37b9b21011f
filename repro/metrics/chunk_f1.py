"""Chunk F1 / precision / recall for PAN-X and UDPOS, with the semantics of seqeval 0.0.12.

XTREME's evaluator calls `seqeval.metrics.f1_score(labels, predictions)`; jiant pins
seqeval 0.0.12, and the XTREME test file's expected numbers need it.  This module
re-implements that version's chunk extraction from its specification:

* a tag's *prefix* is its first character and its *type* is the text after its last
  '-' (the whole tag when it has no '-'), so a bare POS tag such as ``NOUN`` has
  prefix ``N`` and type ``NOUN``;
* a chunk ends before a token when the previous prefix is E or S, when B/I is followed
  by B, S or O, or when the previous prefix is not O or '.' and the type changes;
* a chunk starts at a token with prefix B or S, at E or I after E, S or O, or at any
  prefix other than O and '.' whose type differs from the previous type;
* a chunk is ``(type of its last token, first index, last index)``; runs of one bare
  tag therefore merge into one chunk (gold ``NOUN NOUN VERB`` vs predicted
  ``NOUN VERB VERB`` shares no chunk: F1 = 0).

seqeval concatenates the sentences with an 'O' token after each one and scans the
result once.  Counting per sentence gives exactly that corpus count when every tag is
'O', '.', or has a first character other than 'O' and '.' and a type other than 'O' and
'.' (IOB2, IOBES, all UPOS tags): then every chunk starts inside its sentence (after 'O'
or '.', or at a sentence start, any other tag opens a chunk) and the separator closes it.
Exotic tags such as ``X-O``, ``O-PER`` or ``.-PER`` let a chunk survive the separator or
end without a start of its own, so one sentence's counts would depend on its neighbours.
`ChunkF1.compute` therefore scores the flattened corpus, exactly like the evaluator, for
any tags, while `ChunkF1.unit_stats` (the bootstrap's input) refuses exotic tags rather
than return statistics that are not sufficient.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from repro.metrics.base import Metric, check_same_length, prf_from_counts

Chunk = tuple[str, int, int]


def _split(tag: str) -> tuple[str, str]:
    """(prefix, type) of a tag as seqeval 0.0.12 reads it."""
    return tag[:1], tag.split("-")[-1]


def _ends(prev_prefix: str, prefix: str, prev_type: str, type_: str) -> bool:
    if prev_prefix in ("E", "S"):
        return True
    if prev_prefix in ("B", "I") and prefix in ("B", "S", "O"):
        return True
    return prev_prefix not in ("O", ".") and prev_type != type_


def _starts(prev_prefix: str, prefix: str, prev_type: str, type_: str) -> bool:
    if prefix in ("B", "S"):
        return True
    if prev_prefix in ("E", "S", "O") and prefix in ("E", "I"):
        return True
    return prefix not in ("O", ".") and prev_type != type_


def separable(tag: str) -> bool:
    """Whether per-sentence counting is exact for this tag (see the module docstring)."""
    prefix, type_ = _split(tag)
    return tag in ("O", ".") or (prefix not in ("O", ".") and type_ not in ("O", "."))


def chunks(tags: Sequence[str]) -> list[Chunk]:
    """The chunks ``(type, start, end)`` (inclusive end) that seqeval 0.0.12 finds in one tag sequence."""
    found: list[Chunk] = []
    prev_prefix, prev_type, begin = "O", "", 0
    for i, tag in enumerate([*tags, "O"]):  # the trailing 'O' closes a final chunk
        prefix, type_ = _split(tag)
        if _ends(prev_prefix, prefix, prev_type, type_):
            found.append((prev_type, begin, i - 1))
        if _starts(prev_prefix, prefix, prev_type, type_):
            begin = i
        prev_prefix, prev_type = prefix, type_
    return found


def flatten(sentences: Sequence[Sequence[str]]) -> list[str]:
    """Sentences joined the way seqeval joins them: an 'O' after every sentence."""
    return [tag for sentence in sentences for tag in (*sentence, "O")]


def check_token_counts(predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> None:
    """Raise ValueError naming the first sentence whose prediction and reference differ in length."""
    check_same_length(predictions, references)
    for i, (pred, ref) in enumerate(zip(predictions, references)):
        if len(pred) != len(ref):
            raise ValueError(
                f"sentence {i}: {len(pred)} predicted tags for {len(ref)} reference tokens; "
                "predict exactly one tag per reference token (a mismatch would shift every later chunk)"
            )


def _counts(pred: Sequence[str], ref: Sequence[str]) -> tuple[int, int, int]:
    pred_chunks, gold_chunks = set(chunks(pred)), set(chunks(ref))
    return len(pred_chunks & gold_chunks), len(pred_chunks), len(gold_chunks)


class ChunkF1(Metric):
    """seqeval 0.0.12 chunk F1, precision and recall (micro over chunks), x100."""

    stat_names = ("tp", "n_pred", "n_gold")
    metric_names = ("f1", "precision", "recall")
    reference = ("`f1` in XTREME's evaluate.py: seqeval's `f1_score`, `precision_score` and `recall_score` "
                 "(version 0.0.12, as jiant pins) over chunks of the concatenated sentences")
    limitation = ("A chunk counts only when its type and both ends match: one wrong tag inside a long entity loses "
                  "the whole entity, and runs of one bare tag (UPOS) merge into a single chunk, so POS F1 is not "
                  "the token accuracy usual for POS tagging.")

    def unit_stats(self, *, predictions, references, lang=None):
        """One row (tp, n_pred, n_gold) per sentence; sentences are lists of tags."""
        check_token_counts(predictions, references)
        for side, sentences in (("prediction", predictions), ("reference", references)):
            for i, sentence in enumerate(sentences):
                exotic = [tag for tag in sentence if not separable(tag)]
                if exotic:
                    raise ValueError(
                        f"{side} sentence {i}: tag {exotic[0]!r} lets seqeval chunks cross sentences, so "
                        "per-sentence statistics would not be exact; use compute() for the corpus value"
                    )
        rows = [_counts(p, r) for p, r in zip(predictions, references)]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), 3)

    def corpus_stats(self, *, predictions, references) -> np.ndarray:
        """(tp, n_pred, n_gold) of the flattened corpus, exactly as seqeval counts them."""
        check_token_counts(predictions, references)
        return np.asarray(_counts(flatten(predictions), flatten(references)), dtype=np.float64)

    def compute(self, *, predictions, references, lang=None):
        """Corpus values from the flattened scan (equal to summed unit stats for ordinary tags)."""
        sums = self.corpus_stats(predictions=predictions, references=references)
        return {k: float(v) for k, v in self.from_sums(sums).items()}

    def from_sums(self, sums):
        sums = np.asarray(sums, dtype=np.float64)
        return prf_from_counts(sums[..., 0], sums[..., 1], sums[..., 2])

"""Extractive-QA exact match and token F1: SQuAD v1.1 (XQuAD, TyDiQA) and MLQA.

Both follow the official scripts XTREME calls: normalise prediction and each gold answer,
EM = equality of the normalised strings, F1 = bag-of-tokens overlap; the best gold answer
counts; an unanswered question (prediction None) scores 0 and still counts.  They differ
only in normalisation: SQuAD removes ASCII punctuation and English articles for every
language; MLQA removes all Unicode punctuation, the articles of the given language, and
segments Chinese into characters.  A question's row is (f1, em, 1).
"""
from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable

import numpy as np

from repro.metrics.base import Metric, check_same_length

_ASCII_PUNCT = frozenset(string.punctuation)
_EN_ARTICLES = re.compile(r"\b(a|an|the)\b")

# MLQA article patterns per language (evaluate_mlqa.py); the Arabic one deletes every "ال".
_MLQA_ARTICLES = {
    "en": _EN_ARTICLES,
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    "ar": re.compile(r"\sال^|ال"),
    "hi": None,
    "zh": None,
}
MLQA_LANGUAGES = tuple(sorted(_MLQA_ARTICLES))
_CJK = re.compile(r"[\u4e00-\u9fa5]")


def squad_normalize(text: str) -> str:
    """SQuAD v1.1: lower, drop ASCII punctuation, drop a/an/the, collapse whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in _ASCII_PUNCT)
    return " ".join(_EN_ARTICLES.sub(" ", text).split())


def _is_mlqa_punct(ch: str) -> bool:
    return ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P")


def _mixed_segmentation(text: str) -> list[str]:
    """Each CJK character and punctuation mark is a token; other runs split on whitespace."""
    tokens: list[str] = []
    run = ""
    for ch in text:
        if _CJK.match(ch) or _is_mlqa_punct(ch):
            tokens.extend(run.split())
            tokens.append(ch)
            run = ""
        else:
            run += ch
    tokens.extend(run.split())
    return tokens


def mlqa_normalize(text: str, lang: str) -> str:
    """MLQA: lower, drop Unicode punctuation, drop `lang`'s articles, re-tokenise (zh: per character)."""
    if lang not in _MLQA_ARTICLES:
        raise ValueError(f"MLQA has no normalisation for language {lang!r}; known: {', '.join(MLQA_LANGUAGES)}")
    text = "".join(ch for ch in text.lower() if not _is_mlqa_punct(ch))
    articles = _MLQA_ARTICLES[lang]
    if articles is not None:
        text = articles.sub(" ", text)
    tokens = _mixed_segmentation(text) if lang == "zh" else text.split()
    return " ".join(t for t in tokens if t.strip())


def token_f1(prediction: str, gold: str) -> float:
    """Bag-of-tokens F1 of two normalised strings (0 when they share no token)."""
    pred_tokens, gold_tokens = prediction.split(), gold.split()
    same = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


class _QaEmF1(Metric):
    """EM and F1 (x100) over questions; `score` is their mean, XTREME's QA task score."""

    stat_names = ("f1", "exact_match", "count")
    metric_names = ("exact_match", "f1")
    score_names = ("exact_match", "f1")
    limitation = ("Answers are compared as normalised strings against the gold texts: a correct answer worded "
                  "otherwise scores 0 EM and partial F1, and F1's bag of tokens ignores word order.")

    def normalizer(self, lang: str | None) -> Callable[[str], str]:
        raise NotImplementedError

    def unit_stats(self, *, predictions, references, lang=None):
        """predictions: answer text or None per question; references: the gold answer texts per question."""
        check_same_length(predictions, references)
        norm = self.normalizer(lang)
        rows = []
        for i, (pred, golds) in enumerate(zip(predictions, references)):
            if isinstance(golds, str) or len(golds) == 0:
                raise ValueError(f"question {i}: references must be a non-empty list of gold answer texts")
            if pred is None:
                rows.append((0.0, 0.0, 1.0))
                continue
            p = norm(pred)
            gold_norms = [norm(g) for g in golds]
            rows.append((max(token_f1(p, g) for g in gold_norms), float(any(p == g for g in gold_norms)), 1.0))
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), 3)

    def from_sums(self, sums):
        sums = np.asarray(sums, dtype=np.float64)
        count = np.maximum(sums[..., 2], 1)
        return {"exact_match": 100 * sums[..., 1] / count, "f1": 100 * sums[..., 0] / count}


class SquadEmF1(_QaEmF1):
    """SQuAD v1.1 EM/F1 with English normalisation for every language (XQuAD, TyDiQA-GoldP)."""

    reference = ("`squad_em_f1` in XTREME's evaluate.py: the official SQuAD v1.1 evaluation, English normalisation "
                 "(lower case, ASCII punctuation and English articles removed) for every language")

    def normalizer(self, lang=None):
        return squad_normalize


class MlqaEmF1(_QaEmF1):
    """MLQA EM/F1 with language-specific normalisation; `lang` is required."""

    reference = ("`mlqa_em_f1` in XTREME's evaluate.py: MLQA's official evaluation, with the answer language's "
                 "normalisation (Unicode punctuation and that language's articles removed, Chinese split into characters)")

    def normalizer(self, lang=None):
        if lang not in _MLQA_ARTICLES:
            raise ValueError(f"MLQA needs a language among {', '.join(MLQA_LANGUAGES)}, got {lang!r}")
        return lambda text: mlqa_normalize(text, lang)

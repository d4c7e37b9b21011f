"""Per-unit statistics are sufficient: sums give the corpus value, weights @ stats the resampled one."""
import random

import numpy as np
import pytest

from repro.metrics import Accuracy, BuccF1, ChunkF1, MlqaEmF1, SquadEmF1
from repro.scoring import UnknownTaskError, metric_for, scored_tasks

rng = random.Random(7)
NER = ["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
POS = ["NOUN", "VERB", "ADJ", "SCONJ", "INTJ", "PUNCT", "X"]


def _tagging(alphabet, n=30):
    gold = [[rng.choice(alphabet) for _ in range(rng.randint(1, 8))] for _ in range(n)]
    pred = [[t if rng.random() < 0.6 else rng.choice(alphabet) for t in sentence] for sentence in gold]
    return pred, gold


def _qa(n=30):
    words = "the a cat dog sat on mat la casa 北 京 ال كتاب".split()
    phrase = lambda: " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))  # noqa: E731
    gold = [[phrase() for _ in range(rng.randint(1, 3))] for _ in range(n)]
    pred = [None if rng.random() < 0.1 else (g[0] if rng.random() < 0.3 else phrase()) for g in gold]
    return pred, gold


# (task, lang, predictions, references): one unit per item, except BUCC (one per source id)
CASES = [
    ("xnli", None, *[[rng.choice("abc") for _ in range(40)] for _ in range(2)]),
    ("panx", None, *_tagging(NER)),
    ("udpos", None, *_tagging(POS)),
    ("xquad", None, *_qa()),
    ("mlqa", "zh", *_qa()),
    ("mlqa", "ar", *_qa()),
    (
        "bucc2018",
        None,
        [(f"s{rng.randint(0, 12)}", f"t{rng.randint(0, 12)}") for _ in range(25)],
        [(f"s{i}", f"t{rng.randint(0, 12)}") for i in range(12)],
    ),
]
IDS = [f"{task}-{lang}" if lang else task for task, lang, *_ in CASES]


def _duplicate(task, predictions, references, counts):
    """The data with unit i repeated counts[i] times (BUCC: copies of a source get new ids)."""
    if task == "bucc2018":
        sources = sorted({s for s, _ in predictions} | {s for s, _ in references})
        copies = dict(zip(sources, counts))
        dup = lambda pairs: [(f"{s}#{k}", t) for s, t in pairs for k in range(copies[s])]  # noqa: E731
        return dup(predictions), dup(references)
    index = [i for i, c in enumerate(counts) for _ in range(c)]
    return [predictions[i] for i in index], [references[i] for i in index]


@pytest.mark.parametrize(("task", "lang", "predictions", "references"), CASES, ids=IDS)
def test_summed_stats_give_corpus_value(task, lang, predictions, references):
    metric = metric_for(task)
    stats = metric.unit_stats(predictions=predictions, references=references, lang=lang)
    assert stats.shape == (stats.shape[0], len(metric.stat_names))
    from_stats = {k: float(v) for k, v in metric.from_sums(stats.sum(0)).items()}
    assert from_stats == pytest.approx(metric.compute(predictions=predictions, references=references, lang=lang))
    assert list(from_stats) == list(metric.metric_names)


@pytest.mark.parametrize(("task", "lang", "predictions", "references"), CASES, ids=IDS)
def test_weighted_stats_equal_metric_on_duplicated_data(task, lang, predictions, references):
    metric = metric_for(task)
    stats = metric.unit_stats(predictions=predictions, references=references, lang=lang)
    np_rng = np.random.default_rng(0)
    weights = np_rng.multinomial(stats.shape[0], np.full(stats.shape[0], 1 / stats.shape[0]), size=5)
    resampled = metric.from_sums(weights @ stats)  # vectorised over the 5 replicates
    scores = metric.score(weights @ stats)
    assert scores.shape == (5,)
    for b, counts in enumerate(weights):
        dup_pred, dup_ref = _duplicate(task, predictions, references, counts)
        direct = metric.compute(predictions=dup_pred, references=dup_ref, lang=lang)
        for name, value in direct.items():
            assert resampled[name][b] == pytest.approx(value, abs=1e-9), (name, b)
        direct_stats = metric.unit_stats(predictions=dup_pred, references=dup_ref, lang=lang)
        assert float(scores[b]) == pytest.approx(float(metric.score(direct_stats.sum(0))), abs=1e-9)


def test_qa_score_is_mean_of_em_and_f1_and_others_the_first_metric():
    sums = np.array([1.5, 1.0, 4.0])
    assert float(metric_for("tydiqa").score(sums)) == pytest.approx((25.0 + 37.5) / 2)
    assert float(metric_for("bucc2018").score(np.array([1.0, 2.0, 2.0]))) == pytest.approx(50.0)


# the metric XTREME's evaluator applies to each task (google-research/xtreme evaluate.py)
XTREME_METRICS = {"xnli": Accuracy, "pawsx": Accuracy, "tatoeba": Accuracy, "udpos": ChunkF1, "panx": ChunkF1,
                  "xquad": SquadEmF1, "tydiqa": SquadEmF1, "mlqa": MlqaEmF1, "bucc2018": BuccF1}


def test_registry_knows_the_nine_tasks_and_names_them_on_error():
    assert scored_tasks() == tuple(sorted(XTREME_METRICS))
    assert {task: type(metric_for(task)) for task in scored_tasks()} == XTREME_METRICS
    with pytest.raises(UnknownTaskError, match="unknown task 'squad'; known tasks: bucc2018, mlqa"):
        metric_for("squad")

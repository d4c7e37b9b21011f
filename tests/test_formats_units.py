"""Format handlers without training: alignment, split-and-rejoin, QA windows, retrieval maths."""
from dataclasses import replace

import numpy as np
import pytest

from repro.data import DataSource
from repro.models import fixture_tokenizer
from repro.profiles import PAPER, SMOKE, TrainConfig
from repro.tasks import TASKS, get_task, paper_targets, target_tasks
from repro.tasks.qa import QA, answer_tokens
from repro.tasks.retrieval import best_threshold, bucc_evaluate, bucc_metric_inputs, gold_ids, mine, nearest, read_bucc
from repro.tasks.tagging import IGNORE, TAGGING, first_subword_labels
from tests.metrics.test_sufficient_stats import XTREME_METRICS

TARGETS = ("xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba")


@pytest.fixture(scope="module")
def tokenizer():
    return fixture_tokenizer()


def test_every_target_uses_xtreme_metric_and_has_configs():
    for name in TARGETS:
        task = get_task(name)
        assert type(task.metric) is XTREME_METRICS[name], name
        assert set(SMOKE.smoke_languages[name]) <= set(task.languages)
        if task.trained:
            assert name in SMOKE.target and name in PAPER.target
    assert {PAPER.target[t].batch_size for t in ("xquad", "mlqa", "tydiqa")} == {16}
    assert (PAPER.target["pawsx"].batch_size, PAPER.target["pawsx"].epochs) == (32, 5)
    assert PAPER.target["xquad"].max_length == 384 and PAPER.target["xquad"].doc_stride == 128
    assert all(c.learning_rate == 3e-6 and c.warmup_ratio == 0.1 for c in PAPER.target.values())


def test_first_subword_alignment(tokenizer):
    words = ["ujswgwdrovahetptht", "a", "vndeekyrhunlsm"]
    enc = tokenizer([words], is_split_into_words=True)
    word_ids = enc.word_ids(0)
    labels = first_subword_labels(word_ids, [5, 6, 7])
    assert word_ids.count(0) > 1  # a word of several pieces
    firsts = [i for i, w in enumerate(word_ids) if w is not None and (i == 0 or word_ids[i - 1] != w)]
    assert [labels[i] for i in firsts] == [5, 6, 7]
    assert all(l == IGNORE for i, l in enumerate(labels) if i not in firsts)


def test_300_word_sentence_is_split_and_rejoined(tokenizer):
    task = get_task("udpos")
    raw = DataSource("fixture").load(task, "validation", "ru").select(range(3))
    from datasets import Dataset
    long_row = {"tokens": [w for r in raw for w in r["tokens"]] * 12, "pos_tags": [t for r in raw for t in r["pos_tags"]] * 12}
    long_row = {k: v[:300] for k, v in long_row.items()}
    data = Dataset.from_list([raw[0], long_row, raw[1]])
    config = TrainConfig(learning_rate=1e-3, batch_size=8, epochs=1, max_length=64)
    features = TAGGING.eval_features(data, task, tokenizer, config)
    assert max(len(ids) for ids in features["input_ids"]) <= 64
    assert features["sentence"].count(1) >= 300 // 62  # several chunks for the long sentence
    # logits that predict each word's gold tag back: the rejoined tags must equal the gold exactly
    width = max(len(ids) for ids in features["input_ids"])
    logits = np.zeros((len(features), width, len(task.labels)))
    for b, (labels) in enumerate(features["labels"]):
        for position, label in enumerate(labels):
            if label != IGNORE:
                logits[b, position, label] = 1.0
    predicted = TAGGING.decode(logits, features, data, task)
    assert [len(p) for p in predicted] == [len(t) for t in data["tokens"]]
    assert predicted == TAGGING.references(data, task)


@pytest.mark.parametrize("lang", ["ru", "ar", "hi", "el", "th"])
def test_qa_windows_recover_gold_answers_from_offsets(tokenizer, lang):
    task = get_task("xquad")
    raw = DataSource("fixture").load(task, "validation", lang).select(range(12))
    config = TrainConfig(learning_rate=1e-3, batch_size=8, epochs=1, max_length=48, doc_stride=16)
    features = QA.eval_features(raw, task, tokenizer, config)
    assert len(features) > len(raw)  # long contexts give several windows
    found = {}
    for b, (example, offsets, start, end) in enumerate(zip(features["example"], features["offsets"],
                                                          features["start_positions"], features["end_positions"])):
        if start > 0:
            found[example] = raw[example]["context"][offsets[start][0]:offsets[end][1]]
    assert found == {i: raw[i]["answers"]["text"][0] for i in range(len(raw))}
    # decoding logits that peak on a gold span returns that text, wherever a window that holds the
    # whole answer is the one where its first token has the most context (XTREME's rule)
    width = max(len(ids) for ids in features["input_ids"])
    start_logits, end_logits = np.zeros((len(features), width)), np.zeros((len(features), width))
    decidable = set()
    for b, (s, e) in enumerate(zip(features["start_positions"], features["end_positions"])):
        if s > 0:
            start_logits[b, s] = end_logits[b, e] = 10.0
            if features["max_context"][b][s]:
                decidable.add(features["example"][b])
    assert len(decidable) >= len(raw) // 2
    decoded = QA.decode((start_logits, end_logits), features, raw, task)
    assert {i: decoded[i] for i in decidable} == {i: raw[i]["answers"]["text"][0] for i in decidable}


def test_answer_outside_window_points_at_cls():
    offsets, seq = [(0, 0), (0, 3), (0, 0), (0, 4), (5, 9), (0, 0)], [None, 0, None, 1, 1, None]
    assert answer_tokens(offsets, seq, 5, 9) == (4, 4)
    assert answer_tokens(offsets, seq, 10, 12) == (0, 0)


def test_long_questions_are_cut_at_64_subwords(tokenizer):
    from repro.tasks.qa import cut_questions
    short = "what is the answer"
    long = " ".join(f"word{i}" for i in range(200))
    cut_short, cut_long = cut_questions([short, long], tokenizer)
    assert cut_short == short
    assert len(tokenizer(cut_long, add_special_tokens=False)["input_ids"]) == 64
    assert long.startswith(cut_long)


def test_qa_units_are_contexts():
    task = get_task("xquad")
    raw = DataSource("fixture").load(task, "validation", "en").select(range(10))
    units = QA.units(raw, task)
    assert len({u for _, u in units}) < len(units) and len({i for i, _ in units}) == len(units)
    by_unit = {}
    for (qid, unit), context in zip(units, raw["context"]):
        assert by_unit.setdefault(unit, context) == context


def test_tydiqa_language_is_its_id_prefix():
    source = DataSource("fixture", fixture_sizes={"train": 5})
    tydiqa = source.load(get_task("tydiqa"), "train", "en")
    assert len(tydiqa) == 5 and all(i.startswith("english-") for i in tydiqa["id"])
    assert all(i.startswith("korean-") for i in source.load(get_task("tydiqa"), "train", "ko")["id"])


def test_tatoeba_retrieval_on_planted_embeddings():
    rng = np.random.default_rng(0)
    non_en = rng.normal(size=(50, 16))
    english = non_en + 0.01 * rng.normal(size=non_en.shape)
    english[[3, 7]] = english[[7, 3]]  # two English rows point at each other's partner
    found = nearest(english, non_en)
    expected = np.arange(50)
    expected[[3, 7]] = [7, 3]
    assert (found == expected).all()


def test_bucc_threshold_closed_form():
    gold = {("s1", "t1"), ("s2", "t2"), ("s4", "t4"), ("s9", "t9")}
    scored = [(("s1", "t1"), .9), (("s2", "t2"), .8), (("s3", "t5"), .7), (("s4", "t4"), .6), (("s5", "t6"), .5)]
    # cuts keep 1..5 candidates: F1 = .4, .667, .571, .75, .667 -> keep 4, midpoint to the 5th
    threshold, f1 = best_threshold(scored, gold)
    assert threshold == pytest.approx(0.55) and f1 == pytest.approx(75.0)
    assert best_threshold([(("a", "b"), .3)], gold) == (float("inf"), 0.0)


def test_bucc_mining_is_one_to_one_and_finds_planted_pairs():
    rng = np.random.default_rng(1)
    shared = rng.normal(size=(20, 32))
    src = np.vstack([shared, rng.normal(size=(10, 32))])
    trg = np.vstack([shared[::-1] + 0.05 * rng.normal(size=shared.shape), rng.normal(size=(15, 32))])
    pairs = mine(src, trg)
    assert len({s for s, _, _ in pairs}) == len(pairs) == len({t for _, t, _ in pairs})
    top = sorted(pairs, key=lambda p: -p[2])[:20]
    assert {(s, t) for s, t, _ in top} == {(i, 19 - i) for i in range(20)}


def test_missing_bucc_archives_say_where_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"bucc2018-de-en\.training-gold\.tar\.bz2.*--data-dir"):
        read_bucc(tmp_path, "test", "de")
    with pytest.raises(FileNotFoundError, match="no data directory"):
        DataSource("hub").load(get_task("bucc2018"), "validation", "fr")


def test_bucc_reads_extracted_archives(tmp_path):
    folder = tmp_path / "bucc2018" / "zh-en"
    folder.mkdir(parents=True)
    (folder / "zh-en.sample.zh").write_text("zh-000001\t你好\nzh-000002\t世界\n", encoding="utf-8")
    (folder / "zh-en.sample.en").write_text("en-000001\thello\n", encoding="utf-8")
    (folder / "zh-en.sample.gold").write_text("zh-000001\ten-000001\n", encoding="utf-8")
    rows = DataSource("local", root=tmp_path).load(get_task("bucc2018"), "validation", "zh").to_list()
    assert rows[0] == {"id": "zh-000001", "lang": "zh", "sentence": "你好", "gold": "en-000001"}
    assert [r["lang"] for r in rows] == ["zh", "zh", "en"]


def test_registry_has_every_target():
    assert set(TARGETS) <= set(TASKS)
    assert tuple(t.name for t in target_tasks()) == TARGETS  # the targets are the nine, in the paper's order


def test_paper_columns_are_the_registry_targets_with_a_paper_label():
    from repro.paper import PACKAGED, TABLE2, TARGETS as PAPER_TARGETS
    header = (PACKAGED / TABLE2).read_text(encoding="utf-8").splitlines()[0].split(",")
    columns = tuple(dict.fromkeys(c.rsplit("_", 1)[0] for c in header if c not in ("intermediate", "with_mlm", "avg")))
    assert columns == PAPER_TARGETS == paper_targets()
    assert [get_task(t).paper_label for t in PAPER_TARGETS] == [
        "XNLI", "PAWS-X", "POS", "NER", "XQuAD", "MLQA", "TyDiQA", "BUCC", "Tatoeba"]  # the paper's Table 2 header


def test_intermediate_tasks_carry_the_papers_names_and_v1_rows_are_found_by_them():
    from repro.paper import read_table2
    from repro.profiles import INTERMEDIATE_TASKS
    names = {t: get_task(t).paper_label for t in (*INTERMEDIATE_TASKS, "mlm")}
    assert names == {"anli_plus": "ANLI+", "mnli": "MNLI", "qqp": "QQP", "squad": "SQuAD", "hellaswag": "HellaSwag",
                     "cosmosqa": "CosmosQA", "commonsenseqa": "CommonsenseQA", "ccg": "CCG", "sst2": "SST-2",
                     "mlm": "MLM"}
    # v1 Table 2's single-task rows are labelled with these names; MNLI and SST-2 are not in v1
    v1 = {row["intermediate"] for row in read_table2()} - {"XLM-R", "Multi-task"}
    assert v1 == set(names.values()) - {"MNLI", "SST-2", "MLM"}
    assert all(get_task(t + "_translated").paper_label is None for t in INTERMEDIATE_TASKS)  # not the paper's


def test_only_bucc_has_sparse_units_and_the_submission_formats_are_xtremes():
    assert [t for t in TASKS if get_task(t).sparse_units] == ["bucc2018"]
    # the file formats of XTREME's submissions (google-research/xtreme, evaluate.py readers)
    assert {t: get_task(t).submission for t in TARGETS} == {
        "xnli": "labels", "pawsx": "labels", "tatoeba": "labels", "udpos": "tags", "panx": "tags",
        "bucc2018": "pairs", "xquad": "qa", "mlqa": "qa", "tydiqa": "qa"}
    with pytest.raises(ValueError, match="submission 'csv' is no submission file format"):
        replace(get_task("xnli"), submission="csv")


def test_only_translated_evaluation_sets_resample_as_parallel():
    # XNLI, PAWS-X and XQuAD evaluate translations of one English set; the others are
    # separate per-language samples (treebanks, WikiANN, MLQA contexts, Tatoeba pairs, TyDiQA)
    assert {name for name in TARGETS if get_task(name).parallel} == {"xnli", "pawsx", "xquad"}


def test_bucc_embeds_a_repeated_sentence_once_and_pairs_every_id_it_has():
    """As XTREME's mine_bitext: unique sentences are mined, hits map back to all their ids."""
    rng = np.random.default_rng(2)
    vectors = {}

    def embed(texts):
        assert len(texts) == len(set(texts))  # each sentence embedded once
        return np.stack([vectors.setdefault(t.lower(), rng.normal(size=16)) for t in texts])

    de = [("de-1", "alpha", "en-1"), ("de-2", "beta", "en-2"), ("de-3", "alpha", "en-1")]
    de += [(f"de-n{i}", f"noise de {i}", "") for i in range(6)]
    en = [("en-1", "ALPHA"), ("en-2", "BETA")] + [(f"en-n{i}", f"noise en {i}") for i in range(6)]
    rows = ([{"id": i, "lang": "de", "sentence": s, "gold": g} for i, s, g in de]
            + [{"id": i, "lang": "en", "sentence": s, "gold": ""} for i, s in en])
    data = type("Rows", (), {"load": lambda self, task, split, lang: rows})()
    records, extra = bucc_evaluate(embed, data, get_task("bucc2018"), "test", "de")
    predicted = {r["id"]: r["prediction"] for r in records}
    assert predicted["de-1"] == predicted["de-3"] == ["en-1"] and predicted["de-2"] == ["en-2"]


def test_bucc_keeps_every_gold_pair_of_a_repeated_english_sentence(tmp_path):
    """An English sentence with two ids, each the gold of a source with one text: both pairs are predicted
    (XTREME and jiant keep id pairs), and a source with two gold lines keeps both."""
    rng = np.random.default_rng(3)
    vectors = {}

    def embed(texts):
        return np.stack([vectors.setdefault(t.lower(), rng.normal(size=16)) for t in texts])

    de = [("de-1", "alpha", "en-1"), ("de-3", "alpha", "en-3"), ("de-2", "beta", "en-2")]
    de += [(f"de-n{i}", f"noise de {i}", "") for i in range(6)]
    en = [("en-1", "ALPHA"), ("en-3", "ALPHA"), ("en-2", "BETA")] + [(f"en-n{i}", f"noise en {i}") for i in range(6)]
    rows = ([{"id": i, "lang": "de", "sentence": s, "gold": g} for i, s, g in de]
            + [{"id": i, "lang": "en", "sentence": s, "gold": ""} for i, s in en])
    data = type("Rows", (), {"load": lambda self, task, split, lang: rows})()
    records, _ = bucc_evaluate(embed, data, get_task("bucc2018"), "test", "de")
    predicted = {(r["id"], t) for r in records for t in r["prediction"]}
    assert {("de-1", "en-1"), ("de-3", "en-3"), ("de-2", "en-2")} <= predicted
    tp, n_pred, n_gold = get_task("bucc2018").metric.unit_stats(
        *(), **dict(zip(("predictions", "references"), bucc_metric_inputs(records)))).sum(axis=0)
    assert (tp, n_gold) == (3, 3)
    folder = tmp_path / "bucc2018" / "de-en"
    folder.mkdir(parents=True)
    (folder / "de-en.sample.de").write_text("de-1\talpha\n", encoding="utf-8")
    (folder / "de-en.sample.en").write_text("en-1\tALPHA\nen-3\tALPHA\n", encoding="utf-8")
    (folder / "de-en.sample.gold").write_text("de-1\ten-1\nde-1\ten-3\n", encoding="utf-8")
    row = DataSource("local", root=tmp_path).load(get_task("bucc2018"), "validation", "de").to_list()[0]
    assert gold_ids(row) == ["en-1", "en-3"]

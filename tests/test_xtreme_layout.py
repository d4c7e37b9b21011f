"""XTREME's download layout as a data source (`repro.xtreme_layout`, `DataSource.load`)."""
import json
from pathlib import Path

import pytest

from repro import xtreme_layout
from repro.data import DataError, DataSource, data_source
from repro.profiles import get_profile
from repro.tasks import get_task

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "xtreme"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"no real XTREME rows at {REAL} (a fresh clone)")


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def squad(questions):
    return json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "Der Hund bellt laut.", "qas": [
        {"id": q, "question": "Wer bellt?", "answers": answers} for q, answers in questions]}]}]})


def test_xnli_tsv_reads_labels_by_name_and_mlqa_squad_json(tmp_path):
    write(tmp_path, "xnli/dev-de.tsv", "Ein Satz.\tNoch einer.\tcontradiction\nA.\tB.\tentailment\n")
    write(tmp_path, "mlqa/MLQA_V1/dev/dev-context-de-question-de.json",
          squad([("q1", [{"answer_start": 4, "text": "Hund"}])]))
    data = DataSource("local", tmp_path)
    rows = data.load(get_task("xnli"), "validation", "de")
    assert rows["label"] == ["contradiction", "entailment"] and rows["premise"][0] == "Ein Satz."
    assert data.layout_files(get_task("xnli"), "validation", "de") == (tmp_path / "xnli/dev-de.tsv",)
    qa = data.load(get_task("mlqa"), "validation", "de")
    assert qa[0]["answers"] == {"answer_start": [4], "text": ["Hund"]}


def test_conll_sentences_tatoeba_pairs_and_tydiqa_ids(tmp_path):
    write(tmp_path, "udpos/train-en.tsv", "The\tDET\ndog\tNOUN\n\nBarks\tVERB\n")
    write(tmp_path, "tatoeba/tatoeba.deu-eng.deu", "Hallo.\nJa.\n")
    write(tmp_path, "tatoeba/tatoeba.deu-eng.eng", "Hello.\nYes.\n")
    write(tmp_path, "tydiqa/tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json",
          squad([("7", [{"answer_start": 4, "text": "Hund"}])]))
    data = DataSource("local", tmp_path)
    pos = data.load(get_task("udpos"), "train", "en")
    assert pos["tokens"] == [["The", "dog"], ["Barks"]] and pos["pos_tags"][0] == ["DET", "NOUN"]
    pairs = data.load(get_task("tatoeba"), "validation", "de")
    assert pairs["source_sentence"] == ["Hallo.", "Ja."] and pairs["target_sentence"][1] == "Yes."
    tydiqa = data.load(get_task("tydiqa"), "train", "en")  # the hub's language prefix, so `select` keeps it
    assert tydiqa["id"] == ["english-7"]


@pytest.mark.parametrize("text, message", [
    ("Ein Satz.\n", "1 tab-separated column(s), but xnli rows are premise, hypothesis, label"),
    ("Ein Satz.\tNoch einer.\tmaybe\n", "unknown label 'maybe'; xnli labels are entailment, neutral, contradiction"),
])
def test_bad_tsv_is_one_error_naming_file_line_and_fix(tmp_path, text, message):
    path = write(tmp_path, "xnli/dev-de.tsv", text)
    with pytest.raises(DataError) as err:
        DataSource("local", tmp_path).load(get_task("xnli"), "validation", "de")
    assert str(err.value).startswith(f"{path}:1: ") and message in str(err.value) and "\n" not in str(err.value)


def test_a_dev_file_without_its_label_column_is_refused(tmp_path):
    path = write(tmp_path, "xnli/dev-de.tsv", "Ein Satz.\tNoch einer.\n")
    with pytest.raises(DataError, match=f"{path}: no label column, .* every line of its validation file needs "
                                        "premise<TAB>hypothesis<TAB>label"):
        DataSource("local", tmp_path).load(get_task("xnli"), "validation", "de")


def test_unknown_tag_names_the_file(tmp_path):
    path = write(tmp_path, "panx/dev-de.tsv", "Berlin\tB-CITY\n")
    with pytest.raises(DataError, match=f"{path}:1: unknown label 'B-CITY'; panx labels are O, B-PER"):
        DataSource("local", tmp_path).load(get_task("panx"), "validation", "de")


def test_unlabelled_test_file_is_refused_for_scoring_but_serves_lengths(tmp_path):
    path = write(tmp_path, "xnli/test-de.tsv", "Ein Satz.\tNoch einer.\n")
    data = DataSource("local", tmp_path)
    with pytest.raises(DataError, match=f"{path} has no gold labels .* cannot train or score xnli"):
        data.load(get_task("xnli"), "test", "de")
    assert data.load(get_task("xnli"), "test", "de", need_labels=False)["premise"] == ["Ein Satz."]


def test_missing_pieces_fall_back_to_the_jsonl_layout_and_hub_copies_are_told_apart(tmp_path):
    write(tmp_path, "xnli/dev-de.tsv", "A.\tB.\tneutral\n")
    write(tmp_path, "xnli/fr/validation.jsonl", json.dumps({"premise": "P", "hypothesis": "H", "label": 0}) + "\n")
    data = DataSource("hub", tmp_path)
    assert data.load(get_task("xnli"), "validation", "fr")["premise"] == ["P"]
    assert data.has_local_copy(get_task("xnli"))
    only_xtreme = tmp_path / "only"
    write(only_xtreme, "xnli/dev-de.tsv", "A.\tB.\tneutral\n")
    assert not DataSource("hub", only_xtreme).has_local_copy(get_task("xnli"))  # the rest comes from the hub


def test_a_data_dir_without_any_task_folder_is_refused_with_the_fix(tmp_path):
    inner = tmp_path / "xnli"
    write(tmp_path, "xnli/dev-de.tsv", "A.\tB.\tneutral\n")
    with pytest.raises(DataError, match=f"data directory {inner} holds no known task folder .* point it at "
                                        f"the folder that holds them \\(e.g. {tmp_path}"):
        data_source(get_profile("paper"), inner)


def test_rehearsal_reads_capped_real_rows_and_the_stand_in_for_the_rest(tmp_path):
    write(tmp_path, "xnli/dev-de.tsv", "".join(f"P{i}.\tH{i}.\tneutral\n" for i in range(40)))
    write(tmp_path, "xnli/test-de.tsv", "P.\tH.\n")  # unlabelled: the stand-in serves the test set
    plain = data_source(get_profile("rehearsal"))
    data = data_source(get_profile("rehearsal"), tmp_path)
    assert data.identity != plain.identity  # runs on real rows are other runs
    dev = data.load(get_task("xnli"), "validation", "de")
    assert len(dev) == get_profile("rehearsal").fixture_sizes["validation"] and dev["premise"][0] == "P0."
    assert data.load(get_task("xnli"), "test", "de")["premise"] == plain.load(get_task("xnli"), "test", "de")["premise"]


@needs_real
def test_every_target_of_the_real_layout_reads():
    data = DataSource("local", REAL)
    for task, split, lang, rows in [("xnli", "validation", "th", 2490), ("pawsx", "validation", "zh", 2000),
                                    ("udpos", "train", "en", 21253), ("panx", "train", "en", 20000),
                                    ("xquad", "validation", "th", 1190), ("tydiqa", "train", "en", 3696),
                                    ("tatoeba", "validation", "jv", 205)]:
        assert len(data.load(get_task(task), split, lang)) == rows, (task, lang)
    bucc = data.load(get_task("bucc2018"), "validation", "zh")
    assert sum(bool(g) for g in bucc["gold"]) == 257


def test_length_samples_from_the_layout_keep_the_others_with_their_source(tmp_path):
    from repro.lengths import load_samples
    from repro.lengths import main as lengths_main
    write(tmp_path, "data/xnli/dev-de.tsv", "Ein Satz.\tNoch einer.\tneutral\n")
    write(tmp_path, "data/xnli/dev-fr.tsv", "Une phrase.\tEncore une.\tneutral\n")
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"source": "fixture run", "tasks": {"mnli": {"train": [9]}, "xnli": {"eval": [1]}}}))
    out = tmp_path / "samples.json"
    assert lengths_main(["--data-dir", str(tmp_path / "data"), "--base", str(base), "--out", str(out)]) == 0
    samples = load_samples(out)
    assert samples["tasks"]["mnli"] == {"train": [9]} and samples["sources"]["mnli"]["train"] == "fixture run"
    assert len(samples["tasks"]["xnli"]["eval"]) == 2 and samples["tasks"]["xnli"]["eval"] != [1]
    assert "xnli validation in 2 language(s) (de, fr)" in samples["sources"]["xnli"]["eval"]


def test_detect_sees_a_task_folder_filled_after_it_looked(tmp_path):
    import os
    (tmp_path / "xnli").mkdir()
    assert xtreme_layout.detect(tmp_path) == ()
    (tmp_path / "xnli" / "dev-en.tsv").write_text("a\tb\tentailment\n", encoding="utf-8")
    os.utime(tmp_path / "xnli", ns=(0, 10**9))  # the folder's mtime moves (coarse clocks: set it outright)
    assert xtreme_layout.detect(tmp_path) == ("xnli",)


def test_detect_sees_a_task_registered_after_it_looked(tmp_path):
    """The per-process answer is keyed on the registered tasks too: a task added later (`repro.tasks.register`)
    whose files the folder holds is found at the next look, and is gone once it is unregistered."""
    from dataclasses import replace
    from repro.tasks import get_task, register
    (tmp_path / "xnli").mkdir()
    (tmp_path / "xnli" / "dev-en.tsv").write_text("a\tb\tentailment\n", encoding="utf-8")
    assert xtreme_layout.detect(tmp_path) == ("xnli",)
    with register(replace(get_task("xnli"), name="xnli_copy")):
        assert xtreme_layout.detect(tmp_path) == ("xnli", "xnli_copy")
    assert xtreme_layout.detect(tmp_path) == ("xnli",)

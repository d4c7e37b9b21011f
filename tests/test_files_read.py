"""Files are read whole and right: a byte-order mark is accepted wherever text is read, other encodings
and malformed lines are named with file and line, and a predicted label outside the label set is an
error (or, when asked, wrong) rather than a silently lower score."""
import json

import pytest

from repro.cli import main
from repro.data import DataError, DataSource
from repro.scoring import ScoringError, score
from repro.tasks import get_task
from repro.tasks.mlm import _Local
from repro.tasks.retrieval import read_bucc

BOM = "\ufeff"
GOLD = ["entailment", "neutral", "contradiction", "neutral", "entailment",
        "contradiction", "neutral", "entailment", "neutral", "contradiction"]


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def test_a_tsv_submission_with_a_byte_order_mark_scores_every_line(tmp_path):
    pred = write(tmp_path / "p" / "test-en.tsv", BOM + "\n".join(GOLD) + "\n")
    gold = write(tmp_path / "l" / "test-en.tsv", "\n".join(GOLD) + "\n")
    assert score("xnli", pred, gold)["average"] == {"avg_accuracy": 100.0}  # was 90.0: the first label lost
    write(gold, BOM + "\n".join(GOLD) + "\n")
    assert score("xnli", pred, gold)["average"] == {"avg_accuracy": 100.0}


def test_json_submissions_with_a_byte_order_mark_are_read(tmp_path):
    squad = {"data": [{"paragraphs": [{"qas": [{"id": "q1", "answers": [{"text": "Hund"}]}]}]}]}
    gold = write(tmp_path / "l" / "test-de.json", BOM + json.dumps(squad))
    pred = write(tmp_path / "p" / "test-de.json", BOM + json.dumps({"q1": "Hund"}))
    assert score("xquad", pred, gold)["average"]["avg_exact_match"] == 100.0


def test_a_label_outside_the_label_set_is_named_unless_scored_as_wrong(tmp_path, capsys):
    predicted = ["Entailment" if g == "entailment" else g for g in GOLD]  # another casing: 3 of 10 unknown
    pred = write(tmp_path / "p" / "test-en.tsv", "\n".join(predicted) + "\n")
    gold = write(tmp_path / "l" / "test-en.tsv", "\n".join(GOLD) + "\n")
    with pytest.raises(ScoringError, match=rf"test-en\.tsv, line 1: 'Entailment' is not a label of xnli "
                                           r"\(contradiction, entailment, neutral\); correct the label, or pass "
                                           r"--unknown-labels wrong"):
        score("xnli", pred, gold)
    assert main(["score", "xnli", "--predictions", str(pred), "--labels", str(gold)]) == 2
    assert "line 1: 'Entailment' is not a label of xnli" in capsys.readouterr().err
    assert main(["score", "xnli", "--predictions", str(pred), "--labels", str(gold), "--unknown-labels", "wrong"]) == 0
    assert json.loads(capsys.readouterr().out)["average"] == {"avg_accuracy": 70.0}  # XTREME's behaviour, asked for
    tags = write(tmp_path / "p" / "test-de.tsv", "B-PER\nO\n\nB-PERSON\n")
    with pytest.raises(ScoringError, match=r"test-de\.tsv, line 4: 'B-PERSON' is not a label of panx"):
        score("panx", tags, write(tmp_path / "l" / "test-de.tsv", "B-PER\nO\n\nB-LOC\n"))


def test_local_data_files_with_a_byte_order_mark_or_another_encoding(tmp_path):
    row = {"premise": "é", "hypothesis": "b", "label": 0}
    write(tmp_path / "xnli" / "de" / "validation.jsonl", BOM + json.dumps(row) + "\n")
    assert DataSource("local", tmp_path).load(get_task("xnli"), "validation", "de")["premise"] == ["é"]
    write(tmp_path / "xnli" / "de" / "validation.jsonl", json.dumps(row, ensure_ascii=False) + "\n", "latin-1")
    with pytest.raises(DataError, match=r"validation\.jsonl: not UTF-8 text .*write it as UTF-8"):
        DataSource("local", tmp_path).load(get_task("xnli"), "validation", "de")
    write(tmp_path / "xnli" / "de" / "validation.jsonl", json.dumps(row) + "\n[1, 2]\n")
    with pytest.raises(DataError, match=r"validation\.jsonl:2: a JSON list, not an object"):
        DataSource("local", tmp_path).load(get_task("xnli"), "validation", "de")
    write(tmp_path / "mlm" / "de.txt", BOM + "Ein Satz.\nNoch einer.\n")
    assert _Local(tmp_path).lines("de") == ["Ein Satz.", "Noch einer."]


def test_bucc_files_with_a_byte_order_mark_and_a_malformed_line(tmp_path):
    folder = tmp_path / "bucc2018" / "de-en"
    write(folder / "de-en.sample.de", BOM + "de-1\tHallo Welt\n")
    write(folder / "de-en.sample.en", BOM + "en-1\tHello world\n")
    write(folder / "de-en.sample.gold", BOM + "de-1\ten-1\n")
    rows = read_bucc(tmp_path, "validation", "de")
    assert {r["id"]: r["gold"] for r in rows} == {"de-1": "en-1", "en-1": ""}
    write(folder / "de-en.sample.gold", "de-1 en-1\n")
    with pytest.raises(ValueError, match=r"de-en\.sample\.gold, line 1: expected \{lang\}-id<TAB>en-id"):
        read_bucc(tmp_path, "validation", "de")

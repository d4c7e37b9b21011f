"""`repro score` on small files: output shape, and bad input -> exit code 2 with file, line and fix."""
import json

import pytest

from repro.cli import main
from repro.scoring import ScoringError, score


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys, *args):
    rc = main(["score", *map(str, args)])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_single_files_print_json(tmp_path, capsys):
    pred = write(tmp_path / "p" / "test-de.tsv", "a\nb\nc\nc\n\n")  # trailing blank lines are fine
    gold = write(tmp_path / "l" / "test-de.tsv", "a\nb\nb\nc\n")
    rc, out, err = run(capsys, "xnli", "--predictions", pred, "--labels", gold)
    assert rc == 0, err
    assert json.loads(out) == {"task": "xnli", "per_language": {"de": {"accuracy": 75.0}}, "average": {"avg_accuracy": 75.0}}


def test_lang_option_names_a_file_and_picks_from_directories(tmp_path, capsys):
    pred = write(tmp_path / "p" / "predictions.tsv", "B-PER\nO\n\nO\n")
    gold = write(tmp_path / "l" / "gold.tsv", "B-PER\nO\n\nB-LOC\n")
    result = score("panx", pred, gold, lang="en")
    assert result["per_language"]["en"] == pytest.approx({"f1": 200 / 3, "precision": 100.0, "recall": 50.0})
    write(tmp_path / "pd" / "test-en.tsv", "0\n")
    write(tmp_path / "pd" / "test-fr.tsv", "1\n")
    write(tmp_path / "ld" / "test-en.tsv", "1\n")
    write(tmp_path / "ld" / "test-fr.tsv", "1\n")
    assert score("pawsx", tmp_path / "pd", tmp_path / "ld", lang="fr")["per_language"] == {"fr": {"accuracy": 100.0}}
    assert score("pawsx", tmp_path / "pd", tmp_path / "ld")["average"] == {"avg_accuracy": 50.0}


def _qa_gold(*qids):
    qas = [{"id": q, "question": "?", "answers": [{"text": "x", "answer_start": 0}]} for q in qids]
    return json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": "x", "qas": qas}]}]})


@pytest.mark.parametrize(
    ("task", "name", "pred", "gold", "where", "fix"),
    [
        ("xnli", "test-en.tsv", "a\nb\n", "a\nb\nc\n", "line 3", "one prediction per label line"),
        ("xnli", "test-en.tsv", "a\n\nb\n", "a\nb\nc\n", "p/test-en.tsv, line 2", "one label per line"),
        ("udpos", "test-en.tsv", "NOUN\n\nNOUN\nVERB\n", "NOUN\n\nNOUN\n", "p/test-en.tsv, line 3", "one tag per gold token"),
        ("panx", "test-en.tsv", "O\n", "O\n\nO\n", "1 sentences", "one block of tags per gold sentence"),
        ("panx", "test-en.tsv", "O\nword O\n", "O\nO\n", "p/test-en.tsv, line 2", "one tag per line"),
        ("bucc2018", "test-de.tsv", "a\tb\na b\n", "a\tb\n", "p/test-de.tsv, line 2", "one tab-separated pair per line"),
        ("xquad", "test-en.json", '{"q1": "x",\n}', _qa_gold("q1"), "p/test-en.json, line 2", "fix the JSON syntax"),
        ("xquad", "test-en.json", '["x"]', _qa_gold("q1"), "p/test-en.json", "JSON object"),
        ("tydiqa", "test-en.json", "{}", '{"data": [{"paras": []}]}', "l/test-en.json, data", "not SQuAD format"),
        ("mlqa", "test-fr.json", "{}", _qa_gold("q1"), "l/test-fr.json", "ar, de, en, es, hi, vi, zh"),
        ("udpos", "en.tsv", "NOUN\n", "NOUN\n", "en.tsv", "pass --lang"),
    ],
)
def test_bad_input_exits_2_naming_file_line_and_fix(tmp_path, capsys, task, name, pred, gold, where, fix):
    write(tmp_path / "p" / name, pred)
    write(tmp_path / "l" / name, gold)
    rc, out, err = run(capsys, task, "--predictions", tmp_path / "p" / name, "--labels", tmp_path / "l" / name)
    assert rc == 2
    assert out == ""
    assert err.startswith("repro score: error: ")
    assert where in err, err
    assert fix in err, err


def test_missing_prediction_file_for_a_label_file(tmp_path, capsys):
    write(tmp_path / "p" / "test-de.tsv", "1\n")
    write(tmp_path / "l" / "test-de.tsv", "1\n")
    write(tmp_path / "l" / "test-fr.tsv", "1\n")
    rc, _, err = run(capsys, "pawsx", "--predictions", tmp_path / "p", "--labels", tmp_path / "l")
    assert rc == 2
    assert "p/test-fr.tsv: missing" in err and "l/test-fr.tsv" in err


def test_prediction_file_without_labels(tmp_path, capsys):
    write(tmp_path / "p" / "test-de.tsv", "1\n")
    write(tmp_path / "p" / "test-xx.tsv", "1\n")
    write(tmp_path / "l" / "test-de.tsv", "1\n")
    rc, _, err = run(capsys, "pawsx", "--predictions", tmp_path / "p", "--labels", tmp_path / "l")
    assert rc == 2 and "test-xx.tsv has no label file" in err


def test_unknown_task_lists_known_ones(tmp_path, capsys):
    f = write(tmp_path / "test-en.tsv", "a\n")
    rc, _, err = run(capsys, "squad", "--predictions", f, "--labels", f)
    assert rc == 2
    assert "unknown task 'squad'" in err and "bucc2018, mlqa, panx" in err


def test_missing_path_and_mixed_kinds(tmp_path, capsys):
    f = write(tmp_path / "test-en.tsv", "a\n")
    rc, _, err = run(capsys, "xnli", "--predictions", tmp_path / "nope", "--labels", f)
    assert rc == 2 and "nope: no such file or directory" in err
    rc, _, err = run(capsys, "xnli", "--predictions", tmp_path, "--labels", f)
    assert rc == 2 and "two files or two directories" in err


def test_scoring_error_is_raised_by_the_api(tmp_path):
    write(tmp_path / "p" / "test-en.tsv", "a\n")
    write(tmp_path / "l" / "test-en.tsv", "a\nb\n")
    with pytest.raises(ScoringError, match="line 2"):
        score("xnli", tmp_path / "p", tmp_path / "l")

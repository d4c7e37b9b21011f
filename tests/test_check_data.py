"""`repro check-data`: every target's preprocessing over real rows, with its tolerances."""
import json
from pathlib import Path

import pytest

from repro.cli import main

REALDATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata"


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def squad(answers) -> str:
    qas = [{"id": f"q{i}", "question": "Wer bellt?", "answers": [{"answer_start": at, "text": text}]}
           for i, (text, at) in enumerate(answers)]
    return json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "Der Hund bellt laut.", "qas": qas}]}]})


def run(capsys, *args):
    status = main(["check-data", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def test_recovered_answers_labelled_words_and_a_repaired_offset_pass(tmp_path, capsys):
    write(tmp_path, "xquad/xquad.de.json", squad([("Hund", 4), ("bellt", 0)]))  # the second offset is wrong
    write(tmp_path, "udpos/dev-de.tsv", "Der\tDET\nHund\tNOUN\n\nBellt\tVERB\n")
    status, out, err = run(capsys, "--data-dir", tmp_path, "--json")
    assert status == 0, err
    checks = {c["task"]: c for c in json.loads(out)["checks"]}
    qa, pos = checks["xquad"], checks["udpos"]
    assert (qa["recovered"], qa["answerable"], qa["repaired"], qa["lang"]) == (2, 2, 1, "de")
    assert pos["words"] == pos["labelled_words"] == 3 and pos["rows"] == 2
    assert qa["predicted_tokens_per_example"] > 0 and qa["quantiles"]["max"] >= qa["quantiles"]["p50"] > 0


def test_an_answer_inside_a_sub_word_breaks_the_tolerance(tmp_path, capsys):
    write(tmp_path, "xquad/xquad.de.json", squad([("n", 6)]))  # the fixture tokenizer's piece is "nd"
    status, out, err = run(capsys, "--data-dir", tmp_path)
    assert status == 1
    assert ("tolerance broken: xquad de validation: 0/1 gold answers recoverable, below 99% "
            "(1 widened to sub-word boundaries, 0 in no window)") in err
    assert "q0: gold 'n', windows give 'nd'" in out


def test_bad_inputs_are_one_line_each(tmp_path, capsys):
    status, _, err = run(capsys, "--data-dir", tmp_path / "missing")
    assert status == 2 and "holds no file of XTREME's download layout" in err
    write(tmp_path, "xnli/dev-de.tsv", "A.\tB.\tneutral\n")
    status, _, err = run(capsys, "--data-dir", tmp_path, "--tokenizer", tmp_path / "xnli")
    assert status == 2 and err.count("\n") == 1 and f"--tokenizer {tmp_path / 'xnli'}: AutoTokenizer cannot load" in err
    write(tmp_path, "xnli/dev-fr.tsv", "A.\tB.\tmaybe\n")
    status, _, err = run(capsys, "--data-dir", tmp_path)
    assert status == 2 and f"{tmp_path / 'xnli/dev-fr.tsv'}:1: unknown label 'maybe'" in err


@pytest.mark.skipif(not (REALDATA / "xtreme").is_dir(), reason=f"no real XTREME rows at {REALDATA} (a fresh clone)")
def test_real_rows_through_every_targets_preprocessing(capsys):
    status, out, err = run(capsys, "--data-dir", REALDATA / "xtreme", "--tokenizer", REALDATA / "xlmr-tokenizer",
                           "--rows", 30, "--json")
    report = json.loads(out)
    assert status == (1 if report["problems"] else 0), err
    checks = report["checks"]
    assert {c["task"] for c in checks} == {"xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa",
                                           "bucc2018", "tatoeba"}
    tagged = [c for c in checks if c["words"] is not None]
    assert tagged and all(c["labelled_words"] == c["words"] for c in tagged)
    qa = [c for c in checks if c["answerable"]]
    assert qa and all(c["lost"] == 0 for c in qa)  # what is not recovered is a sub-word boundary, never lost

"""Every input is checked before any run computes: claim files field by field (types and ranges, one line
each with file, line, field and fix), and every data read of the planned runs (`repro.preflight`)."""
import re
from dataclasses import replace
from pathlib import Path

import pytest

from repro import plan
from repro.claims import ClaimError, load_claims
from repro.cli import main
from repro.data import DataSource
from repro.preflight import read_problems
from repro.profiles import PAPER
from repro.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]
GOOD = ('id = "m"\nseed_claim = 1\nquote = "q"\nsource = "s"\nkind = "magnitude"\nmargin_reason = "r"\n'
        'targets = ["xnli"]\nconfigurations = [["mnli"]]\nexpected = 1.0\nmargin = 0.5\n')


@pytest.mark.parametrize("old, new, where, fix", [
    ("margin = 0.5", 'margin = "1.5"', "line 10: margin = \"1.5\" is a string", "write a number without quotes"),
    ("expected = 1.0", "expected = true", "line 9: expected = true is a boolean", "expected = 8.2"),
    ('targets = ["xnli"]', "targets = 5", "line 7: targets = 5 is an integer", "a list of target tasks"),
    ('configurations = [["mnli"]]', 'configurations = "squad"', "line 8: configurations = \"squad\" is a string",
     'configurations = [["squad"]]'),
    ('configurations = [["mnli"]]', "configurations = [[]]", "line 8: configurations = [[]] holds an empty",
     "name at least one task"),
    ("margin = 0.5", "margin = -1.5", "line 10: margin = -1.5 is negative", "a number >= 0"),
    ("margin = 0.5", "margin = nan", "line 10: margin = nan is not a finite number", "margin = 1.5"),
    ("seed_claim = 1", 'seed_claim = "1"', "line 2: seed_claim = \"1\" is a string", "a whole number"),
    ('quote = "q"', "quote = 3", "line 3: quote = 3 is an integer", "text in quotes"),
    ("margin = 0.5", "margin = 0.5\ntwo_sided = \"yes\"", "line 11: two_sided = \"yes\" is a string",
     "true or false"),
    ("margin = 0.5", 'margin = 0.5\n[smoke]\nreason = "r"\nseeds = 0', "[smoke], line 13: seeds = 0 is below 1",
     "a whole number >= 1"),
])
def test_a_wrongly_typed_field_is_one_line_with_file_line_and_fix(tmp_path, old, new, where, fix):
    (tmp_path / "m.toml").write_text(GOOD.replace(old, new))
    with pytest.raises(ClaimError) as err:
        load_claims(tmp_path)
    (line,) = str(err.value).splitlines()
    separator = " " if where.startswith("[") else ", "
    assert line.startswith(f"{tmp_path / 'm.toml'}{separator}{where}") and fix in line


def test_every_bad_field_of_every_file_is_named_at_once(tmp_path):
    (tmp_path / "a.toml").write_text(GOOD.replace("margin = 0.5", 'margin = "1.5"').replace("expected = 1.0",
                                                                                          "expected = true"))
    (tmp_path / "b.toml").write_text(GOOD.replace('id = "m"', 'id = "b"').replace('targets = ["xnli"]', "targets = 5"))
    with pytest.raises(ClaimError) as err:
        load_claims(tmp_path)
    lines = str(err.value).splitlines()
    assert len(lines) == 3 and [l.split(",")[0] for l in lines] == [str(tmp_path / f) for f in ("a.toml",) * 2 + ("b.toml",)]


def test_claim_files_with_a_byte_order_mark_are_read_and_other_encodings_named(tmp_path):
    (tmp_path / "m.toml").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_claims(tmp_path)[0].margin == 0.5
    (tmp_path / "m.toml").write_bytes(GOOD.replace('quote = "q"', 'quote = "caf\u00e9"').encode("latin-1"))
    with pytest.raises(ClaimError, match=rf"^{re.escape(str(tmp_path / 'm.toml'))}: not UTF-8 text .*save the file "
                                         "as UTF-8$"):
        load_claims(tmp_path)


def _bad_claims(tmp_path) -> Path:
    claims = tmp_path / "claims"
    claims.mkdir()
    text = (ROOT / "claims" / "xnli-no-benefit.toml").read_text()
    (claims / "xnli.toml").write_text(re.sub(r"^margin = .*$", 'margin = "1.0"', text, flags=re.M))
    return claims


def test_repro_run_refuses_a_wrongly_typed_claim_before_computing(tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["run", "--store", str(store), "--claims", str(_bad_claims(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert re.search(r"xnli\.toml, line \d+: margin = \"1\.0\" is a string; write a number", err)
    assert not [p for p in RunStore(store, create=False).runs()]  # runs computed: 0


def test_data_that_cannot_be_had_is_named_before_any_run(tmp_path, capsys, quick_profile, monkeypatch):
    monkeypatch.setattr("repro.profiles.PROFILES", {"smoke": quick_profile})
    claims = tmp_path / "claims"
    claims.mkdir()
    text = (ROOT / "claims" / "xnli-no-benefit.toml").read_text()
    (claims / "xnli.toml").write_text(re.sub(r"^configurations = .*$", 'configurations = [["mnli"]]', text, flags=re.M))
    store = tmp_path / "store"
    assert main(["run", "--store", str(store), "--claims", str(claims), "--data-dir", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert "data read(s) of the planned runs cannot be served; nothing was computed" in err
    assert f"data directory {tmp_path / 'data'} does not exist" in err
    assert f"{tmp_path / 'data' / 'mnli' / 'en' / 'train.jsonl'} is missing: put the train split of mnli" in err
    assert not RunStore(store, create=False).runs()  # runs computed: 0 (not even the base model)
    # `repro plan` says the same, and still lists the runs
    assert main(["plan", "--store", str(store), "--claims", str(claims), "--data-dir", str(tmp_path / "data")]) == 0
    out, err = capsys.readouterr()
    assert "repro plan: data: " in err and "mnli/en/train.jsonl is missing" in err and "runs for 1 claim(s)" in out


def test_a_local_file_without_the_rows_fields_and_a_split_the_hub_lacks_are_named(tmp_path):
    spec = plan.target_spec(PAPER, DataSource("hub"), "xquad", intermediate=None, seed=1)
    assert read_problems(DataSource("hub"), [spec]) == []
    wrong = replace(spec, eval_sets=(("train", spec.eval_languages("validation")),))  # XQuAD: validation only
    (line, *_) = read_problems(DataSource("hub"), [wrong])
    assert line.startswith("xquad (train, ar): the hub has no google/xtreme (config 'XQuAD.ar', split 'train'")
    assert 'Unknown split "train"' in line and "--data-dir as xquad/ar/train.jsonl" in line
    (tmp_path / "xquad" / "ar").mkdir(parents=True)
    (tmp_path / "xquad" / "ar" / "validation.jsonl").write_text('{"context": "c", "question": "q"}\n')
    problems = read_problems(DataSource("hub", tmp_path), [spec])
    assert any(p.startswith(f"{tmp_path / 'xquad' / 'ar' / 'validation.jsonl'}: rows lack field(s)") and "answers" in p
               for p in problems)


def _project(pytester, monkeypatch):
    import shutil
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("REPRO_STORE", raising=False)
    shutil.copytree(ROOT / "claims", pytester.path / "claims")
    pytester.makeconftest('pytest_plugins = ["repro.pytest_plugin"]')  # also where the package is not installed


def test_pytest_claims_stop_before_any_run_on_a_bad_claim_or_missing_data(pytester, monkeypatch, tmp_path):
    _project(pytester, monkeypatch)
    store = pytester.path / "store"  # inside the project: an existing --store path keeps the rootdir
    args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-m", "claims", "-k", "xnli-no-benefit", "--store", str(store)]
    result = pytester.runpytest_subprocess(*args, "--data-dir", str(tmp_path / "empty"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: * data read(s) of the planned runs cannot be served; nothing was computed:",
                                 f"{tmp_path / 'empty'}/*.jsonl is missing: put the *"])
    assert not RunStore(store, create=False).runs()  # runs computed: 0
    bad = pytester.path / "claims" / "xnli-no-benefit.toml"
    bad.write_text(re.sub(r"^margin = .*$", 'margin = "1.0"', bad.read_text(), flags=re.M))
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: bad claim file: {bad}, line *: margin = \"1.0\" is a string; write a number*"])
    assert not RunStore(store, create=False).runs()


def test_a_data_dir_that_is_a_file_is_named(tmp_path, capsys):
    (tmp_path / "data").write_text("not a directory")
    assert main(["plan", "--store", str(tmp_path / "store"), "--data-dir", str(tmp_path / "data")]) == 2
    assert f"--data-dir {tmp_path / 'data'} is a file, not a directory" in capsys.readouterr().err

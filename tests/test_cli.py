"""Bad input on the command line: one line naming the problem and the fix, exit status 2, nothing written."""
from pathlib import Path

import pytest

from repro.cli import main

ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["pytester"]


def test_an_unknown_profile_is_one_line_and_status_2(capsys, monkeypatch):
    monkeypatch.delenv("REPRO_DEBUG", raising=False)
    assert main(["plan", "--profile", "nonsense"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["repro plan: unknown profile 'nonsense'; choose one of: smoke, paper, rehearsal (with --profile or "
                   "REPRO_PROFILE) (REPRO_DEBUG=1 shows the traceback)"]
    monkeypatch.setenv("REPRO_DEBUG", "1")
    with pytest.raises(KeyError, match="unknown profile"):
        main(["plan", "--profile", "nonsense"])


@pytest.mark.parametrize("command", [["run", "--only", "nothing"], ["plan"]])
def test_a_store_that_is_a_file_is_one_line_and_left_alone(tmp_path, capsys, monkeypatch, command):
    monkeypatch.delenv("REPRO_DEBUG", raising=False)
    store = tmp_path / "runs"
    store.write_text("precious")
    assert main([*command, "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"run store {store} is a file, not a directory; give --store a directory" in err[0]
    assert store.read_text() == "precious"


def test_a_report_directory_that_is_a_file_is_one_line_and_left_alone(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("REPRO_DEBUG", raising=False)
    out = tmp_path / "reports"
    out.write_text("precious")
    assert main(["report", "--store", str(tmp_path), "--out", str(out)]) == 2
    assert f"report directory {out} is a file; give --out a directory" in capsys.readouterr().err
    assert out.read_text() == "precious"


def test_report_from_a_store_that_does_not_exist_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "no-such-store"
    assert main(["report", "--store", str(missing), "--out", str(tmp_path / "out")]) == 2
    assert "no run store at" in capsys.readouterr().err
    assert not missing.exists() and not (tmp_path / "out").exists()


def test_a_missing_file_is_named_in_one_line(tmp_path, capsys):
    missing = tmp_path / "old-report.json"
    assert main(["report", "--compare", str(missing), str(missing)]) == 2
    assert capsys.readouterr().err.startswith(f"repro report: {missing}: No such file or directory")


def test_pytest_names_a_bad_profile_once_as_a_usage_error(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest('pytest_plugins = ["repro.pytest_plugin"]')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--profile", "nonsense")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: unknown profile 'nonsense'; choose one of: smoke, paper*"])

"""Paths: an empty --store is a usage error (not the working directory), a run folder or store that is a
symbolic-link loop is named as such, and a selection of nothing creates nothing."""
import os
import re
from pathlib import Path

import pytest

from repro.cli import main
from repro.store import CorruptRunError, RunStore, StorePathError
from tests.test_store import spec, write_payload

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


@pytest.mark.parametrize("command", [["run"], ["plan"], ["report", "--out", "out"], ["run", "--data-dir="]])
def test_an_empty_store_or_data_dir_is_a_usage_error_and_the_working_directory_stays_empty(
        tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REPRO_STORE", raising=False)
    store = ["--store", "runs"] if "--data-dir=" in command else ["--store="]
    assert main([*command, *store, "--claims", str(ROOT / "claims")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"--(store|data-dir) is empty: give it a directory", err), err
    assert not list(tmp_path.iterdir())  # no .locks, .work or run folders in the working directory


def test_pytest_refuses_an_empty_store(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest('pytest_plugins = ["repro.pytest_plugin"]')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:xdist", "--store=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --store is empty: give it a directory*"])
    assert not (pytester.path / ".locks").exists()


def test_a_run_folder_that_is_a_symlink_loop_is_damaged_moved_aside_and_recomputed(tmp_path):
    store = RunStore(tmp_path / "store")
    folder = store.ensure(spec(), write_payload).path
    os.rename(folder, tmp_path / "elsewhere")
    os.symlink(folder, folder)  # a link to itself: a loop
    with pytest.raises(CorruptRunError, match="is a symbolic link that leads nowhere"):
        store.get(spec())
    with pytest.raises(CorruptRunError, match="is a symbolic link that leads nowhere"):
        store.read(folder.name)
    store.drain_events()
    store.ensure(spec(), write_payload)
    assert [e["event"] for e in store.drain_events()] == ["damaged", "computed"]
    assert folder.is_dir() and not folder.is_symlink()
    (aside,) = (store.root / ".corrupt").iterdir()
    assert aside.is_symlink()  # kept, not deleted


def test_a_store_that_is_a_symlink_loop_is_named_as_such(tmp_path, capsys):
    loop = tmp_path / "runs"
    os.symlink(loop, loop)
    for create in (True, False):
        with pytest.raises(StorePathError, match=r"runs is a symbolic link that leads nowhere \(a loop"):
            RunStore(loop, create=create)
    assert main(["plan", "--store", str(loop), "--claims", str(ROOT / "claims"), "-k", "squad"]) == 2
    assert "is a symbolic link that leads nowhere" in capsys.readouterr().err


@pytest.mark.parametrize("selection", [["--only", "no-such-run"], ["--wave", "9"], ["-k", "no-such-claim"]])
def test_a_run_selecting_nothing_creates_nothing(tmp_path, capsys, selection):
    store = tmp_path / "store"
    assert main(["run", "--store", str(store), "--claims", str(ROOT / "claims"), *selection]) == 2
    err = capsys.readouterr().err
    # a wave past the last is named with the plan's range (repro/cli/run.py check_wave)
    assert ("the plan has waves 0 to" in err) if "--wave" in selection else ("nothing selected" in err)
    assert not store.exists()

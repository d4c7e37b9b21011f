"""A run's key holds its data: local files enter by content, so changed data means new runs and the
same data under another directory recomputes nothing (`repro.fingerprint`, `DataSource.run_identity`)."""
import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from repro import fingerprint, plan
from repro.cli import main
from repro.data import DataError, DataSource
from repro.data_requests import Read, reads_of
from repro.engine import Engine
from repro.profiles import PAPER
from repro.store import RunStore
from repro.tasks import get_task

CLAIMS = Path(__file__).resolve().parents[1] / "claims"


def export(root: Path, profile, spec) -> Path:
    """Write the fixture rows every read of `spec` touches into `root` in the local layout."""
    fixture = DataSource("fixture", fixture_sizes=profile.fixture_sizes)
    for read in reads_of(spec):
        task = get_task(read.task)
        path = root / task.name / read.lang / f"{read.split}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = fixture.load(task, read.split, read.lang)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return root


def relabel(root: Path, task: str, split: str) -> None:
    """Change every gold label of `task`'s `split` under `root` (each language)."""
    for path in (root / task).glob(f"*/{split}.jsonl"):
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        path.write_text("".join(json.dumps({**r, "label": (r["label"] + 1) % 3}) + "\n" for r in rows))


@pytest.fixture(autouse=True)
def private_hash_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(fingerprint.CACHE_ENV, str(tmp_path / "hash-cache.json"))


def xnli_spec(profile, root):
    return plan.target_spec(profile, DataSource("local", root), "xnli", intermediate=None, seed=1)


def test_the_key_follows_the_content_of_exactly_the_files_a_run_reads(tmp_path, quick_profile):
    a = export(tmp_path / "a", quick_profile, xnli_spec(quick_profile, tmp_path / "none"))
    spec_a = xnli_spec(quick_profile, a)
    assert spec_a.data.startswith("local+files:")
    b = Path(shutil.copytree(a, tmp_path / "elsewhere" / "b"))
    assert xnli_spec(quick_profile, b).key == spec_a.key  # the same data under another path: the same run
    (b / "xnli" / "fr").mkdir()  # a file no read touches changes nothing
    (b / "xnli" / "fr" / "validation.jsonl").write_text('{"premise": "a", "hypothesis": "b", "label": 0}\n')
    assert xnli_spec(quick_profile, b).key == spec_a.key
    relabel(b, "xnli", "validation")  # another validation set: another run
    assert xnli_spec(quick_profile, b).key != spec_a.key
    assert xnli_spec(quick_profile, tmp_path / "nowhere").key != spec_a.key  # absent data is no stored run


def test_generated_and_hub_data_keep_their_identity(tmp_path):
    fixture = DataSource("fixture", fixture_sizes={"train": 8})
    spec = plan.target_spec(PAPER, DataSource("hub"), "xnli", intermediate=("mnli",), seed=1)
    assert spec.data == spec.parent.data == "hub"  # repo, revision and config stay the task registry's
    assert DataSource("fixture", fixture_sizes={"train": 8}).run_identity(reads_of(spec)) == fixture.identity
    # a local copy on the hub profile enters by content; what the hub lacks (BUCC's files) too
    copy = tmp_path / "mnli" / "en"
    copy.mkdir(parents=True)
    (copy / "train.jsonl").write_text('{"premise": "a", "hypothesis": "b", "label": 0}\n')
    with_copy = plan.target_spec(PAPER, DataSource("hub", tmp_path), "udpos", intermediate=("mnli",), seed=1)
    assert with_copy.parent.data.startswith("hub+files:") and with_copy.data == "hub"  # UDPOS reads the hub only
    xnli = plan.target_spec(PAPER, DataSource("hub", tmp_path), "xnli", intermediate=("mnli",), seed=1)
    assert xnli.data.startswith("hub+files:")  # XNLI trains on MNLI: its local copy
    bucc = plan.target_spec(PAPER, DataSource("hub", tmp_path), "bucc2018", intermediate=None, seed=0)
    assert reads_of(bucc) >= {Read("bucc2018", "test", "de"), Read("bucc2018", "validation", "de")}  # threshold
    files = DataSource("hub", tmp_path).files_read(get_task("bucc2018"), "validation", "de")
    assert "bucc2018/de-en/de-en.sample.gold" in files and bucc.data.startswith("hub+files:")


def test_file_digests_are_cached_by_path_size_and_mtime(tmp_path, monkeypatch):
    path = tmp_path / "rows.jsonl"
    path.write_text("one\n")
    first = fingerprint.file_sha256(path)
    stat = path.stat()
    path.write_text("two\n")  # same size; the mtime put back: the cached digest is taken
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert fingerprint.file_sha256(path) == first
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    second = fingerprint.file_sha256(path)
    assert second != first
    # another process reads the digest from the cache file instead of the data
    monkeypatch.setattr(fingerprint, "_MEMORY", {})
    monkeypatch.setattr(fingerprint, "_LOADED", set())
    monkeypatch.setattr(fingerprint.hashlib, "sha256", None)  # hashing would now fail
    assert fingerprint.file_sha256(path) == second


def test_changed_data_gives_new_runs_and_the_same_data_elsewhere_none(tmp_path, quick_profile):
    store = RunStore(tmp_path / "store")
    a = export(tmp_path / "a", quick_profile, xnli_spec(quick_profile, tmp_path / "none"))
    engine = Engine(store, DataSource("local", a), quick_profile)
    run_a = engine.ensure(xnli_spec(quick_profile, a))
    assert [e["event"] for e in store.drain_events()] == ["computed", "computed"]  # base model, target
    # the same files elsewhere: nothing is computed
    c = Path(shutil.copytree(a, tmp_path / "c"))
    assert Engine(store, DataSource("local", c), quick_profile).ensure(xnli_spec(quick_profile, c)).path == run_a.path
    assert {e["event"] for e in store.drain_events()} == {"reused"}
    # other validation labels: the target is computed again and scores differently; the base model is reused
    b = Path(shutil.copytree(a, tmp_path / "b"))
    relabel(b, "xnli", "validation")
    run_b = Engine(store, DataSource("local", b), quick_profile).ensure(xnli_spec(quick_profile, b))
    assert [e["event"] for e in store.drain_events()] == ["reused", "computed"]
    assert run_b.path != run_a.path and run_b.read_json("metrics.json") != run_a.read_json("metrics.json")
    # data changed after planning: the run is refused before it trains, never stored under the old key
    planned = xnli_spec(quick_profile, c)
    relabel(c, "mnli", "train")
    with pytest.raises(DataError, match=r"is not the data its key names.*plan again"):
        Engine(store, DataSource("local", c), quick_profile).ensure(replace(planned, seed=2))


def test_plan_names_runs_stored_on_other_data(tmp_path, capsys, quick_profile, monkeypatch):
    monkeypatch.setattr("repro.profiles.PROFILES", {"smoke": quick_profile})
    claims = tmp_path / "claims"  # the XNLI claim cut to its baseline and MNLI
    claims.mkdir()
    text = (CLAIMS / "xnli-no-benefit.toml").read_text()
    (claims / "xnli.toml").write_text(re.sub(r"^configurations = .*$", 'configurations = [["mnli"]]', text, flags=re.M))
    a = export(tmp_path / "a", quick_profile, xnli_spec(quick_profile, tmp_path / "none"))
    store = RunStore(tmp_path / "store")
    spec = xnli_spec(quick_profile, a)
    stand_in = lambda work: (work / "metrics.json").write_text("{}")  # noqa: E731 (no training needed)
    store.ensure(spec.parent, stand_in)
    store.ensure(spec, stand_in)
    old = replace(spec, data="local")  # a store from before fingerprints: the data field named no content
    store.ensure(old, stand_in)

    def plan_lines(data_dir):
        assert main(["plan", "--store", str(store.root), "--claims", str(claims), "--seeds", "1",
                     "--data-dir", str(data_dir)]) == 0
        return capsys.readouterr().out.splitlines()
    assert any(line.startswith("stored") and line.endswith(spec.dirname) for line in plan_lines(a))
    b = Path(shutil.copytree(a, tmp_path / "b"))
    relabel(b, "xnli", "validation")
    lines = plan_lines(b)
    changed = [line for line in lines if "(stored on other data: " in line]
    assert len(changed) == 1 and changed[0].startswith("missing")
    assert changed[0].endswith(("(stored on other data: " + spec.dirname + ")", f"{old.dirname})"))
    assert any(line.startswith("1 run(s) to compute are stored on other data") for line in lines)
    # a data directory that does not exist shows no run that reads data as stored (the base model reads none)
    stored = [line for line in plan_lines(tmp_path / "nowhere") if line.startswith("stored ")]
    assert stored and all(line.endswith(spec.parent.dirname) for line in stored)

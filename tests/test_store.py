"""The run store: computed once, atomic, damaged entries moved aside and recomputed."""
import json
import multiprocessing
import tempfile
import time

import pytest

from repro.profiles import TinyModel
from repro.spec import RunSpec
from repro.store import CorruptRunError, MissingRunError, RunStore, StorePathError, verify


def spec(seed=0):
    return RunSpec(kind="pretrained", base_model=TinyModel(init_seed=seed), seed=seed)


def write_payload(work):
    (work / "metrics.json").write_text(json.dumps({"value": 1}))
    (work / "model").mkdir()
    (work / "model" / "weights.bin").write_bytes(b"\0" * 1000)


def test_ensure_computes_once_and_reuses(tmp_path):
    store, calls = RunStore(tmp_path), []
    run = store.ensure(spec(), lambda work: (calls.append(1), write_payload(work)))
    again = store.ensure(spec(), lambda work: calls.append(1))
    assert calls == [1]
    assert run.path == again.path and run.read_json("metrics.json") == {"value": 1}
    assert json.loads((run.path / "spec.json").read_text())["key"] == spec().key
    verify(run.path, full=True)


def test_failed_compute_leaves_no_finished_run(tmp_path):
    store = RunStore(tmp_path)

    def crash(work):
        write_payload(work)
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        store.ensure(spec(), crash)
    assert store.get(spec()) is None
    assert store.runs() == []
    run = store.ensure(spec(), write_payload)  # the leftover work folder is discarded
    assert run.read_json("metrics.json") == {"value": 1}


@pytest.mark.parametrize("damage", ["truncate", "delete", "manifest"])
def test_damaged_run_is_moved_aside_and_recomputed(tmp_path, damage):
    store = RunStore(tmp_path)
    path = store.ensure(spec(), write_payload).path
    if damage == "truncate":
        (path / "model" / "weights.bin").write_bytes(b"\0" * 10)
    elif damage == "delete":
        (path / "metrics.json").unlink()
    else:
        (path / "MANIFEST.json").write_text("{not json")
    with pytest.raises(CorruptRunError):
        store.get(spec())
    calls = []
    store.ensure(spec(), lambda work: (calls.append(1), write_payload(work)))
    assert calls == [1]
    verify(store.path(spec()), full=True)
    kept = list((tmp_path / ".corrupt").iterdir())
    assert len(kept) == 1 and kept[0].name.startswith(spec().dirname)  # nothing is lost


def test_same_size_tampering_is_caught_by_hash(tmp_path):
    store = RunStore(tmp_path)
    path = store.ensure(spec(), write_payload).path
    (path / "metrics.json").write_text(json.dumps({"value": 2}))
    with pytest.raises(CorruptRunError, match="SHA-256"):
        store.get(spec())


def test_missing_run_without_compute_names_the_fix(tmp_path):
    with pytest.raises(MissingRunError, match="not in the store"):
        RunStore(tmp_path).ensure(spec(), None)


def _slow_compute(root, log):
    def compute(work):
        with open(log, "a") as fh:
            fh.write("computed\n")
        time.sleep(1.0)
        write_payload(work)
    RunStore(root).ensure(spec(), compute)


def test_concurrent_processes_compute_once(tmp_path):
    log = tmp_path / "log.txt"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_slow_compute, args=(tmp_path / "store", log)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert log.read_text().count("computed") == 1


def _rank_ensures(rank, root, port):
    """One rank of a two-process launch asking for the same run twice."""
    import os

    import torch.distributed as dist

    # as torchrun sets it on one machine; no GPU, so the process state is gloo's on any machine
    os.environ.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE="2",
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), CUDA_VISIBLE_DEVICES="")
    dist.init_process_group("gloo", rank=rank, world_size=2)
    store = RunStore(root)

    def compute(work):
        with open(f"{root}/computed-by-{rank}", "a") as fh:
            fh.write(str(work) + "\n")
        if rank == 0:
            write_payload(work)

    for _ in range(2):
        store.ensure(spec(), compute)
    dist.destroy_process_group()


def test_ranks_of_one_launch_compute_a_run_together_and_publish_it_once(tmp_path):
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_rank_ensures, args=(str(tmp_path), port), nprocs=2, join=True)
    work_dirs = [(tmp_path / f"computed-by-{rank}").read_text().split() for rank in (0, 1)]
    assert work_dirs[0] == work_dirs[1] and len(work_dirs[0]) == 1  # both computed, once, in one folder
    run = RunStore(tmp_path).get(spec())
    assert run is not None and run.read_json("metrics.json") == {"value": 1}
    verify(run.path, full=True)


def test_events_say_what_was_computed_reused_and_moved_aside(tmp_path):
    store = RunStore(tmp_path)
    store.ensure(spec(), write_payload)
    store.ensure(spec(), write_payload)
    assert [(e["event"], e["run"]) for e in store.drain_events()] == [("computed", spec().dirname),
                                                                      ("reused", spec().dirname)]
    assert store.drain_events() == []  # drained
    (store.path(spec()) / "metrics.json").write_text("{}")
    store.ensure(spec(), write_payload)
    damaged, computed = store.drain_events()
    (kept,) = (tmp_path / ".corrupt").iterdir()
    assert damaged == {"event": "damaged", "run": spec().dirname, "moved_to": str(kept),
                       "reason": damaged["reason"]} and "metrics.json" in damaged["reason"]
    assert computed == {"event": "computed", "run": spec().dirname}


def test_a_store_path_that_is_a_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "runs"
    path.write_text("precious")
    with pytest.raises(StorePathError, match="run store .*runs is a file, not a directory; give --store a directory"):
        RunStore(path)
    assert path.read_text() == "precious"


def test_an_unwritable_store_is_refused(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(StorePathError, match="is not writable .Permission denied.; .*give --store a writable"):
        RunStore(tmp_path / "runs")


def test_a_store_opened_for_reading_creates_nothing_and_computes_nothing(tmp_path):
    reader = RunStore(tmp_path / "absent", create=False)
    assert reader.get(spec()) is None and reader.runs() == [] and not (tmp_path / "absent").exists()
    with pytest.raises(MissingRunError, match="not in the store"):
        reader.read(spec().dirname)
    with pytest.raises(ValueError, match="opened for reading only; open it with create=True"):
        reader.ensure(spec(), lambda work: None)
    assert not (tmp_path / "absent").exists()


def test_runs_are_read_by_folder_name_and_by_key_and_checked(tmp_path):
    child = RunSpec(kind="target", base_model=spec().base_model, tasks=("xnli",), parent=spec(), seed=1,
                    eval_task="xnli")
    writer = RunStore(tmp_path)
    for one in (spec(), child):
        writer.ensure(one, lambda work: (work / "metrics.json").write_text('{"xnli": {}}'))
    reader = RunStore(tmp_path, create=False)
    run = reader.read(child.dirname)
    assert run.key == child.key and run.spec == child.to_dict() and run.read_json("metrics.json") == {"xnli": {}}
    assert run.read_json("env.json", {}) == {}
    assert reader.read_key(run.spec["parent"]).name == spec().dirname
    assert reader.read_key("0" * 64) is None
    (tmp_path / spec().dirname / "metrics.json").write_text('{"xnli": 1}')
    with pytest.raises(CorruptRunError, match="bytes, manifest says"):
        reader.read_key(child.to_dict()["parent"])


def test_busy_says_whether_another_holder_computes_a_run(tmp_path):
    from filelock import FileLock
    store = RunStore(tmp_path)
    assert not store.busy(spec(1))
    (tmp_path / ".locks").mkdir(exist_ok=True)
    held = FileLock(str(tmp_path / ".locks" / f"{spec(1).dirname}.lock"))
    with held:
        assert store.busy(spec(1)) and not store.busy(spec(2))
    assert not store.busy(spec(1))


def test_ensure_many_takes_free_runs_before_those_another_process_computes(tmp_path):
    from filelock import FileLock

    from repro.engine import Engine
    from repro.profiles import SMOKE
    store = RunStore(tmp_path)
    (tmp_path / ".locks").mkdir(exist_ok=True)
    held = FileLock(str(tmp_path / ".locks" / f"{spec(1).dirname}.lock"))
    order = []

    class Recording(Engine):
        def _execute(self, run_spec, work):
            order.append(run_spec.seed)
            write_payload(work)
            if held.is_locked:
                held.release()  # "the other process" finishes spec 1's turn: it is free again

    engine = Recording(store, None, SMOKE)
    held.acquire()
    runs = engine.ensure_many([spec(1), spec(2), spec(3), spec(2)])
    assert order == [2, 1, 3]  # 1 was taken: 2 first, then 1 as soon as it was free
    assert list(runs) == [spec(2), spec(1), spec(3)] and all(run.path.is_dir() for run in runs.values())


def test_a_verified_run_is_not_hashed_again_unless_a_file_changed(tmp_path, monkeypatch):
    """Large files of a folder this process verified are hashed again only after a change of size, time or
    inode; small ones every time, so a damaged metrics file is still found at once."""
    import os
    import repro.store as store_module
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "big.bin").write_bytes(b"x" * store_module.REHASH_BELOW)
    (folder / "small.json").write_text("{}")
    store_module.write_manifest(folder)
    hashed = []
    real = store_module._sha256
    monkeypatch.setattr(store_module, "_sha256", lambda path: hashed.append(path.name) or real(path))
    verify(folder)
    verify(folder)
    assert hashed.count("big.bin") == 1 and hashed.count("small.json") == 2
    (folder / "small.json").write_text("[]")  # same size, other bytes
    with pytest.raises(CorruptRunError, match="small.json does not match"):
        verify(folder)
    (folder / "small.json").write_text("{}")
    big = folder / "big.bin"
    big.write_bytes(b"y" * store_module.REHASH_BELOW)
    os.utime(big, ns=(big.stat().st_atime_ns, big.stat().st_mtime_ns + 10**9))  # a later write
    with pytest.raises(CorruptRunError, match="big.bin does not match"):
        verify(folder)

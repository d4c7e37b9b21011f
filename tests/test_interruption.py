"""Pins the good cases of the bad-input sweep that no other test held: a run killed with SIGKILL or
interrupted with Ctrl-C mid-compute leaves no finished run and no held lock, and the next process
computes it (its half-written work discarded)."""
import multiprocessing
import os
import signal
import time

import pytest

from repro.store import RunStore
from tests.test_store import spec, write_payload


def _compute_then_hang(root, started):
    def hang(work):
        write_payload(work)
        started.set()
        time.sleep(60)
    RunStore(root).ensure(spec(), hang)


def test_a_run_killed_mid_compute_leaves_no_run_and_no_lock(tmp_path):
    context = multiprocessing.get_context("fork")
    started = context.Event()
    worker = context.Process(target=_compute_then_hang, args=(tmp_path, started))
    worker.start()
    assert started.wait(30)
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(30)
    store = RunStore(tmp_path)
    assert store.get(spec()) is None and (tmp_path / ".work" / spec().dirname).is_dir()  # half-done, unpublished
    run = store.ensure(spec(), write_payload)  # the lock died with the process: no wait
    assert run.read_json("metrics.json") == {"value": 1}
    assert not (tmp_path / ".work" / spec().dirname).exists()


def test_ctrl_c_mid_compute_leaves_no_run(tmp_path):
    store = RunStore(tmp_path)

    def interrupted(work):
        write_payload(work)
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        store.ensure(spec(), interrupted)
    assert store.get(spec()) is None
    assert store.ensure(spec(), write_payload).read_json("metrics.json") == {"value": 1}

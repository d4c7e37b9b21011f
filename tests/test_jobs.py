"""`repro run`: computing the claims' runs outside pytest, in shards or across the ranks of torchrun."""
import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from repro.cli import main
from repro.claims import select_claims
from repro.cli.run import parse_shard, select_runs
from repro.profiles import SMOKE
from repro.store import RunStore, verify

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "claims"


def test_shards_split_the_runs_without_overlap():
    specs = [type("Spec", (), {"dirname": f"target-x-s{i}-abc", "key": f"{i:064x}"})() for i in range(7)]
    shards = [select_runs(specs, shard=parse_shard(f"{i}/3")) for i in range(3)]
    names = [s.dirname for shard in shards for s in shard]
    assert sorted(names) == sorted(s.dirname for s in specs) and len(names) == len(set(names))
    assert [s.dirname for s in select_runs(specs, only="target-x-s3")] == ["target-x-s3-abc"]


@pytest.mark.parametrize("text", ["3", "2/2", "a/b", "-1/4"])
def test_a_malformed_shard_is_refused(text, tmp_path, capsys):
    assert main(["run", "--store", str(tmp_path), "--claims", str(CLAIMS), f"--shard={text}"]) == 2
    assert "--shard" in capsys.readouterr().err


def test_run_computes_only_the_selected_runs(tmp_path, capsys):
    assert main(["run", "--store", str(tmp_path), "--claims", str(CLAIMS), "--only", "pretrained"]) == 0
    assert capsys.readouterr().out.startswith("done     pretrained-base")
    assert [p.name.split("-")[0] for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["pretrained"]
    assert main(["run", "--store", str(tmp_path), "--claims", str(CLAIMS), "--only", "no-such-run"]) == 2


@pytest.mark.slow
def test_two_ranks_of_torchrun_train_one_run_together(tmp_path):
    """Under torchrun (CPU, gloo) the ranks share the training: half the optimizer steps of one process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(port),
               "-m", "repro", "run", "--store", str(tmp_path), "--claims", str(CLAIMS), "--only", "target-xnli-s1"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("done     target-xnli-s1") == 1  # rank 0 alone reports
    (run_dir,) = [p for p in tmp_path.iterdir() if p.name.startswith("target-xnli-s1")]
    verify(run_dir, full=True)
    config = SMOKE.target["xnli"]
    steps_per_epoch = math.ceil(SMOKE.fixture_sizes["train"] / (2 * config.batch_size))
    assert json.loads((run_dir / "train_log.json").read_text())["steps"] == config.epochs * steps_per_epoch
    assert len(list(RunStore(tmp_path).root.glob(".work/*"))) == 0


def test_a_wave_never_waits_on_a_lock_of_a_later_wave(tmp_path, capsys, monkeypatch):
    from filelock import FileLock

    from repro.data import data_source
    from repro.plan import planned_runs, wave

    args = ["run", "--store", str(tmp_path), "--claims", str(CLAIMS), "-k", "xnli"]
    # a wave whose parents are not stored is refused at once, naming the wave to run first
    assert main(args + ["--wave", "1"]) == 2
    assert "run `repro run --wave 0` first" in capsys.readouterr().err
    assert main(args + ["--wave", "0"]) == 0
    assert capsys.readouterr().out.startswith("done     pretrained-base")
    # jobs of wave 2 hold their runs' locks; wave 1 must finish without asking for any of them
    runs = planned_runs(select_claims(CLAIMS, "xnli"), SMOKE, data_source(SMOKE))
    assert {run.wave for run in runs} == {0, 1, 2}
    held = [FileLock(str(tmp_path / ".locks" / f"{run.name}.lock")) for run in runs if run.wave > 1]
    for lock in held:
        lock.acquire()
    requested = []
    original = RunStore._lock

    def recorded(store, spec):
        requested.append(spec)
        lock = original(store, spec)
        lock.timeout = 10  # a wait on a held lock fails the test instead of hanging it
        return lock

    monkeypatch.setattr(RunStore, "_lock", recorded)
    try:
        assert main(args + ["--wave", "1", "--only", "intermediate-mnli-s1"]) == 0
    finally:
        for lock in held:
            lock.release()
    assert requested and {wave(spec) for spec in requested} == {1}
    assert capsys.readouterr().out.startswith("done     intermediate-mnli-s1")


def test_a_waves_shards_get_similar_gpu_hours():
    from repro.data import DataSource
    from repro.cli.run import dearest_first
    from repro.plan import planned_runs
    from repro.profiles import PAPER

    runs = planned_runs(select_claims(CLAIMS), PAPER, DataSource(PAPER.data_source))
    for wave in (0, 1):
        pool = dearest_first([run for run in runs if run.wave == wave])
        hours = {run.spec.key: run.gpu_hours for run in pool}
        totals = [sum(hours[s.key] for s in select_runs([r.spec for r in pool], shard=(i, 16), wave=wave))
                  for i in range(16)]
        assert max(totals) - min(totals) <= pool[0].gpu_hours + 1e-9
        assert sum(totals) == pytest.approx(sum(hours.values()))

"""`repro submit` (arrays per wave, afterok, signal and requeue) and `repro plan --gpus` (makespan)."""
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from repro.cli import main
from repro.cli.submit import JOB_SCRIPT
from repro.profiles import PAPER
from repro.schedule import critical_path, makespan, wave_makespan

CLAIMS = Path(__file__).resolve().parents[1] / "claims"


def _submit(capsys, *args) -> tuple[int, str, str]:
    rc = main(["submit", "--claims", str(CLAIMS), *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_dry_run_prints_one_array_per_wave_chained_with_afterok(capsys, tmp_path):
    rc, out, _ = _submit(capsys, "--profile", "paper", "--store", str(tmp_path / "s"), "--dry-run",
                         "--partition", "gpu")
    lines = out.splitlines()
    assert rc == 0 and [line.split("=", 1)[0] for line in lines] == ["W0", "W1"]
    assert not (tmp_path / "s").exists()  # a dry run creates nothing
    for w, line in enumerate(lines):
        assert "--requeue" in line and "--signal=B:USR1@600" in line and "--partition=gpu" in line
        assert f"--wave {w}" in line and str(JOB_SCRIPT) in line and "--gres=gpu:1" in line
    assert '"--dependency=afterok:$W0"' in lines[1] and "--kill-on-invalid-dep=yes" in lines[1]
    assert "--dependency" not in lines[0]
    assert int(re.search(r"--array=0-(\d+)", lines[1]).group(1)) == 63  # at most --max-array elements
    assert os.access(JOB_SCRIPT, os.X_OK)


def test_runs_above_a_gpu_hour_limit_get_their_own_torchrun_array(capsys, tmp_path):
    rc, out, _ = _submit(capsys, "--profile", "paper", "--store", str(tmp_path), "--dry-run",
                         "--torchrun-above", "2", "--torchrun-gpus", "4")
    lines = dict(line.split("=", 1) for line in out.splitlines())
    assert rc == 0 and set(lines) == {"W0", "W0M", "W1"}
    assert "--gres=gpu:4" in lines["W0M"] and f"{JOB_SCRIPT} " in lines["W0M"]
    # the nine-task mixture, one run per chain of the first round: one shard each
    chains = len(PAPER.seeds)
    assert f" 4 {chains} --profile paper" in lines["W0M"] and f"--array=0-{chains - 1} " in lines["W0M"]
    assert "--min-gpu-hours 2.0" in lines["W0M"]
    assert "--max-gpu-hours 2.0" in lines["W0"] and '"--dependency=afterok:$W0:$W0M"' in lines["W1"]


@pytest.mark.parametrize("args, message", [
    (["--from-wave", "5"], "--from-wave 5: the plan has waves 0 to 1"),
    (["--max-array", "0"], "--max-array 0: give a number >= 1"),
    (["--store", "/sys/repro-store"], "run store /sys/repro-store is not writable"),
])
def test_bad_submissions_are_one_line(capsys, args, message):
    rc, _, err = _submit(capsys, "--profile", "paper", "--store", "/tmp/unused-store", *args)
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1


def _run(name, hours, wave, parent=None):
    spec = SimpleNamespace(key=name, dirname=name, parent=parent)
    return SimpleNamespace(spec=spec, gpu_hours=hours, wave=wave)


def test_makespan_deals_longest_first_wave_after_wave_and_the_critical_path_is_the_dearest_chain():
    assert wave_makespan([4, 3, 3, 2], 2) == 6 and wave_makespan([4, 3, 3, 2], 8) == 4
    a, b = _run("a", 5, 0), _run("b", 1, 0)
    runs = [a, b, _run("a1", 2, 1, a.spec), _run("b1", 4, 1, b.spec), _run("b2", 4, 1, b.spec)]
    total, per_wave = makespan(runs, 2)
    assert per_wave == {0: 5, 1: 6} and total == 11
    assert critical_path(runs) == (7, ["a", "a1"])
    assert makespan(runs, 2, gpus_for=lambda run: 2)[1][0] == 3  # a 5-hour run on two GPUs: 2.5 h, then b
    with pytest.raises(ValueError, match="--gpus 0"):
        wave_makespan([1], 0)


def test_plan_prints_the_makespan_on_n_gpus(capsys, tmp_path):
    assert main(["plan", "--profile", "paper", "--claims", str(CLAIMS), "--store", str(tmp_path / "s"),
                 "--gpus", "64"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    found = re.match(r"on 64 GPUs, .*: ([\d.,]+) hours \(wave 0 [\d.]+ h, wave 1 [\d.]+ h\); critical path ([\d.]+) hours",
                     line)
    assert found and float(found.group(1)) >= float(found.group(2)) > 0

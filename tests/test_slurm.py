"""The cluster path against a real SLURM (`pytest -m slurm`): the waves as afterok-chained arrays,
a signalled training run requeued and resumed, a killed job's lock.  The daemons run as root on a
generated configuration (tests/slurm_cluster.py); without them every case skips with the reason.

To stay short, the waves case judges tatoeba-gain with one of its nine configurations (a [smoke]
table added in a temporary claims folder): three waves, four runs, the same engine and judging.  The
local reference (`local`) is computed once; its MNLI phase (ii) is also the uninterrupted run the
resumed one must equal, and its base model is copied into the other cases' stores.
"""
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repro import checkpoints, interrupt
from tests.slurm_cluster import Cluster, unavailable

pytestmark = [pytest.mark.slurm, pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))]

ROOT = Path(__file__).resolve().parents[1]
JOB = ROOT / "repro" / "cluster" / "job.sh"
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(tmp_path_factory.mktemp("slurm")).start()
    started.env.update(OFFLINE)
    yield started
    started.stop()


def _run(cluster, *cmd, timeout=600):
    done = subprocess.run([sys.executable, *cmd], env=cluster.env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    return done


def _states(cluster, job: str) -> list[str]:
    text = cluster.run("scontrol", "-o", "show", "job", job).stdout
    return re.findall(r"JobState=(\S+)", text)


def _sbatch_run(cluster, store, *run_args, name="repro-one") -> str:
    """One job of the shipped script computing `repro run ... --only` (no GPU on this node)."""
    out = cluster.run("sbatch", "--parsable", f"--job-name={name}", "--requeue", "--signal=B:USR1@60",
                      f"--output={store}/slurm-%j.out", "--open-mode=append", f"--chdir={ROOT}", str(JOB),
                      sys.executable, "1", "1", "--profile", "smoke", "--store", str(store), *run_args).stdout
    return out.strip().split(";")[0]


def _wait_for(pattern: str, folder: Path, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while not list(folder.glob(pattern)):
        if time.time() > deadline:
            raise TimeoutError(f"nothing matched {folder}/{pattern} within {timeout:.0f} s")
        time.sleep(0.1)


def _claims(tmp_path) -> Path:
    folder = tmp_path / "claims"
    folder.mkdir()
    shutil.copy(ROOT / "claims" / "test_claims.py", folder)
    text = (ROOT / "claims" / "tatoeba-gain.toml").read_text()
    (folder / "tatoeba-gain.toml").write_text(
        text + '\n[smoke]\nconfigurations = [["mnli"]]\nat_least = 1\n'
               'reason = "the slurm test: one configuration keeps it short"\n')
    return folder


def _judged(cluster, claims, store, report, *extra) -> dict:
    done = _run(cluster, "-m", "pytest", "-m", "claims", str(claims), f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
                "-p", "repro.pytest_plugin", "-p", "no:cacheprovider",
                "-p", "no:xdist", "-q", "--store", str(store), "--report", str(report), *extra)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    records = json.loads((report / "report.json").read_text())["claims"]
    return {r["claim"]["id"]: {k: v for k, v in r.items() if k != "judged"} for r in records}


@pytest.fixture(scope="module")
def local(cluster, tmp_path_factory):
    """(claims folder, local store, its judged records): the claim computed and judged without SLURM."""
    tmp = tmp_path_factory.mktemp("local")
    claims = _claims(tmp)
    return claims, tmp / "store", _judged(cluster, claims, tmp / "store", tmp / "report")


def _store_with_base_model(local, folder: Path) -> Path:
    """A store holding only the local store's tiny base model (a finished run, copied)."""
    (folder / "store").mkdir(parents=True)
    base, = local[1].glob("pretrained-*")
    shutil.copytree(base, folder / "store" / base.name)
    return folder / "store"


def test_the_waves_run_as_afterok_arrays_and_judge_as_a_local_run(cluster, local, tmp_path):
    claims, store = local[0], tmp_path / "slurm-store"
    done = _run(cluster, "-m", "repro", "submit", "--profile", "smoke", "--store", str(store), "--claims",
                str(claims), "--gres", "none", "--time", "20:00", "--max-array", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    arrays = re.findall(r"wave (\d+): array (\d+)", done.stdout)
    assert [w for w, _ in arrays] == ["0", "1", "2"], done.stdout
    ids = [job for _, job in arrays]
    for earlier, later in zip(ids, ids[1:]):  # each wave waits for every element of the one before
        assert f"afterok:{earlier}_*" in cluster.state(later).get("Dependency", ""), cluster.state(later)
    cluster.wait_idle(300)
    for job in ids:
        assert set(_states(cluster, job)) == {"COMPLETED"}, cluster.run("scontrol", "show", "job", job).stdout
    assert not list((store / ".work").iterdir())
    remote = _judged(cluster, claims, store, tmp_path / "report-slurm", "--no-compute")
    assert remote.keys() == {"tatoeba-gain"} and remote["tatoeba-gain"]["verdict"]
    assert json.dumps(remote, sort_keys=True) == json.dumps(local[2], sort_keys=True)


def test_a_signalled_training_job_is_requeued_and_resumes_to_the_same_model(cluster, local, tmp_path):
    only = ["-k", "mnli-gain", "--only"]
    whole, store = local[1], _store_with_base_model(local, tmp_path)
    job = _sbatch_run(cluster, store, *only, "intermediate-mnli-s1")
    _wait_for(".work/intermediate-mnli-s1-*/checkpoints/checkpoint-*/MANIFEST.json", store)
    work, = store.glob(".work/intermediate-mnli-s1-*")
    cluster.run("scancel", "--batch", "--signal=USR1", job)  # what --signal=B:USR1@<s> sends
    deadline = time.time() + 120
    while cluster.state(job).get("Restarts", "0") == "0":
        assert time.time() < deadline, cluster.state(job)
        time.sleep(0.2)
    saved = checkpoints.latest_step(work)
    cluster.wait_idle(240)
    assert _states(cluster, job) == ["COMPLETED"]
    log = (store / f"slurm-{job}.out").read_text()
    assert f"stopped by USR1 (status {interrupt.EXIT_REQUEUE}), requeued" in log and "restart 1" in log
    ran, = store.glob("intermediate-mnli-s1-*")
    ref, = whole.glob("intermediate-mnli-s1-*")
    train_log = json.loads((ran / "train_log.json").read_text())
    assert train_log["resumed_from_step"] == saved > 0  # the steps before it were not trained again
    assert (ran / "model" / "model.safetensors").read_bytes() == (ref / "model" / "model.safetensors").read_bytes()
    evaluations = [[(e["step"], e["eval_score"]) for e in json.loads((r / "train_log.json").read_text())["log"]
                    if "eval_score" in e] for r in (ran, ref)]
    assert evaluations[0] == evaluations[1]


def test_a_job_killed_while_holding_a_runs_lock_never_blocks_the_next_attempt(cluster, local, tmp_path):
    only = ["-k", "mnli-gain", "--only"]
    store = _store_with_base_model(local, tmp_path)
    job = _sbatch_run(cluster, store, *only, "intermediate-mnli-s1")
    _wait_for(".work/intermediate-mnli-s1-*/checkpoints/checkpoint-*/MANIFEST.json", store)
    lock, = store.glob(".locks/intermediate-mnli-s1-*.lock")
    # Slurm cancels with SIGTERM to every process of the job, then SIGKILL after KillWait
    cluster.run("scancel", "--full", "--signal=KILL", job)
    cluster.wait_idle(60)
    assert _states(cluster, job) == ["CANCELLED"] and cluster.state(job)["Restarts"] == "0"  # not requeued
    assert not list(store.glob("intermediate-mnli-s1-*")) and lock.exists()  # killed: nothing published
    again = _sbatch_run(cluster, store, *only, "intermediate-mnli-s1", name="repro-again")
    cluster.wait_idle(240)
    assert _states(cluster, again) == ["COMPLETED"], (store / f"slurm-{again}.out").read_text()[-3000:]
    ran, = store.glob("intermediate-mnli-s1-*")
    assert json.loads((ran / "train_log.json").read_text())["resumed_from_step"] > 0

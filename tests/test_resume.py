"""An interrupted run resumes from its newest whole checkpoint; SIGTERM/SIGUSR1 stop it gracefully."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repro import checkpoints, interrupt
from repro.cli import main
from repro.early_stopping import PatientEarlyStopping
from repro.spec import RunSpec
from repro.store import RunStore, write_manifest

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "claims"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def _checkpoint(folder: Path, step: int, payload: bytes = b"weights") -> Path:
    path = folder / "checkpoints" / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(payload * 100)
    (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    write_manifest(path)
    return path


def test_a_truncated_checkpoint_is_set_aside_named_and_the_one_before_used(tmp_path, caplog):
    _checkpoint(tmp_path, 10)
    newest = _checkpoint(tmp_path, 20)
    with (newest / "model.safetensors").open("r+b") as fh:
        fh.truncate(50)
    chosen, step, aside = checkpoints._choose(tmp_path)
    assert (chosen, step) == (str(tmp_path / "checkpoints" / "checkpoint-10"), 10)
    assert aside[0]["checkpoint"] == "checkpoint-20" and "model.safetensors has 50 bytes" in aside[0]["reason"]
    assert Path(aside[0]["moved_to"]).parent == tmp_path / checkpoints.SET_ASIDE and not newest.exists()
    line, = [r.getMessage() for r in caplog.records if "not whole" in r.getMessage()]
    assert "checkpoint-20" in line and "moved to" in line and "\n" not in line


def test_a_checkpoint_cut_off_while_written_is_never_resumed_from(tmp_path):
    partial = tmp_path / "checkpoints" / "checkpoint-5"
    partial.mkdir(parents=True)
    (partial / "model.safetensors").write_bytes(b"half")  # no manifest: the Trainer never finished it
    assert checkpoints._choose(tmp_path)[:2] == (None, 0)
    assert not partial.exists() and checkpoints.latest_step(tmp_path) == 0


def _spec(seed=1):
    return RunSpec(kind="pretrained", base_model="tiny", seed=seed)


def test_the_store_keeps_an_interrupted_attempts_checkpoints_and_drops_them_on_publish(tmp_path):
    store = RunStore(tmp_path)

    def interrupted(work):
        _checkpoint(work, 3)
        (work / "metrics.json").write_text("{}")  # a half-written output
        (work / checkpoints.SET_ASIDE).mkdir()
        raise interrupt.Interrupted("stop")

    with pytest.raises(interrupt.Interrupted):
        store.ensure(_spec(), interrupted)
    seen = {}

    def resumed(work):
        seen["files"] = sorted(p.name for p in work.iterdir())
        (work / "metrics.json").write_text('{"done": 1}')

    run = store.ensure(_spec(), resumed)
    assert seen["files"] == ["checkpoints", checkpoints.SET_ASIDE, "spec.json"]
    assert sorted(p.name for p in run.path.iterdir()) == ["MANIFEST.json", "metrics.json", "spec.json"]
    assert [p.name.split("-checkpoints-")[0] for p in (tmp_path / ".corrupt").iterdir()] == [_spec().dirname]


def test_another_specs_leftover_work_folder_is_discarded(tmp_path):
    store = RunStore(tmp_path)
    work = tmp_path / ".work" / _spec().dirname
    _checkpoint(work, 3)
    (work / "spec.json").write_text(json.dumps({"key": "something else"}))
    store.ensure(_spec(), lambda w: (w / "x").write_text("1"))
    assert not work.exists()


def test_a_stop_request_outside_training_interrupts_at_once():
    saved = {sig: signal.getsignal(sig) for sig in interrupt.SIGNALS}
    try:
        interrupt.install()
        with pytest.raises(interrupt.Interrupted, match="SIGUSR1 received outside training"):
            os.kill(os.getpid(), signal.SIGUSR1)
            time.sleep(1)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        interrupt.reset()


def test_early_stopping_state_is_what_a_checkpoint_keeps():
    stopping = PatientEarlyStopping(3)
    stopping.best_score, stopping.best_step, stopping.since_best = 0.5, 40, 2
    state = stopping.state()
    restored = PatientEarlyStopping(**state["args"])
    for name, value in state["attributes"].items():
        setattr(restored, name, value)
    assert restored.summary() == stopping.summary()


def test_bad_wave_and_shard_are_one_line_each(tmp_path, capsys):
    assert main(["run", "--store", str(tmp_path / "s"), "--claims", str(CLAIMS), "--wave", "9"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--wave 9: the plan has waves 0 to 2" in err and "\n" not in err
    assert main(["run", "--store", str(tmp_path / "s"), "--claims", str(CLAIMS), "--shard", "3/2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--shard '3/2'" in err and "need 0 <= I < N" in err and "\n" not in err


def _repro_run(store, only, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "repro", "run", "--profile", "smoke", "--store", str(store),
                             "--claims", str(CLAIMS), "-k", "mnli-gain", "--only", only], env=ENV, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _finish(proc) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    return err


def _evaluations(run: Path) -> list:
    log = json.loads((run / "train_log.json").read_text())["log"]
    return [(e["step"], e["eval_score"]) for e in log if "eval_score" in e]


@pytest.mark.slow
def test_sigterm_after_the_first_checkpoint_requeues_and_the_rerun_resumes_to_the_same_model(tmp_path):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    _finish(_repro_run(whole, "intermediate-mnli-s1"))
    _finish(_repro_run(cut, "pretrained"))
    proc = _repro_run(cut, "intermediate-mnli-s1")
    deadline = time.time() + 240
    while time.time() < deadline and not list(cut.glob(".work/intermediate-mnli-s1-*/checkpoints/*/MANIFEST.json")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == interrupt.EXIT_REQUEUE, err[-3000:]
    assert "SIGTERM received: training stopped at step" in err
    work, = cut.glob(".work/intermediate-mnli-s1-*")
    saved_step = checkpoints.latest_step(work)
    err = _finish(_repro_run(cut, "intermediate-mnli-s1"))
    assert f"from step {saved_step}" in err
    ran, = cut.glob("intermediate-mnli-s1-*")
    ref, = whole.glob("intermediate-mnli-s1-*")
    log = json.loads((ran / "train_log.json").read_text())
    assert log["resumed_from_step"] == saved_step > 0
    assert (ran / "model" / "model.safetensors").read_bytes() == (ref / "model" / "model.safetensors").read_bytes()
    assert _evaluations(ran) == _evaluations(ref)  # every evaluation, before and after the resume
    assert log["early_stopping"] == json.loads((ref / "train_log.json").read_text())["early_stopping"]


@pytest.mark.slow
def test_a_mixture_interrupted_after_its_first_checkpoint_resumes_to_the_same_encoder(tmp_path, monkeypatch):
    from dataclasses import replace
    from types import MappingProxyType

    from repro import plan
    from repro.data import DataSource
    from repro.engine import Engine
    from repro.profiles import SMOKE

    fast = replace(SMOKE.target["xnli"], epochs=1, early_stopping_examples=32, batch_size=16)
    profile = replace(SMOKE, seeds=(1,), intermediate=MappingProxyType({"mnli": fast, "qqp": fast}),
                      mixture=replace(fast, epochs=2),
                      fixture_sizes=MappingProxyType({"train": 128, "validation": 32, "test": 32}))
    data = DataSource("fixture", fixture_sizes=profile.fixture_sizes)
    spec = plan.intermediate_spec(profile, data, ("mnli", "qqp"), 1)
    whole = Engine(RunStore(tmp_path / "whole"), data, profile).ensure(spec)

    original = checkpoints.CheckpointManifest.on_save

    def stop_after_first_save(self, args, state, control, **kwargs):  # as if SIGTERM came just then
        original(self, args, state, control, **kwargs)
        monkeypatch.setattr(interrupt, "_requested", signal.SIGTERM)

    monkeypatch.setattr(checkpoints.CheckpointManifest, "on_save", stop_after_first_save)
    engine = Engine(RunStore(tmp_path / "cut"), data, profile)
    with pytest.raises(interrupt.Interrupted, match="training stopped at step"):
        engine.ensure(spec)
    monkeypatch.setattr(checkpoints.CheckpointManifest, "on_save", original)
    interrupt.reset()
    resumed = engine.ensure(spec)
    log = resumed.read_json("train_log.json")
    assert 0 < log["resumed_from_step"] < log["steps"] == whole.read_json("train_log.json")["steps"]
    assert (resumed.model_path / "model.safetensors").read_bytes() == \
        (whole.model_path / "model.safetensors").read_bytes()
    assert _evaluations(resumed.path) == _evaluations(whole.path)


def test_a_run_interrupted_while_predicting_loads_its_ended_training_and_predicts_the_same(
        tmp_path, quick_profile, monkeypatch):
    from repro import plan
    from repro.data import DataSource
    from repro.engine import Engine

    data = DataSource("fixture", fixture_sizes=quick_profile.fixture_sizes)
    spec = plan.target_spec(quick_profile, data, "xnli", intermediate=None, seed=1)
    whole = Engine(RunStore(tmp_path / "whole"), data, quick_profile).ensure(spec)
    engine = Engine(RunStore(tmp_path / "cut"), data, quick_profile)
    engine.ensure(spec.parent)
    evaluate = Engine._evaluate

    def stopped(self, *args, **kwargs):
        raise interrupt.Interrupted("SIGTERM received outside training")  # as the handler raises it

    monkeypatch.setattr(Engine, "_evaluate", stopped)
    with pytest.raises(interrupt.Interrupted):
        engine.ensure(spec)
    monkeypatch.setattr(Engine, "_evaluate", evaluate)
    run = engine.ensure(spec)
    log, ref = run.read_json("train_log.json"), whole.read_json("train_log.json")
    assert log["resumed_from_step"] == log["steps"] == ref["steps"]  # nothing trained again
    assert log["early_stopping"] == ref["early_stopping"] and log["best_metric"] == ref["best_metric"]
    assert run.read_json("metrics.json") == whole.read_json("metrics.json")
    for path in (whole.path / "predictions").rglob("*.jsonl"):
        assert (run.path / path.relative_to(whole.path)).read_text() == path.read_text()

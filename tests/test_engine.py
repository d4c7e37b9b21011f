"""The paper's phases on the tiny model: hand-off, zero-shot evaluation, interruption."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from repro import plan
from repro.tasks import get_task


def _weights(path):
    return load_file(str(path / "model.safetensors"))


def assert_phase_iii_loads_encoder_and_fresh_head(model_path, saved):
    """What an XNLI phase (iii) loads from `model_path`: the encoder `saved` exactly, and a new head per seed."""
    task = get_task("xnli")
    heads = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        model = task.format.model_class.from_pretrained(model_path, **task.format.model_kwargs(task))
        encoder = model.base_model.state_dict()
        assert all(torch.equal(encoder[k], v) for k, v in saved.items())
        heads.append(model.classifier.out_proj.weight.detach().clone())
    assert not torch.equal(heads[0], heads[1])


def test_phase_iii_starts_from_phase_ii_encoder_with_fresh_head(quick_engine, quick_profile):
    spec = plan.target_spec(quick_profile, quick_engine.data, "xnli", intermediate=("mnli",), seed=1)
    quick_engine.ensure(spec)
    inter = quick_engine.store.get(spec.parent)
    base = quick_engine.store.get(spec.parent.parent)
    saved = _weights(inter.model_path)
    assert not any(k.startswith(("classifier", "lm_head")) for k in saved), "only the encoder is handed on"
    # phase (ii) changed the encoder
    base_w = _weights(base.model_path)
    name = next(k for k in saved if k.endswith("layer.0.attention.self.query.weight"))
    assert not torch.equal(saved[name], base_w["roberta." + name])
    assert_phase_iii_loads_encoder_and_fresh_head(inter.model_path, saved)


def test_target_run_trains_once_and_predicts_every_set_and_language(quick_engine, quick_profile):
    spec = plan.target_spec(quick_profile, quick_engine.data, "xnli", intermediate=None, seed=1)
    run = quick_engine.ensure(spec)
    by_split = run.read_json("metrics.json")["xnli"]
    assert set(by_split) == {"validation", "test"}  # one training, dev and test predicted (jiant's --do_val + test)
    assert isinstance(run.read_json("train_log.json")["steps"], int)
    task = get_task("xnli")
    for split, metrics in by_split.items():
        assert set(metrics) == {"en", "ru", "zh"}
        for lang, values in metrics.items():
            rows = [json.loads(l) for l in (run.path / "predictions" / "xnli" / split / f"{lang}.jsonl").open()]
            assert len(rows) == quick_profile.fixture_sizes[split]
            gold = task.format.references(quick_engine.data.load(task, split, lang), task)
            assert [r["reference"] for r in rows] == gold
            recomputed = task.metric.compute(predictions=[r["prediction"] for r in rows], references=gold)
            assert recomputed == values
    env = run.read_json("env.json")
    assert env["packages"]["torch"] and run.read_json("timings.json")["train_s"] > 0


KILL_SCRIPT = """
import sys
from dataclasses import replace
from types import MappingProxyType
from repro.data import DataSource
from repro.engine import Engine
from repro.profiles import SMOKE
from repro.store import RunStore
from repro import plan
slow = replace(SMOKE.target["xnli"], epochs=float(sys.argv[2]))
profile = replace(SMOKE, target=MappingProxyType({"xnli": slow}),
                  smoke_languages=MappingProxyType({"xnli": ("en",)}),
                  fixture_sizes=MappingProxyType({"train": 256, "validation": 32, "test": 32}))
data = DataSource("fixture", fixture_sizes=profile.fixture_sizes)
engine = Engine(RunStore(sys.argv[1]), data, profile)
print(engine.ensure(plan.target_spec(profile, data, "xnli", intermediate=None, seed=1)).path)
"""


def test_killed_run_restarts_cleanly(tmp_path):
    store = tmp_path / "store"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(store), "20"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    work = store / ".work"
    deadline = time.time() + 120
    # the first epoch's whole checkpoint: training has started, and early stopping needs two more epochs
    while time.time() < deadline and not list(work.glob("target-*/checkpoints/checkpoint-*/MANIFEST.json")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert not any(p.name.startswith("target-") for p in store.iterdir()), "no half-made run is published"
    done = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(store), "20"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(work.iterdir()) == []
    run, = (p for p in store.iterdir() if p.name.startswith("target-"))
    assert json.loads((run / "train_log.json").read_text())["resumed_from_step"] > 0  # not from zero
    assert not (run / "checkpoints").exists()  # checkpoints are not part of a finished run
    # a checkpoint cut off while being written (no manifest) is set aside, named, in .corrupt/
    assert all("-checkpoints-" in p.name for p in (store / ".corrupt").iterdir())


def test_a_hub_base_model_that_cannot_be_read_is_named_before_training(tmp_path, monkeypatch):
    import transformers.utils

    from repro.models import ModelUnavailableError, check_hub_model
    assert check_hub_model(str(tmp_path)) == str(tmp_path)  # a local directory is taken as it is

    def offline(name, filename, **kwargs):  # what transformers raises offline for a model it has not cached
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files.\nCheck your connection.")
    monkeypatch.setattr(transformers.utils, "cached_file", offline)
    with pytest.raises(ModelUnavailableError, match=r"base model org/model cannot be read \(We couldn't connect "
                                                     r"[^\n]*\); download it beforehand.*huggingface-cli download"):
        check_hub_model("org/model")

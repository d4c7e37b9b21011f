"""Multi-task, MLM and translated phase (ii) on the tiny model, each into XNLI."""
from dataclasses import replace
from types import MappingProxyType

import pytest
import torch
from safetensors.torch import load_file

from repro import plan
from repro.data import DataSource
from repro.engine import Engine
from repro.profiles import SMOKE
from repro.store import RunStore
from tests.test_engine import assert_phase_iii_loads_encoder_and_fresh_head


@pytest.fixture(scope="module")
def mix_profile():
    """Smoke cut to a few hundred fixture rows, one epoch, XNLI in two languages."""
    fast = replace(SMOKE.target["xnli"], epochs=1, early_stopping_examples=32, batch_size=16)
    qa = replace(SMOKE.target["xquad"], epochs=1, early_stopping_examples=32, batch_size=8)
    mlm = replace(SMOKE.intermediate["mlm"], max_train_examples=128, early_stopping_examples=32, batch_size=8)
    return replace(SMOKE, seeds=(1,), target=MappingProxyType({"xnli": fast}),
                   intermediate=MappingProxyType({"mnli": fast, "squad": qa, "mlm": mlm, "mnli_translated": fast}),
                   mixture=replace(fast, epochs=2), mixture_with_mlm=replace(fast, epochs=2, learning_rate=2.5e-4),
                   smoke_languages=MappingProxyType({"xnli": ("en", "ru")}),
                   fixture_sizes=MappingProxyType({"train": 128, "validation": 32, "test": 32}))


@pytest.fixture(scope="module")
def mix_engine(tmp_path_factory, mix_profile):
    data = DataSource("fixture", fixture_sizes=mix_profile.fixture_sizes)
    return Engine(RunStore(tmp_path_factory.mktemp("store")), data, mix_profile)


def _run(engine, profile, configuration):
    spec = plan.target_spec(profile, engine.data, "xnli", intermediate=configuration, seed=1)
    run = engine.ensure(spec)
    metrics = run.read_json("metrics.json")["xnli"]  # {split: {lang: ...}}: one training, every evaluation set
    assert set(metrics) == set(spec.eval_splits) and all(set(by_lang) == {"en", "ru"} for by_lang in metrics.values())
    return spec, engine.store.get(spec.parent).read_json("train_log.json")


def test_mixture_hands_phase_iii_its_shared_encoder_and_a_fresh_head(mix_engine, mix_profile):
    spec, log = _run(mix_engine, mix_profile, ("mnli", "squad"))
    assert spec.parent.mixture == mix_profile.mixture
    assert log["rates"] == {"mnli": 0.5, "squad": 0.5} and log["batch_sizes"] == {"mnli": 16, "squad": 8}
    scored = [entry for entry in log["log"] if "eval_score" in entry]
    mean = [(entry["eval_mnli_score"] + entry["eval_squad_score"]) / 2 for entry in scored]
    assert scored and [entry["eval_score"] for entry in scored] == pytest.approx(mean)
    inter, base = mix_engine.store.get(spec.parent), mix_engine.store.get(spec.parent.parent)
    saved = load_file(str(inter.model_path / "model.safetensors"))
    assert not any(k.startswith(("classifier", "qa_outputs", "lm_head", "heads")) for k in saved)
    base_w = load_file(str(base.model_path / "model.safetensors"))
    changed = [k for k in saved if not torch.equal(saved[k], base_w["roberta." + k])]
    assert any("layer.0.attention" in k for k in changed)  # phase (ii) trained the shared encoder
    assert_phase_iii_loads_encoder_and_fresh_head(inter.model_path, saved)


def test_mnli_with_mlm_trains_one_mixture(mix_engine, mix_profile):
    spec, log = _run(mix_engine, mix_profile, ("mnli", "mlm"))
    assert spec.parent.mixture.learning_rate == mix_profile.mixture_with_mlm.learning_rate
    assert set(log["rates"]) == {"mnli", "mlm"} and log["examples"]["mlm"] == 128
    assert all(0 <= entry["eval_mlm_score"] <= 100 for entry in log["log"] if "eval_score" in entry)


def test_translated_mnli_trains_phase_ii(mix_engine, mix_profile):
    spec, log = _run(mix_engine, mix_profile, ("mnli_translated",))
    assert spec.parent.mixture is None and "mixture" not in spec.parent.to_dict()
    assert log["steps"] > 0 and log["best_metric"] is not None

"""Run keys: stable across processes, sensitive to every identity field."""
import dataclasses
import subprocess
import sys

from repro.profiles import SMOKE, TinyModel, TrainConfig
from repro.spec import RunSpec


def base():
    return RunSpec(kind="target", base_model=TinyModel(), tasks=("xnli",),
                   train=(("xnli", TrainConfig(learning_rate=1e-3, batch_size=8, epochs=1)),),
                   parent=RunSpec(kind="pretrained", base_model=TinyModel()), seed=1, data="fixture-v1",
                   eval_task="xnli", eval_sets=(("validation", ("en", "de")), ("test", ("en", "de"))))


def test_key_is_stable_across_processes():
    code = ("from tests.test_spec import base; print(base().key)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == base().key


def test_every_identity_field_changes_the_key():
    spec = base()
    changes = {
        "seed": 2, "data": "hub", "eval_sets": (("validation", ("en",)),),
        "train": (("xnli", TrainConfig(learning_rate=2e-3, batch_size=8, epochs=1)),),
        "parent": RunSpec(kind="pretrained", base_model=TinyModel(init_seed=5)),
        "base_model": "FacebookAI/xlm-roberta-large", "engine_version": 999, "length_grouped": True,
    }
    keys = {dataclasses.replace(spec, **{k: v}).key for k, v in changes.items()}
    assert spec.key not in keys and len(keys) == len(changes)


def test_random_batches_keep_the_keys_they_had():
    # runs stored before length grouping existed keep their keys: the field is absent when off
    assert "length_grouped" not in base().to_dict()
    assert dataclasses.replace(base(), length_grouped=True).to_dict()["length_grouped"] is True


def test_dirname_is_readable():
    spec = dataclasses.replace(base(), parent=RunSpec(kind="intermediate", base_model=TinyModel(),
                                                      tasks=("mnli",)))
    assert spec.dirname.startswith("target-xnli-from-mnli-s1-")


def test_profiles_are_hashable_into_specs():
    assert RunSpec(kind="pretrained", base_model=SMOKE.model).key


def test_a_run_names_the_languages_of_each_set_it_predicts():
    assert base().eval_splits == ("validation", "test") and base().eval_languages("test") == ("en", "de")
    import pytest
    with pytest.raises(KeyError, match="predicts no 'train' set \\(it predicts validation, test\\)"):
        base().eval_languages("train")

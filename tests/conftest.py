"""Shared fixtures: a faster smoke profile and an engine over a temporary store."""
import os
from dataclasses import replace
from types import MappingProxyType

import pytest

from repro.data import DataSource
from repro.engine import Engine
from repro.profiles import SMOKE
from repro.fingerprint import CACHE_ENV
from repro.store import RunStore

os.environ.setdefault(CACHE_ENV, "")  # data-file digests stay in memory: the tests write no ~/.cache


@pytest.fixture(scope="session")
def quick_profile():
    """The smoke profile cut to one epoch on a few hundred examples and two seeds."""
    fast = replace(SMOKE.target["xnli"], epochs=1, early_stopping_examples=32)
    return replace(SMOKE, seeds=(1, 2), target=MappingProxyType({"xnli": fast}),
                   intermediate=MappingProxyType({"mnli": fast}),
                   smoke_languages=MappingProxyType({"xnli": ("en", "ru", "zh")}),
                   fixture_sizes=MappingProxyType({"train": 256, "validation": 64, "test": 64}))


@pytest.fixture(scope="session")
def quick_engine(tmp_path_factory, quick_profile):
    """An engine for `quick_profile` over a store shared by the tests of a session."""
    data = DataSource("fixture", fixture_sizes=quick_profile.fixture_sizes)
    return Engine(RunStore(tmp_path_factory.mktemp("store")), data, quick_profile)

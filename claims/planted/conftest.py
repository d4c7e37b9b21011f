"""The planted world's engine for `pytest -m planted`, over the same run store as the paper's claims."""
import pytest

from repro import planted
from repro.pytest_plugin import _store_path


@pytest.fixture(scope="session")
def planted_engine(pytestconfig):
    """The planted profile's engine (broken on purpose when $REPRO_PLANTED_BREAK names a break)."""
    return planted.build(_store_path(pytestconfig), compute=not pytestconfig.getoption("--no-compute"))

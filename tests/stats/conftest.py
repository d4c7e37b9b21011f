"""Fixtures of small metrics for the statistics tests."""
import pytest

from repro.metrics.base import Accuracy
from tests.stats.toy_metrics import QA, CorpusF1


@pytest.fixture
def acc():
    return Accuracy()


@pytest.fixture
def f1():
    return CorpusF1()


@pytest.fixture
def qa():
    return QA()

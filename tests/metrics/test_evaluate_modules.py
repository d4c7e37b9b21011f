"""The XTREME metrics as `evaluate` modules: loaded offline from the package, they give the reference
evaluator's numbers on XTREME's mock submission, language for language, as `repro score` does."""
import os
import subprocess
import sys

import evaluate
import pytest

from repro.evaluate_metrics import TASKS, metric_path
from repro.scoring import _aligned, submission_format
from tests.metrics.test_conformance import EXPECTED, MOCK


def _inputs(task, lang):
    ext = "json" if submission_format(task) == "qa" else "tsv"
    name = f"test-{lang}.{ext}"
    predictions, references = _aligned(task, MOCK / "predictions" / task / name, MOCK / "labels" / task / name)
    if task == "bucc2018":  # one row per language: its whole pair sets
        return [[list(p) for p in predictions]], [[list(p) for p in references]]
    return predictions, references


@pytest.mark.parametrize("task", TASKS)
def test_module_matches_the_reference_evaluator_on_the_mock(task, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    module = evaluate.load(metric_path(task), cache_dir=str(tmp_path))
    for lang, values in EXPECTED["tasks"][task]["per_language"].items():
        predictions, references = _inputs(task, lang)
        got = module.compute(predictions=predictions, references=references, lang=lang)
        assert got == pytest.approx(values, abs=1e-9, rel=0), (task, lang)


def test_mlqa_depends_on_the_language_argument(tmp_path):
    """MLQA normalises answers by language; the module passes `lang` through (a check that it is used)."""
    module = evaluate.load(metric_path("mlqa"), cache_dir=str(tmp_path))
    args = dict(predictions=["der Hund"], references=[["Hund"]])
    assert module.compute(**args, lang="de")["exact_match"] == 100.0  # "der" is a German article
    assert module.compute(**args, lang="en")["exact_match"] == 0.0


def test_loads_offline_in_a_fresh_process(tmp_path):
    """With HF_EVALUATE_OFFLINE=1 and an empty cache, nothing is fetched: the module is local."""
    code = ("import evaluate; from repro.evaluate_metrics import metric_path; "
            "print(evaluate.load(metric_path('xnli')).compute(predictions=['a', 'b'], references=['a', 'a']))")
    env = {**os.environ, "HF_EVALUATE_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("{'accuracy': 50.0}")


def test_an_unknown_task_names_the_known_ones():
    with pytest.raises(ValueError, match="no evaluate module for task 'squad'; one of bucc2018, mlqa"):
        metric_path("squad")

"""Every target task end to end on the smoke profile, for all its fixture languages."""
import json
from dataclasses import dataclass, replace
from types import MappingProxyType

import pytest

from repro import plan
from repro.data import DataSource
from repro.engine import Engine
from repro.profiles import SMOKE
from repro.store import RunStore
from repro.tasks import get_task

TARGETS = ("xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba")
LOADS: list[tuple[str, str, str]] = []  # (task, split, lang) of every load the engine made


@dataclass(frozen=True)
class SpyingSource(DataSource):
    """A fixture source that records what the engine loads."""

    def load(self, task, split, lang="en"):
        LOADS.append((task.name, split, lang))
        return super().load(task, split, lang)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Smoke settings cut to one epoch on 64 training rows and 24 evaluation rows."""
    target = {k: replace(v, epochs=1, early_stopping_examples=16, max_train_examples=64)
              for k, v in SMOKE.target.items()}
    profile = replace(SMOKE, target=MappingProxyType(target),
                      fixture_sizes=MappingProxyType({"train": 64, "validation": 24, "test": 24}))
    data = SpyingSource("fixture", fixture_sizes=profile.fixture_sizes)
    return profile, Engine(RunStore(tmp_path_factory.mktemp("formats-store")), data, profile)


def _run(tiny, target):
    profile, engine = tiny
    return engine.ensure(plan.target_spec(profile, engine.data, target, intermediate=None, seed=1))


@pytest.mark.parametrize("target", TARGETS)
def test_target_runs_end_to_end(tiny, target):
    profile, engine = tiny
    run = _run(tiny, target)
    task = get_task(target)
    langs = profile.smoke_languages[target]
    by_split = run.read_json("metrics.json")[target]
    assert tuple(by_split) == run.spec.eval_splits
    for split, lang in [(split, lang) for split in by_split for lang in langs]:
        metrics = by_split[split]
        assert tuple(metrics) == langs
        records = [json.loads(l) for l in (run.path / "predictions" / target / split / f"{lang}.jsonl").open()]
        assert records and all(set(r) == {"id", "unit", "prediction", "reference"} for r in records)
        predictions, references = task.metric_inputs(records)
        recomputed = task.metric.compute(predictions=predictions, references=references, lang=lang)
        assert recomputed == {k: v for k, v in metrics[lang].items() if k in recomputed}
        stats = task.metric.unit_stats(predictions=predictions, references=references, lang=lang)
        assert len(stats) == len(records)  # one statistics row per stored record
        if task.trained:
            assert len(records) == len(engine.data.load(task, split, lang))
            assert len({r["id"] for r in records}) == len(records)
        if task.format.__class__.__name__ == "Tagging":
            assert all(len(r["prediction"]) == len(r["reference"]) for r in records)
    assert run.spec.kind == ("target" if task.trained else "retrieval")


def test_bucc_is_thresholded_on_dev_and_evaluated_on_test(tiny):
    from repro.tasks.retrieval import THRESHOLD_FROM
    run = _run(tiny, "bucc2018")
    assert run.spec.eval_splits == ("validation", "test")
    for split, metrics in run.read_json("metrics.json")["bucc2018"].items():
        for lang, values in metrics.items():
            assert "threshold" in values and values["threshold_from"] == THRESHOLD_FROM[split]
            assert values["threshold"] == metrics[lang]["threshold"]
        if split == "validation":  # measured at its own best cut
            assert all(v["f1"] == pytest.approx(v["dev_f1_at_threshold"]) for v in metrics.values())


def test_retrieval_runs_do_not_depend_on_the_seed(tiny):
    profile, engine = tiny
    specs = {plan.target_spec(profile, engine.data, "tatoeba", intermediate=None, seed=s).key for s in (1, 2)}
    assert len(specs) == 1
    # from phase (ii) a retrieval run belongs to its chain: one per seed, on that seed's phase-(ii) run
    chained = [plan.target_spec(profile, engine.data, "tatoeba", intermediate=("mnli",), seed=s) for s in (1, 2)]
    assert chained[0].key != chained[1].key and [s.parent.seed for s in chained] == [1, 2]


@pytest.mark.parametrize("target", ["pawsx", "tydiqa", "xquad"])
def test_training_data_is_english_only(tiny, target):
    LOADS.clear()
    profile, engine = tiny
    spec = plan.target_spec(profile, engine.data, target, intermediate=None, seed=3)  # a fresh run
    engine.ensure(spec)
    train_loads = [(t, lang) for t, split, lang in LOADS if split == "train"]
    assert train_loads and all(lang == "en" for _, lang in train_loads)
    source = get_task(get_task(target).trains_on)
    rows = engine.data.load(source, "train", "en")
    if target == "tydiqa":
        assert all(i.startswith("english-") for i in rows["id"])

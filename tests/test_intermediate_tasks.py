"""The nine English intermediate tasks: each trains phase (ii) end to end on smoke and hands its
encoder to a target task; ANLI+ concatenation; CCG's licensed data."""
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest

from repro import plan
from repro.data import DataError, DataSource
from repro.engine import Engine
from repro.profiles import INTERMEDIATE_TASKS, PAPER, SMOKE
from repro.store import RunStore
from repro.tasks import get_task
from repro.tasks.classification import ANLI_PLUS_SIZES


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Smoke cut to one epoch on 48 training rows, 16 dev rows, XNLI in two languages."""
    def cut(config):
        return replace(config, epochs=1, max_train_examples=48, early_stopping_examples=16)
    profile = replace(SMOKE, intermediate=MappingProxyType({k: cut(v) for k, v in SMOKE.intermediate.items()}),
                      target=MappingProxyType({"xnli": cut(SMOKE.target["xnli"])}),
                      smoke_languages=MappingProxyType({"xnli": ("en", "zh")}),
                      fixture_sizes=MappingProxyType({"train": 48, "validation": 16, "test": 16}))
    data = DataSource("fixture", fixture_sizes=profile.fixture_sizes)
    return profile, Engine(RunStore(tmp_path_factory.mktemp("inter-store")), data, profile)


@pytest.mark.parametrize("name", INTERMEDIATE_TASKS)
def test_intermediate_task_trains_phase_ii_into_a_target(tiny, name):
    profile, engine = tiny
    spec = plan.target_spec(profile, engine.data, "xnli", intermediate=(name,), seed=1)
    run = engine.ensure(spec)
    inter = engine.store.get(spec.parent)
    log = inter.read_json("train_log.json")
    assert log["steps"] > 0 and log["best_metric"] is not None  # early stopping read the task's metric
    assert (inter.model_path / "model.safetensors").is_file()
    assert set(run.read_json("metrics.json")["xnli"]["validation"]) == {"en", "zh"}


def test_every_intermediate_task_is_configured_in_both_profiles():
    for profile in (SMOKE, PAPER):
        assert profile.intermediate_tasks == INTERMEDIATE_TASKS
        for name in INTERMEDIATE_TASKS:
            get_task(name)
            profile.train_config("intermediate", name)
    recipe = {name: (PAPER.intermediate[name].batch_size, PAPER.intermediate[name].epochs)
              for name in INTERMEDIATE_TASKS}
    # arXiv v1 appendix A
    assert recipe["anli_plus"] == (24, 2) and recipe["ccg"] == (24, 15) and recipe["commonsenseqa"] == (4, 10)
    assert recipe["cosmosqa"] == (4, 15) and recipe["hellaswag"] == (24, 7) and recipe["qqp"] == (24, 3)
    assert recipe["squad"] == (8, 3)
    assert all(PAPER.intermediate[n].learning_rate == 1e-5 and PAPER.intermediate[n].warmup_ratio == 0.1
               and PAPER.intermediate[n].early_stopping_examples == 500 for n in INTERMEDIATE_TASKS)


# --- ANLI+ -----------------------------------------------------------------------------------
def test_anli_plus_concatenates_its_parts_and_drops_rows_without_gold():
    source = DataSource("fixture", fixture_sizes={"train": 80})
    task = get_task("anli_plus")
    parts = [source.load(part, "train") for part in task.parts]
    assert [p.name for p in task.parts] == ["anli", "mnli", "snli"]
    snli = parts[2]
    assert -1 in snli["label"]
    data = source.load(task, "train")
    kept = [row for part in parts for row in part if row["label"] != -1]
    assert len(data) == len(kept) == 3 * 80 - snli["label"].count(-1)
    assert data["premise"] == [r["premise"] for r in kept]  # in order: ANLI, MNLI, SNLI
    assert data["label"] == [r["label"] for r in kept]
    assert data.features["label"].names == list(task.labels)


def test_anli_plus_part_sizes_give_the_papers_sizes():
    train = sum(n - dropped for (n, dropped), _ in ANLI_PLUS_SIZES.values())
    dev = sum(n - dropped for _, (n, dropped) in ANLI_PLUS_SIZES.values())
    assert (train, dev) == (1_104_934, 22_857)  # arXiv v1 Table 1


def _write(root, name, rows):
    import json
    folder = root / name / "en"
    folder.mkdir(parents=True)
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_anli_plus_maps_label_names_to_one_label_space(tmp_path):
    _write(tmp_path, "anli", [{"premise": "a", "hypothesis": "b", "label": "contradiction"}])
    _write(tmp_path, "mnli", [{"premise": "c", "hypothesis": "d", "label": 1}])
    _write(tmp_path, "snli", [{"premise": "e", "hypothesis": "f", "label": 0},
                              {"premise": "g", "hypothesis": "h", "label": -1}])
    data = DataSource("local", tmp_path).load(get_task("anli_plus"), "train")
    assert data["premise"] == ["a", "c", "e"]
    assert [data.features["label"].int2str(i) for i in data["label"]] == ["contradiction", "neutral", "entailment"]


@pytest.mark.parametrize("label, message", [("maybe", r"part anli has unknown label\(s\) \['maybe'\]"),
                                            (7, r"part anli has label\(s\) \[7\] outside -1..2")])
def test_anli_plus_names_a_part_with_foreign_labels(tmp_path, label, message):
    _write(tmp_path, "anli", [{"premise": "a", "hypothesis": "b", "label": label}])
    _write(tmp_path, "mnli", [{"premise": "c", "hypothesis": "d", "label": 1}])
    _write(tmp_path, "snli", [{"premise": "e", "hypothesis": "f", "label": 0}])
    with pytest.raises(DataError, match=message):
        DataSource("local", tmp_path).load(get_task("anli_plus"), "train")


# --- CCG -------------------------------------------------------------------------------------
def test_ccg_is_never_downloaded_and_says_how_to_obtain_it():
    with pytest.raises(DataError) as error:
        DataSource("hub").load(get_task("ccg"), "train")
    message = str(error.value)
    for needed in ("--data-dir", "ccg/en/train.jsonl", "LDC2005T13", "https://catalog.ldc.upenn.edu/LDC2005T13",
                   "tokens", "tags"):
        assert needed in message


def test_ccg_missing_local_file_names_the_path_and_the_source(tmp_path):
    with pytest.raises(DataError, match=r"ccg/en/validation.jsonl is missing.*LDC2005T13"):
        DataSource("local", tmp_path).load(get_task("ccg"), "validation")


def test_ccg_labels_come_from_the_training_data():
    source = DataSource("fixture", fixture_sizes={"train": 30})
    task = get_task("ccg")
    assert task.labels == ()
    train = source.load(task, "train")
    fixed = task.with_labels_from(train)
    assert fixed.labels == tuple(sorted({t for tags in train["tags"] for t in tags}))
    assert get_task("mnli").with_labels_from(train) is get_task("mnli")  # a fixed label set stays


def test_ccg_category_unseen_in_training_counts_as_an_error_and_no_word_is_lost():
    from repro.models import fixture_tokenizer
    task = get_task("ccg").with_labels_from({"tags": [["N", "NP"]]})
    raw = {"tokens": [["a", "b", "c"]], "tags": [["NP", "S/S", "N"]]}  # S/S never seen in training
    fmt = task.format
    features = fmt.eval_features(raw, task, fixture_tokenizer(), SMOKE.intermediate["ccg"])
    first = [lab for lab, w in zip(features[0]["labels"], features[0]["word_index"]) if w >= 0]
    assert first == [1, -100, 0]  # the loss ignores the unseen category
    assert sorted(w for w in features[0]["word_index"] if w >= 0) == [0, 1, 2]
    assert fmt.references(raw, task) == [["NP", "S/S", "N"]]
    logits = np.zeros((1, len(features[0]["input_ids"]), 2))
    logits[..., 1] = 1.0  # predict NP everywhere
    predicted = fmt.decode(logits, features, raw, task)
    assert predicted == [["NP", "NP", "NP"]]
    assert task.metric.compute(predictions=predicted, references=fmt.references(raw, task)) == \
        pytest.approx({"accuracy": 100 / 3})

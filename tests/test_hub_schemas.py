"""The recorded hub schemas: complete for what the paper profile reads, label orders as the
tasks assume, malformed files named, and refusals worded as `datasets.load_dataset` words them."""
import json
from functools import lru_cache
from pathlib import Path

import pytest
from datasets.exceptions import DatasetNotFoundError

from repro.data import DataError, DataSource
from repro.data_requests import Read, hub_requests, reads_of, training_reads
from repro.hub_schemas import SCHEMA_PATH, SchemaError, hf_features, load_schemas, resolve
from repro.claims import select_claims
from repro.plan import planned_runs
from repro.profiles import PAPER, REHEARSAL
from repro.tasks import TASKS, get_task

ROOT = Path(__file__).resolve().parents[1]
# (task, split) the paper profile asks for that the hub lacks: none since every target maps a
# claim's split to the set it reads (Task.evaluation_set; claim 5 once asked google/xtreme for
# XQuAD's and TyDiQA-GoldP's test sets, which exist only as validation).
KNOWN_GAPS: set = set()


@lru_cache(maxsize=None)
def paper_reads() -> frozenset:
    """Every (task, split, language) that some run of some claim reads on the paper profile."""
    runs = planned_runs(select_claims(ROOT / "claims"), PAPER, DataSource("hub"))
    return frozenset(read for run in runs for read in reads_of(run.spec))


def refusal(request) -> str:
    try:
        resolve(load_schemas(), request.path, request.config, request.split, request.revision)
    except (ValueError, DatasetNotFoundError) as err:
        return str(err)
    return ""


def test_every_read_of_the_paper_profile_is_in_the_recorded_schemas():
    refused = {(read.task, read.split): refusal(request)
               for read in paper_reads() for request in hub_requests(read) if refusal(request)}
    assert set(refused) == KNOWN_GAPS, (
        f"the paper profile would ask the hub for what it lacks: {refused}; fix the request (or record the "
        f"dataset's schema)")
    # every language of every target, English training data of every intermediate task, and MLM's Wikipedia
    tasks = {read.task for read in paper_reads()}
    assert {"xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "tatoeba", "mlm", "anli_plus",
            "mnli_translated"} <= tasks
    assert {read.lang for read in paper_reads() if read.task == "panx"} == set(get_task("panx").languages)


def test_every_registered_task_language_and_dev_set_is_recorded():
    # beyond today's claims: any claim may train any registered task and evaluate it on dev in every language
    reads = set()
    for task in TASKS.values():
        if task.trained or task.name == "mlm":
            reads |= training_reads(task.name)
        if task.hub is not None and task.name != "mlm":
            reads |= {Read(task.name, "validation", lang) for lang in task.languages
                      if lang not in task.missing.get("validation", ())}
    refused = {read: refusal(r) for read in reads for r in hub_requests(read) if refusal(r)}
    assert not refused
    assert {r.path for read in reads for r in hub_requests(read)} == set(load_schemas().datasets)


def test_udpos_languages_without_dev_data_are_the_ones_the_schema_lacks():
    xtreme = load_schemas().dataset("google/xtreme").configs
    udpos = get_task("udpos")
    no_dev = {lang for lang in udpos.languages
              if "validation" not in xtreme[udpos.hub.config_for(lang)].splits}
    assert no_dev == set(udpos.missing["validation"])


def _label_column(task) -> str:
    return task.fields[1] if task.format.__class__.__name__ in ("Tagging", "Supertagging") else "label"


def _hub_tasks_with_labels():
    tasks = [t for t in TASKS.values() if t.labels and t.hub is not None]
    return tasks + [part for t in TASKS.values() for part in t.parts]


@pytest.mark.parametrize("task", _hub_tasks_with_labels(), ids=lambda t: t.name)
def test_class_label_order_equals_task_labels(task):
    dataset = load_schemas().dataset(task.hub.path)
    config = dataset.configs[task.hub.config_for("en") or next(iter(dataset.configs))]
    feature = config.features[_label_column(task)]
    if feature == "string":  # PAWS-X: labels are the strings "0" and "1"
        assert task.labels == ("0", "1")
        return
    assert config.class_labels()[_label_column(task)] == task.labels
    # and in every language's config
    for lang in task.languages:
        other = dataset.configs[task.hub.config_for(lang)]
        assert other.class_labels()[_label_column(task)] == task.labels, lang


def test_the_recorded_class_labels_were_checked_for_the_label_tasks():
    checked = {t.name for t in _hub_tasks_with_labels()}
    assert {"mnli", "xnli", "qqp", "sst2", "udpos", "panx", "anli", "snli", "pawsx"} <= checked


def test_every_dataset_entry_names_its_source_and_unconfirmed_facts_say_so():
    raw = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    for repo, entry in raw["datasets"].items():
        assert entry["source"].strip(), repo
        unconfirmed = [s for c in entry["configs"].values() for s, n in c["splits"].items() if n is None]
        if unconfirmed:
            assert "NOT CONFIRMED" in entry["source"] and entry.get("unconfirmed"), repo
    assert {"ccg", "bucc2018"} <= set(raw["local_only"])


# --- refusals, as datasets.load_dataset refuses ------------------------------------------------
def _local_hub_dataset(tmp_path) -> Path:
    """A local dataset with configs a (validation) and b (train, test), as a hub repo declares them."""
    from datasets import Dataset
    for config, splits in {"a": ["validation"], "b": ["train", "test"]}.items():
        for split in splits:
            Dataset.from_dict({"x": ["p", "q"]}).to_parquet(str(tmp_path / config / f"{split}.parquet"))
    lines = ["---", "configs:"]
    for config, splits in {"a": ["validation"], "b": ["train", "test"]}.items():
        lines += [f"- config_name: {config}", "  data_files:"]
        lines += [f"  - split: {s}\n    path: {config}/{s}.parquet" for s in splits]
    (tmp_path / "README.md").write_text("\n".join(lines + ["---", ""]), encoding="utf-8")
    return tmp_path


def _schemas_like_it(tmp_path) -> Path:
    path = tmp_path / "schemas.json"
    entry = {"revisions": ["main"], "source": "test", "configs": {
        "a": {"features": {"x": "string"}, "splits": {"validation": 2}},
        "b": {"features": {"x": "string"}, "splits": {"train": 2, "test": 2}}}}
    path.write_text(json.dumps({"format": 1, "datasets": {"org/data": entry}}), encoding="utf-8")
    return path


@pytest.mark.parametrize("name, split", [("a", "test"), ("zz", "validation"), ("b", "train+dev"), (None, "train")])
def test_refusals_match_datasets_load_dataset_word_for_word(tmp_path, name, split):
    from datasets import load_dataset
    local = _local_hub_dataset(tmp_path / "hub")
    with pytest.raises(ValueError) as real:
        load_dataset(str(local), name, split=split, cache_dir=str(tmp_path / "cache"))
    with pytest.raises(ValueError) as ours:
        resolve(load_schemas(_schemas_like_it(tmp_path)), "org/data", name, split)
    # a local folder is named by its basename where the hub names the repository id
    expected = str(real.value).replace(f"'{local.name}'", "'org/data'")
    assert type(ours.value) is type(real.value) and str(ours.value) == expected


def test_an_unknown_revision_is_refused_as_the_hub_refuses_it():
    with pytest.raises(DatasetNotFoundError, match=r"^Revision 'refs/pr/9' doesn't exist for dataset "
                                                   r"'Rowan/hellaswag' on the Hub\.$"):
        resolve(load_schemas(), "Rowan/hellaswag", "default", "train", "refs/pr/9")
    config, splits = resolve(load_schemas(), "Rowan/hellaswag", "default", "train", "refs/convert/parquet")
    assert splits == ("train",) and config.splits["train"] == 39_905


def test_split_expressions_resolve_to_their_parts():
    assert resolve(load_schemas(), "facebook/anli", "plain_text", "train_r1+train_r2[:10%]")[1] == ("train_r1", "train_r2")


# --- malformed files ----------------------------------------------------------------------------
def _write(tmp_path, payload) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    return path


GOOD_CONFIG = {"features": {"label": {"class_label": ["a", "b"]}}, "splits": {"train": 3}}


@pytest.mark.parametrize("payload, says", [
    ("{not json", "not valid JSON"),
    ({"format": 2, "datasets": {}}, '"format": 1'),
    ({"format": 1, "datasets": {}}, '"datasets" must map'),
    ({"format": 1, "datasets": {"o/d": {"revisions": ["main"], "configs": {"c": GOOD_CONFIG}}}},
     'entry datasets/o/d: "source"'),
    ({"format": 1, "datasets": {"o/d": {"revisions": [], "source": "s", "configs": {"c": GOOD_CONFIG}}}},
     'entry datasets/o/d: "revisions"'),
    ({"format": 1, "datasets": {"o/d": {"revisions": ["main"], "source": "s",
                                        "configs": {"c": {**GOOD_CONFIG, "splits": {"train": -1}}}}}},
     "entry datasets/o/d/configs/c: split(s) train"),
    ({"format": 1, "datasets": {"o/d": {"revisions": ["main"], "source": "s",
                                        "configs": {"c": {**GOOD_CONFIG, "features": {"label": {"class_label": ["a", "a"]}}}}}}},
     "entry datasets/o/d/configs/c: feature 'label'"),
    ({"format": 1, "datasets": {"o/d": {"revisions": ["main"], "source": "s",
                                        "configs": {"c": {**GOOD_CONFIG, "features": {"x": "text"}}}}}},
     "unknown dtype 'text'"),
])
def test_a_malformed_file_is_named_with_its_entry(tmp_path, payload, says):
    path = _write(tmp_path, payload)
    with pytest.raises(SchemaError) as err:
        load_schemas(path)
    assert str(path) in str(err.value) and says in str(err.value)


def test_a_missing_dataset_or_file_is_named(tmp_path):
    path = _write(tmp_path, {"format": 1, "datasets": {"o/d": {"revisions": ["main"], "source": "s",
                                                               "configs": {"c": GOOD_CONFIG}}}})
    with pytest.raises(SchemaError, match=r"bad\.json: no entry datasets/google/xtreme: record"):
        load_schemas(path).dataset("google/xtreme")
    with pytest.raises(SchemaError, match="missing"):
        load_schemas(tmp_path / "absent.json")


# --- the fixtures and the stand-in ask the schema first -----------------------------------------
def test_smoke_fixtures_refuse_a_split_the_hub_lacks():
    data = DataSource("fixture", fixture_sizes={"test": 4})
    with pytest.raises(DataError, match=r"XQuAD\.de.*'test'.*Unknown split \"test\".*repro/hub_schemas\.json"):
        data.load(get_task("xquad"), "test", "de")
    with pytest.raises(DataError, match="BuilderConfig 'PAN-X.xx' not found"):
        data.load(get_task("panx"), "validation", "xx")
    assert len(data.load(get_task("xquad"), "validation", "de")) > 0  # what the hub holds is served


def test_the_stand_in_refuses_as_the_hub_and_serves_the_recorded_features():
    data = DataSource("rehearsal", fixture_sizes=REHEARSAL.fixture_sizes)
    with pytest.raises(ValueError, match=r"^Unknown split \"test\"\. Should be one of \['validation'\]\.$"):
        data.load(get_task("xquad"), "test", "de")
    panx = data.load(get_task("panx"), "validation", "ka")
    config = load_schemas().dataset("google/xtreme").configs["PAN-X.ka"]
    assert panx.features == hf_features(config) and len(panx) == REHEARSAL.fixture_sizes["validation"]
    xquad = data.load(get_task("xquad"), "validation", "th")
    assert set(xquad.column_names) == {"id", "context", "question", "answers"}  # the fixture's title is not on the hub
    mnli = data.load(get_task("mnli"), "train", "en")
    assert mnli.features["label"].names == ["entailment", "neutral", "contradiction"] and "idx" in mnli.column_names


def test_the_stand_in_is_another_data_source_than_the_fixtures():
    sizes = REHEARSAL.fixture_sizes
    assert DataSource("rehearsal", fixture_sizes=sizes).identity != DataSource("fixture", fixture_sizes=sizes).identity

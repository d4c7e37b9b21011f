"""Data sources: parallel fixtures in the hub schema, local files with clear errors."""
import json

import pytest

from repro.data import DataError, DataSource
from repro.fixtures import lexicon
from repro.tasks import get_task


def test_fixture_is_parallel_and_in_hub_schema():
    source = DataSource("fixture", fixture_sizes={"validation": 20})
    task = get_task("xnli")
    en, zh = source.load(task, "validation", "en"), source.load(task, "validation", "zh")
    assert set(en.column_names) == {"premise", "hypothesis", "label"}
    assert len(en) == 20 and en["label"] == zh["label"]
    assert en["premise"] != zh["premise"]
    assert " " not in zh["premise"][0]  # Chinese is written without spaces
    assert source.load(task, "validation", "en")["premise"] == en["premise"]  # deterministic


def test_lexicon_covers_non_latin_scripts():
    scripts = {lexicon.LANGUAGE_SCRIPT[l] for l in get_task("xnli").languages}
    assert {"cyrillic", "cjk", "arabic", "devanagari", "thai", "greek"} <= scripts


def test_local_source_reads_jsonl(tmp_path):
    folder = tmp_path / "xnli" / "de"
    folder.mkdir(parents=True)
    rows = [{"premise": "a b", "hypothesis": "a", "label": 0}, {"premise": "c", "hypothesis": "d", "label": 2}]
    (folder / "validation.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    data = DataSource("local", tmp_path).load(get_task("xnli"), "validation", "de")
    assert data["label"] == [0, 2]
    assert DataSource("local", str(tmp_path)).load(get_task("xnli"), "validation", "de")["label"] == [0, 2]


@pytest.mark.parametrize("content, message", [
    (None, "is missing: put the validation split of xnli"),
    ('{"premise": "a", "hypothesis": "b", "label": 0}\n{oops\n', r"validation.jsonl:2: not valid JSON"),
    ('{"premise": "a", "label": 0}\n', r"validation.jsonl:1: missing field\(s\) hypothesis"),
])
def test_local_source_errors_name_file_line_and_fix(tmp_path, content, message):
    folder = tmp_path / "xnli" / "de"
    folder.mkdir(parents=True)
    if content is not None:
        (folder / "validation.jsonl").write_text(content)
    with pytest.raises(DataError, match=message):
        DataSource("local", tmp_path).load(get_task("xnli"), "validation", "de")


def test_unknown_source_and_task_are_named():
    with pytest.raises(DataError, match="unknown data source 'ftp'"):
        DataSource("ftp")
    with pytest.raises(KeyError, match="unknown task 'xnlii'; known tasks: .*xnli"):
        get_task("xnlii")


def test_hub_source_reads_a_local_copy_and_what_the_hub_lacks_from_the_data_dir(tmp_path, monkeypatch):
    from repro.data import data_source
    from repro.profiles import PAPER, SMOKE

    folder = tmp_path / "xnli" / "de"
    folder.mkdir(parents=True)
    (folder / "validation.jsonl").write_text(json.dumps({"premise": "a", "hypothesis": "b", "label": 1}) + "\n")
    monkeypatch.setenv("REPRO_DATA_DIR", str(tmp_path))
    source = data_source(PAPER)
    assert source.kind == "hub" and source.identity == "hub"
    assert source.load(get_task("xnli"), "validation", "de")["label"] == [1]  # no download: the copy wins
    with pytest.raises(DataError, match=r"ccg/en/train\.jsonl is missing"):  # never on the hub
        source.load(get_task("ccg"), "train", "en")
    assert data_source(SMOKE).kind == "local"  # a fixture profile given a directory reads only from it
    monkeypatch.delenv("REPRO_DATA_DIR")
    assert data_source(SMOKE).kind == "fixture"


def test_a_hub_that_cannot_be_reached_is_named_with_the_fixes(monkeypatch):
    import datasets

    def offline(*args, **kwargs):  # what datasets raises offline for a dataset it has not cached
        raise ConnectionError("Couldn't reach 'nyu-mll/glue' on the Hub (OfflineModeIsEnabled)")
    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DataError, match=r"mnli: nyu-mll/glue \(config 'mnli', split 'validation_matched'\) cannot be "
                                        r"read \(Couldn't reach.*download it beforehand.*--data-dir as "
                                        r"mnli/en/validation.jsonl"):
        DataSource("hub").load(get_task("mnli"), "validation", "en")

"""The format base classes: every registered format is one, capabilities are declared, and a
format that lacks a required method or contradicts itself fails before it is used."""
import pytest
from datasets import Dataset
from transformers import AutoModelForSequenceClassification

from repro.data import DataSource
from repro.profiles import SMOKE
from repro.tasks import TASKS, get_task
from repro.tasks.formats import Format, PredictingFormat, RetrievalFormat, TrainedFormat
from repro.tasks.translated import Translated, translated


def test_every_registered_task_has_a_format_of_its_kind():
    for name, task in TASKS.items():
        fmt = task.format
        assert isinstance(fmt, Format), name
        assert task.trained == isinstance(fmt, TrainedFormat) == (not isinstance(fmt, RetrievalFormat)), name
        assert fmt.predicts == isinstance(fmt, PredictingFormat), name
    assert {n for n, t in TASKS.items() if not t.trained} == {"bucc2018", "tatoeba"}
    assert {n for n, t in TASKS.items() if t.trained and not t.format.predicts} == {"mlm"}


def _complete(**methods):
    """A classification-like format class with every required method, overridden by `methods`."""
    body = dict(model_class=AutoModelForSequenceClassification,
                model_kwargs=lambda self, task: {},
                train_features=lambda self, raw, task, tokenizer, config: raw,
                eval_features=lambda self, raw, task, tokenizer, config: raw,
                collator=lambda self, tokenizer: None,
                decode=lambda self, outputs, features, raw, task: [],
                references=lambda self, raw, task: [],
                units=lambda self, raw, task: [])
    body.update(methods)
    return type("Toy", (PredictingFormat,), {k: v for k, v in body.items() if v is not None})


def test_a_complete_format_instantiates_with_the_declared_defaults():
    fmt = _complete()()
    assert fmt.trained and fmt.predicts and not fmt.reads_own_rows and not fmt.pretrained_head
    assert fmt.reduce_logits is None and fmt.label_field is None
    rows = Dataset.from_dict({"x": [1, 2]})
    assert fmt.check_train_rows(rows, None) == (rows, None)  # no check: rows as they are, no report
    with pytest.raises(NotImplementedError, match="reads_own_rows"):
        fmt.load_rows(DataSource("fixture"), None, None, 0)


@pytest.mark.parametrize("missing", ["decode", "references", "units", "train_features", "collator", "model_class"])
def test_a_format_missing_a_required_method_cannot_be_instantiated(missing):
    incomplete = _complete(**{missing: None})
    with pytest.raises(TypeError, match=f"abstract.*{missing}"):
        incomplete()


def test_a_retrieval_format_needs_evaluate():
    class NoEvaluate(RetrievalFormat):
        pass
    with pytest.raises(TypeError, match="evaluate"):
        NoEvaluate()


def test_a_format_outside_the_three_kinds_fails_at_class_definition():
    with pytest.raises(TypeError, match="TrainedFormat, PredictingFormat or RetrievalFormat"):
        class Loose(Format):
            pass


def test_reading_own_rows_without_load_rows_fails_at_class_definition():
    with pytest.raises(TypeError, match="reads_own_rows but does not define load_rows"):
        _complete(reads_own_rows=True)


def test_translated_formats_hand_on_each_capability_of_the_original():
    for name in ("mnli", "commonsenseqa", "squad", "ccg"):
        original, fmt = get_task(name).format, get_task(name + "_translated").format
        assert isinstance(fmt, Translated) and fmt.reads_own_rows and not original.reads_own_rows
        assert (fmt.model_class, fmt.label_field, fmt.pretrained_head, fmt.reduce_logits) == (
            original.model_class, original.label_field, original.pretrained_head, original.reduce_logits)
    assert get_task("commonsenseqa_translated").format.label_field == "answerKey"
    # SQuAD's answer check runs on its translated rows too
    squad = get_task("squad_translated")
    rows = DataSource("fixture", fixture_sizes={"train": 8}).load(get_task("squad"), "train", "en")
    checked, report = squad.format.check_train_rows(rows, squad)
    assert report is not None and report["checked"] == len(rows) == len(checked)


def test_only_a_predicting_format_can_be_translated():
    with pytest.raises(TypeError, match="mlm: only a task whose format predicts per row"):
        translated(get_task("mlm"))


def test_translated_dev_score_is_the_originals_on_the_same_predictions():
    from repro.models import fixture_tokenizer
    task, original = get_task("mnli_translated"), get_task("mnli")
    raw = DataSource("fixture", fixture_sizes={"validation": 12}).load(original, "validation", "en")
    config = SMOKE.intermediate["mnli"]
    features = original.format.eval_features(raw, original, fixture_tokenizer(), config)
    import numpy as np
    logits = np.random.default_rng(0).normal(size=(len(raw), len(original.labels)))
    score = task.format.dev_score(logits, features, raw, task)
    gold = [original.labels.index(n) for n in original.format.references(raw, original)]
    assert score == pytest.approx(100 * np.mean(logits.argmax(-1) == np.array(gold)))
    assert score == original.format.dev_score(logits, features, raw, original)

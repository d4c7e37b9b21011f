"""QA against XTREME's protocol: window starts doc_stride apart, the max-context rule, answer checks."""
import numpy as np
import pytest

from repro.models import fixture_tokenizer
from repro.profiles import PAPER, SMOKE, TrainConfig
from repro.tasks import get_task
from repro.tasks.qa import MAX_QUESTION_TOKENS, QA, context_windows, has_max_context, window_starts


@pytest.fixture(scope="module")
def tokenizer():
    return fixture_tokenizer()


def _long_context(tokenizer, subwords: int) -> str:
    words, text = [], ""
    while len(tokenizer(text, add_special_tokens=False)["input_ids"]) < subwords:
        words += ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
        text = " ".join(words) + "."
    return text


def test_window_starts_advance_by_doc_stride_over_a_long_context(tokenizer):
    # XTREME squad_convert_example_to_features: window k starts at sub-word k * doc_stride
    context = _long_context(tokenizer, 1000)
    question = "what follows alpha"
    pieces = tokenizer(context, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    enc = context_windows([question], [context], tokenizer, max_length=384, doc_stride=128)
    firsts = [next(o for o, s in zip(offsets, sequence) if s == 1)
              for offsets, sequence in zip(enc["offset_mapping"], enc["sequence_ids"])]
    assert [tuple(o) for o in firsts] == [tuple(pieces[k * 128]) for k in range(len(firsts))]
    capacity = 384 - len(tokenizer(question, add_special_tokens=False)["input_ids"]) - 4  # <s> q </s></s> c </s>
    assert all(len(ids) == 384 for ids in enc["input_ids"][:-1])
    # the last window reaches the end, the one before did not
    assert (len(firsts) - 2) * 128 + capacity < len(pieces) <= (len(firsts) - 1) * 128 + capacity
    assert tuple(enc["offset_mapping"][-1][-2]) == tuple(pieces[-1])


def test_window_starts_closed_form_and_bad_settings():
    assert window_starts(1000, 316, 128) == [0, 128, 256, 384, 512, 640, 768]  # 640 + 316 < 1000 <= 768 + 316
    assert window_starts(700, 316, 128) == [0, 128, 256, 384]  # 384 + 316 = 700 reaches the end
    assert window_starts(316, 316, 128) == [0]
    assert window_starts(317, 316, 128) == [0, 128]
    with pytest.raises(ValueError, match="doc_stride 200 exceeds the 150 context sub-words"):
        window_starts(1000, 150, 200)
    with pytest.raises(ValueError, match="raise max_length"):
        window_starts(1000, 0, 128)


def test_max_context_rule_by_hand():
    # windows [0, 316), [128, 444), [256, 456): score = min(left, right) + 0.01 * length
    starts, lengths = [0, 128, 256], [316, 316, 200]
    owner = {p: [k for k in range(3) if has_max_context(starts, lengths, k, p)] for p in (10, 200, 250, 300, 400, 455)}
    # 200: w0 min(200, 115) = 115 > w1 min(72, 243) = 72; 250: w1 122 > w0 65; 300: w1 143 > w2 44 > w0 15
    # 400: w2 min(144, 55) = 55 > w1 min(272, 43) = 43; 455: only w2
    assert owner == {10: [0], 200: [0], 250: [1], 300: [1], 400: [2], 455: [2]}
    # a tie in min(left, right) goes to the longer window, then to the first
    assert has_max_context([0, 10], [30, 20], 0, 20) and not has_max_context([0, 10], [30, 20], 1, 20)
    assert has_max_context([0, 5], [10, 10], 0, 7) and not has_max_context([0, 5], [10, 10], 1, 7)


def test_decoding_takes_a_start_only_where_it_has_the_most_context(tokenizer):
    from datasets import Dataset
    context = _long_context(tokenizer, 200)
    raw = Dataset.from_list([{"id": "q", "question": "what follows alpha", "context": context,
                              "answers": {"answer_start": [0], "text": ["alpha"]}}])
    config = TrainConfig(learning_rate=1e-5, batch_size=1, epochs=1, max_length=96, doc_stride=40)
    features = QA.eval_features(raw, get_task("xquad"), tokenizer, config)
    assert len(features) >= 3
    seq = [[o[0] >= 0 for o in offsets] for offsets in features["offsets"]]
    # a token near window 0's right edge also sits in window 1, where it has more context
    edge = max(t for t, inside in enumerate(seq[0]) if inside) - 2
    same_in_1 = features["offsets"][1].index(features["offsets"][0][edge])
    assert not features["max_context"][0][edge] and features["max_context"][1][same_in_1]
    middle = next(t for t, m in enumerate(features["max_context"][1]) if m and t > same_in_1 + 5)
    width = max(len(ids) for ids in features["input_ids"])
    start, end = np.full((len(features), width), -5.0), np.full((len(features), width), -5.0)
    start[0, edge] = end[0, edge] = 9.0        # the best span, but outside its max-context window
    start[1, middle] = end[1, middle] = 3.0    # a weaker span where its start has the most context
    lo, hi = features["offsets"][1][middle]
    assert QA.decode((start, end), features, raw, get_task("xquad")) == [context[lo:hi]]


def test_every_qa_configuration_leaves_room_for_its_stride():
    # a question cut at 64 sub-words and XLM-R's 4 pair tokens must leave at least doc_stride context
    for profile in (PAPER,):
        for table in (profile.intermediate, profile.target):
            for name, config in table.items():
                if get_task(name.removesuffix("_translated")).format is QA:
                    assert config.doc_stride <= config.max_length - MAX_QUESTION_TOKENS - 4, (profile.name, name)
    assert PAPER.target["xquad"].doc_stride == PAPER.intermediate["squad"].doc_stride == 128
    assert SMOKE.target["xquad"].doc_stride < SMOKE.target["xquad"].max_length


# --- training rows whose answer offset the hub's context stripping moved ----------------------
def _rows_with_moved_offsets():
    from repro.data import DataSource
    rows = DataSource("fixture").load(get_task("squad"), "train", "en").select(range(24)).to_list()
    rows[3]["answers"]["answer_start"][0] += 2            # a context stripped of two leading spaces
    rows[7]["answers"]["answer_start"][0] -= 1
    rows[11]["answers"]["text"][0] = "nowhere in the context"  # cannot be repaired: dropped
    return rows


def test_moved_answer_offsets_are_repaired_or_dropped_and_counted():
    from datasets import Dataset

    from repro.tasks.qa import check_answers
    rows = _rows_with_moved_offsets()
    checked, report = check_answers(Dataset.from_list(rows))
    assert report == {"checked": 24, "repaired": 2, "dropped": 1, "dropped_ids": [rows[11]["id"]]}
    assert len(checked) == 23 and rows[11]["id"] not in checked["id"]
    for row in checked:
        start, text = row["answers"]["answer_start"][0], row["answers"]["text"][0]
        assert row["context"][start:][:len(text)] == text
    fixed = dict(zip(checked["id"], checked["answers"]))
    assert fixed[rows[3]["id"]]["answer_start"][0] == rows[3]["answers"]["answer_start"][0] - 2


def test_a_moved_offset_goes_to_the_nearest_occurrence():
    from repro.tasks.qa import locate_answer
    context = "red fox, red hen, red cow"
    assert locate_answer(context, "red", 9) == 9
    assert locate_answer(context, "red", 16) == 18 and locate_answer(context, "red", 2) == 0
    assert locate_answer(context, "blue", 0) is None and locate_answer(context, "", 0) is None


def test_train_log_reports_the_repaired_and_dropped_rows(tmp_path):
    import json
    from dataclasses import replace
    from types import MappingProxyType

    from repro import plan
    from repro.data import DataSource
    from repro.engine import Engine
    from repro.store import RunStore
    root = tmp_path / "data"
    (root / "squad" / "en").mkdir(parents=True)
    dev = DataSource("fixture").load(get_task("squad"), "validation", "en").select(range(8)).to_list()
    for split, rows in (("train", _rows_with_moved_offsets()), ("validation", dev)):
        (root / "squad" / "en" / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = replace(SMOKE.intermediate["squad"], epochs=1, early_stopping_examples=8)
    profile = replace(SMOKE, intermediate=MappingProxyType({"squad": config}))
    data = DataSource("local", root=root)
    engine = Engine(RunStore(tmp_path / "store"), data, profile)
    run = engine.ensure(plan.intermediate_spec(profile, data, ("squad",), 1))
    assert run.read_json("train_log.json")["train_rows"] == {"checked": 24, "repaired": 2, "dropped": 1,
                                                             "dropped_ids": [_rows_with_moved_offsets()[11]["id"]]}


def test_translated_qa_rows_are_checked_too(tmp_path):
    from repro.data import DataSource
    from repro.engine import Engine
    from repro.store import RunStore
    engine = Engine(RunStore(tmp_path), DataSource("fixture", fixture_sizes={"train": 32, "validation": 8}), SMOKE)
    config = SMOKE.train_config("intermediate", "squad_translated")
    item = engine._load_task("squad_translated", config, fixture_tokenizer())
    assert item.checks == {"checked": len(item.train_raw), "repaired": 0, "dropped": 0, "dropped_ids": []}
    assert engine._load_task("mnli", SMOKE.train_config("intermediate", "mnli"), fixture_tokenizer()).checks is None

"""Multiple choice: each dataset's schema as (context, choices, gold), features, decoding."""
import numpy as np
import pytest

from repro.data import DataSource
from repro.models import fixture_tokenizer
from repro.profiles import SMOKE
from repro.tasks import get_task
from repro.tasks.multiple_choice import (Example, choice_features, commonsenseqa_example, cosmosqa_example,
                                         hellaswag_example)

HELLASWAG_ROW = {"ind": 4, "activity_label": "Removing ice from car", "ctx_a": "Then, the man writes over the snow.",
                 "ctx_b": "then", "ctx": "Then, the man writes over the snow. then",
                 "endings": [", the man adds wax.", " the man puts on a christmas coat.", "the man continues.",
                             "the man leaves."],
                 "source_id": "activitynet~v_-1IBHYS3L-Y", "split": "train", "split_type": "indomain", "label": "3"}
COSMOSQA_ROW = {"id": "3Q9SPIIRWJKVQ8244310E8TUS6YWAC##34V1S5K3GTZMDUBNBIGY93FLDN690G##A1S1K7134S2VUC##Blog_1024400##q1_a1##3XU9MCX6VQQG7YPLCSAFDPQNH4GR20",
                "context": "Good Old War and person L : I saw both of these bands Wednesday night.",
                "question": "In the future , will this person go to see other bands play ?",
                "answer0": "None of the above choices .", "answer1": "This person likes music .",
                "answer2": "This person only likes Good Old War .", "answer3": "Other Bands is not on tour .",
                "label": 1}
CSQA_ROW = {"id": "075e483d21c29a511267ef62bedc0461",
            "question": "The sanctions against the school were a punishing blow, and they seemed to what the efforts the school had made to change?",
            "question_concept": "punishing",
            "choices": {"label": ["A", "B", "C", "D", "E"],
                        "text": ["ignore", "enforce", "authoritarian", "yell at", "avoid"]},
            "answerKey": "A"}


def test_hellaswag_pairs_ctx_a_with_ctx_b_and_each_ending():
    example = hellaswag_example(HELLASWAG_ROW)
    assert example.context == "Then, the man writes over the snow."
    assert example.choices[1] == "then the man puts on a christmas coat."
    assert len(example.choices) == 4 and example.label == 3
    assert hellaswag_example({**HELLASWAG_ROW, "label": ""}).label is None  # the unlabelled test split
    assert hellaswag_example({**HELLASWAG_ROW, "ctx_b": ""}).choices[2] == "the man continues."


def test_cosmosqa_pairs_paragraph_and_question_with_each_answer():
    example = cosmosqa_example(COSMOSQA_ROW)
    assert example.context == f"{COSMOSQA_ROW['context']} {COSMOSQA_ROW['question']}"
    assert example.choices == tuple(COSMOSQA_ROW[f"answer{k}"] for k in range(4))
    assert example.label == 1


def test_commonsenseqa_pairs_the_question_with_each_choice_and_reads_the_letter():
    example = commonsenseqa_example(CSQA_ROW)
    assert example.context == CSQA_ROW["question"] and example.choices[3] == "yell at"
    assert example.label == 0
    assert commonsenseqa_example({**CSQA_ROW, "answerKey": "D"}).label == 3
    assert commonsenseqa_example({**CSQA_ROW, "answerKey": ""}).label is None
    with pytest.raises(ValueError, match="answerKey 'F' is not a choice"):
        commonsenseqa_example({**CSQA_ROW, "answerKey": "F"})


def test_features_group_one_sequence_per_choice_and_are_padded_per_batch():
    tokenizer = fixture_tokenizer()
    examples = [Example("a b c", ("d", "e f", "g"), 2), Example("h", ("i j k l", "m", "n"), 0)]
    features = choice_features(examples, tokenizer, max_length=8)
    assert features["labels"] == [2, 0]
    assert [len(choices) for choices in features["input_ids"]] == [3, 3]
    assert all(len(ids) <= 8 for choices in features["input_ids"] for ids in choices)
    # every choice is a pair <s> context </s></s> choice </s>
    assert features["input_ids"][0][1] == tokenizer("a b c", "e f", truncation=True, max_length=8)["input_ids"]
    assert features["input_ids"][1][0] == tokenizer("h", "i j k l", truncation=True, max_length=8)["input_ids"]
    batch = get_task("hellaswag").format.collator(tokenizer)([features[0], features[1]])
    assert tuple(batch["input_ids"].shape)[:2] == (2, 3) and batch["labels"].tolist() == [2, 0]


def test_decode_picks_the_best_scored_choice():
    logits = np.array([[0.1, 2.0, -1.0, 0.0], [3.0, 0.0, 0.0, 0.0]])
    assert get_task("cosmosqa").format.decode(logits, None, None, get_task("cosmosqa")) == [1, 0]


@pytest.mark.parametrize("name", ["hellaswag", "cosmosqa", "commonsenseqa"])
def test_fixture_rows_become_features_with_gold(name):
    task = get_task(name)
    raw = DataSource("fixture").load(task, "validation")
    features = task.format.train_features(raw, task, fixture_tokenizer(), SMOKE.intermediate[name])
    assert len(features) == len(raw)
    assert task.format.references(raw, task) == features["labels"]
    assert len({len(c) for c in features["input_ids"]}) == 1


def test_unlabelled_rows_are_refused_for_training():
    task = get_task("hellaswag")
    raw = DataSource("fixture", fixture_sizes={"test": 3}).load(task, "test")
    with pytest.raises(ValueError, match="no gold choice"):
        task.format.train_features(raw, task, fixture_tokenizer(), SMOKE.intermediate["hellaswag"])


def test_local_rows_need_the_gold_field_of_their_schema(tmp_path):
    import json
    from repro.data import DataError
    folder = tmp_path / "commonsenseqa" / "en"
    folder.mkdir(parents=True)
    row = {k: v for k, v in CSQA_ROW.items() if k != "answerKey"}
    (folder / "validation.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(DataError, match=r"missing field\(s\) answerKey"):
        DataSource("local", tmp_path).load(get_task("commonsenseqa"), "validation")


def test_one_number_of_choices_per_dataset():
    fmt = get_task("commonsenseqa").format
    short = {**CSQA_ROW, "choices": {"label": ["A", "B"], "text": ["x", "y"]}}
    with pytest.raises(ValueError, match=r"rows with \[2, 5\] choices"):
        fmt.examples([CSQA_ROW, short])

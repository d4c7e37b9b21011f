"""Multiple choice (HellaSwag, CosmosQA, CommonsenseQA): head, preprocessing, prediction, and its tasks.

Head: `AutoModelForMultipleChoice` (one score per choice from the `<s>` state of each
(context, choice) pair, softmax over the choices), as jiant's multiple-choice tasks.  Every
dataset's schema becomes an `Example` (context, choices, gold index) split as jiant's
`hellaswag`, `cosmosqa` and `commonsenseqa` tasks split it; each choice is encoded
`<s> context </s></s> choice </s>`, truncated longest-first to the profile's max length.
Accuracy on the predicted choice index.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from repro.fixtures import intermediate
from repro.metrics import Accuracy
from repro.tasks.base import HubSource, Sizes, Task
from repro.tasks.formats import PredictingFormat


@dataclass(frozen=True)
class Example:
    """One question: the shared first segment, the choices' second segments, the gold choice
    (None where the split has no gold, as HellaSwag's test set)."""

    context: str
    choices: tuple[str, ...]
    label: int | None


# --- each dataset's schema as Examples ------------------------------------------------------
def hellaswag_example(row: dict) -> Example:
    """Rowan/hellaswag: `ctx_a` against `ctx_b` + each ending (the ending completes the sentence
    that `ctx_b` begins); `label` is the right ending's index as a string, "" when unlabelled."""
    lead = row["ctx_b"].strip()
    endings = tuple(f"{lead} {e.strip()}" if lead else e.strip() for e in row["endings"])
    return Example(row["ctx_a"].strip(), endings, int(row["label"]) if str(row["label"]).strip() else None)


def cosmosqa_example(row: dict) -> Example:
    """allenai/cosmos_qa: paragraph + question against each of answer0..answer3; `label` 0-3."""
    answers = tuple(row[f"answer{k}"].strip() for k in range(4))
    return Example(f"{row['context'].strip()} {row['question'].strip()}", answers, _index(row["label"]))


def commonsenseqa_example(row: dict) -> Example:
    """tau/commonsense_qa: the question against each choice text; `answerKey` is a choice's letter
    (A-E), "" on the unlabelled test set."""
    letters, texts = list(row["choices"]["label"]), tuple(row["choices"]["text"])
    key = row["answerKey"].strip()
    if key and key not in letters:
        raise ValueError(f"commonsenseqa {row.get('id', '')}: answerKey {key!r} is not a choice ({letters})")
    return Example(row["question"].strip(), texts, letters.index(key) if key else None)


def _index(value) -> int | None:
    return None if value is None or int(value) < 0 else int(value)


# --- the handler ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MultipleChoice(PredictingFormat):
    """The format handler the engine calls for multiple-choice tasks, for one dataset schema."""

    to_example: Callable[[dict], Example]
    label_field: str  # the gold field of a row, which local data must carry
    @property
    def model_class(self) -> type:
        from transformers import AutoModelForMultipleChoice  # only to build a model: the registry stays light
        return AutoModelForMultipleChoice

    @staticmethod
    def model_kwargs(task: Task) -> dict:
        return {}

    def examples(self, raw) -> list[Example]:
        """Every row as an Example; one number of choices throughout."""
        out = [self.to_example(row) for row in raw]
        counts = {len(e.choices) for e in out}
        if len(counts) > 1:
            raise ValueError(f"rows with {sorted(counts)} choices: one number of choices per dataset is needed")
        return out

    def sequence_lengths(self, raw, task: Task, tokenizer) -> list:
        """Per question, the longest of its (context, choice) sequences: its padded width in a batch."""
        return [max(len(ids) for ids in tokenizer([e.context] * len(e.choices), list(e.choices))["input_ids"])
                for e in self.examples(raw)]

    def train_features(self, raw, task: Task, tokenizer, config):
        """Per row: `input_ids`/`attention_mask` of each (context, choice) pair and the gold `labels`."""
        examples = self.examples(raw)
        missing = [i for i, e in enumerate(examples) if e.label is None]
        if missing:
            raise ValueError(f"{task.name}: rows {missing[:5]} have no gold choice; train and evaluate on "
                             "labelled splits (HellaSwag's and CommonsenseQA's test sets are unlabelled)")
        return choice_features(examples, tokenizer, config.max_length)

    eval_features = train_features  # one feature per question

    @staticmethod
    def collator(tokenizer):
        from transformers import DataCollatorForMultipleChoice
        return DataCollatorForMultipleChoice(tokenizer)

    @staticmethod
    def decode(logits, features, raw, task: Task) -> list[int]:
        """The index of the best-scored choice per question."""
        return [int(i) for i in np.asarray(logits).argmax(-1)]

    def references(self, raw, task: Task) -> list[int | None]:
        return [e.label for e in self.examples(raw)]

    @staticmethod
    def units(raw, task: Task) -> list[tuple[str, str]]:
        """(id, unit) per question: its row number."""
        return [(str(i), str(i)) for i in range(len(raw))]


def choice_features(examples: list[Example], tokenizer, max_length: int):
    """Pairs of every example's choices tokenised together and grouped back per example."""
    from datasets import Dataset
    firsts = [e.context for e in examples for _ in e.choices]
    seconds = [c for e in examples for c in e.choices]
    enc = tokenizer(firsts, seconds, truncation=True, max_length=max_length)
    k = len(examples[0].choices) if examples else 0
    group = lambda column: [column[i:i + k] for i in range(0, len(column), k)]  # noqa: E731
    return Dataset.from_dict({"input_ids": group(enc["input_ids"]), "attention_mask": group(enc["attention_mask"]),
                              "labels": [e.label for e in examples]})


# --- tasks ------------------------------------------------------------------------------------
HELLASWAG = Task(
    name="hellaswag",
    paper_label="HellaSwag",
    sizes=Sizes(train=39_905, sequences=4, source="English training examples: arXiv v1 Table 1; 4 endings per example"),
    format=MultipleChoice(hellaswag_example, "label"),
    languages=("en",),
    # the main branch holds only a loading script; the hub's Parquet conversion is on this ref
    hub=HubSource("Rowan/hellaswag", "default", revision="refs/convert/parquet"),
    fixture=lambda split, lang, n: intermediate.hellaswag_rows(f"hellaswag-{split}", n, lang, split),
    metric=Accuracy(),
    fields=("ctx_a", "ctx_b", "endings"),
    source="HellaSwag (Zellers et al. 2019) via Rowan/hellaswag; train 39,905, validation 10,042",
)

COSMOSQA = Task(
    name="cosmosqa",
    paper_label="CosmosQA",
    sizes=Sizes(train=25_588, sequences=4, source="English training examples: arXiv v1 Table 1; 4 answers per example"),
    format=MultipleChoice(cosmosqa_example, "label"),
    languages=("en",),
    # the main branch holds only a loading script; the hub's Parquet conversion is on this ref
    hub=HubSource("allenai/cosmos_qa", "default", revision="refs/convert/parquet"),
    fixture=lambda split, lang, n: intermediate.cosmosqa_rows(f"cosmosqa-{split}", n, lang),
    metric=Accuracy(),
    fields=("context", "question", "answer0", "answer1", "answer2", "answer3"),
    source="Cosmos QA (Huang et al. 2019) via allenai/cosmos_qa; train 25,262, validation 2,985 on the hub "
           "(the paper counts 25,588 / 3,000, the original release)",
)

COMMONSENSEQA = Task(
    name="commonsenseqa",
    paper_label="CommonsenseQA",
    sizes=Sizes(train=9_741, sequences=5, source="English training examples: arXiv v1 Table 1; 5 choices per example"),
    format=MultipleChoice(commonsenseqa_example, "answerKey"),
    languages=("en",),
    hub=HubSource("tau/commonsense_qa"),  # Parquet on the main branch, one default config
    fixture=lambda split, lang, n: intermediate.commonsenseqa_rows(f"commonsenseqa-{split}", n, lang),
    metric=Accuracy(),
    fields=("question", "choices"),
    source="CommonsenseQA (Talmor et al. 2019) via tau/commonsense_qa; train 9,741, validation 1,221",
)

TASKS = (HELLASWAG, COSMOSQA, COMMONSENSEQA)

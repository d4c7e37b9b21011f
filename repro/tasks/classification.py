"""Sentence(-pair) classification: head, preprocessing, prediction, and its tasks.

Head: `AutoModelForSequenceClassification` (XLM-R's classification head on
`<s>`), as in XTREME's reference implementation.  Pairs are encoded
`<s> A </s></s> B </s>` and truncated longest-first to the profile's max length.
"""
from __future__ import annotations

from types import MappingProxyType

import numpy as np

from repro.fixtures import generators, intermediate
from repro.metrics import Accuracy
from repro.tasks.base import EVAL_SOURCE, TRAIN_SOURCE, HubSource, Sizes, Task, XtremeFiles
from repro.tasks.formats import PredictingFormat


class Classification(PredictingFormat):
    """The format handler the engine calls for classification tasks."""

    @property
    def model_class(self) -> type:
        from transformers import AutoModelForSequenceClassification  # only to build a model: the registry stays light
        return AutoModelForSequenceClassification
    label_field = "label"  # ClassLabel ids or label names

    @staticmethod
    def model_kwargs(task: Task) -> dict:
        return {"num_labels": len(task.labels),
                "id2label": dict(enumerate(task.labels)),
                "label2id": {name: i for i, name in enumerate(task.labels)}}

    @staticmethod
    def label_names(dataset, task: Task) -> list[str]:
        """Gold labels as names, whether the data stores ClassLabel ids or strings."""
        names = []
        for value in dataset["label"]:
            if isinstance(value, (int, np.integer)):
                if not 0 <= value < len(task.labels):
                    raise ValueError(f"{task.name}: label id {value} outside 0..{len(task.labels) - 1} "
                                     f"({', '.join(task.labels)}); rows without gold (-1) must be removed")
                names.append(task.labels[value])
            elif str(value) in task.labels:
                names.append(str(value))
            else:
                raise ValueError(f"{task.name}: unknown label {value!r}; expected one of {task.labels}")
        return names

    def train_features(self, raw, task: Task, tokenizer, config):
        """Tokenised features with integer `labels` in the task's label order."""
        label_ids = [task.labels.index(n) for n in self.label_names(raw, task)]
        texts = [list(raw[f]) for f in task.fields]
        enc = tokenizer(*texts, truncation=True, max_length=config.max_length)
        return _as_dataset({**enc, "labels": label_ids})

    eval_features = train_features  # one feature per example

    @staticmethod
    def collator(tokenizer):
        from transformers import DataCollatorWithPadding
        return DataCollatorWithPadding(tokenizer)

    @staticmethod
    def decode(logits: np.ndarray, features, raw, task: Task) -> list[str]:
        """Predicted label names from the head's logits."""
        return [task.labels[i] for i in np.asarray(logits).argmax(-1)]

    def references(self, dataset, task: Task) -> list[str]:
        return self.label_names(dataset, task)

    @staticmethod
    def units(dataset, task: Task) -> list[tuple[str, str]]:
        """(id, unit) per example: row numbers, which align translations in parallel sets."""
        return [(str(i), str(i)) for i in range(len(dataset))]


def _as_dataset(columns: dict):
    from datasets import Dataset
    return Dataset.from_dict({k: list(v) for k, v in columns.items()})


CLASSIFICATION = Classification()
NLI_LABELS = generators.NLI_LABELS  # ClassLabel order of GLUE MNLI and facebook/xnli


def _nli_fixture(stream: str):
    def rows(split: str, lang: str, n: int) -> list[dict]:
        return generators.nli_rows(f"{stream}-{split}", n, lang)
    return rows


MNLI = Task(
    name="mnli",
    paper_label="MNLI",
    sizes=Sizes(train=392_702, source=TRAIN_SOURCE),
    format=CLASSIFICATION,
    languages=("en",),
    hub=HubSource("nyu-mll/glue", "mnli", MappingProxyType({"validation": "validation_matched"})),
    fixture=_nli_fixture("mnli"),
    metric=Accuracy(),
    fields=("premise", "hypothesis"),
    labels=NLI_LABELS,
    source="GLUE MNLI (Williams et al. 2018); train 392,702, validation_matched 9,815",
)

XNLI = Task(
    name="xnli",
    sizes=Sizes(evaluation=MappingProxyType({"validation": 2_490, "test": 5_010}),  # trains on MNLI
                source=EVAL_SOURCE),
    submission="labels", paper_label="XNLI",
    format=CLASSIFICATION,
    # XTREME_TASK2LANGS["xnli"] in google-research/xtreme evaluate.py
    languages=tuple("ar bg de el en es fr hi ru sw th tr ur vi zh".split()),
    hub=HubSource("facebook/xnli", "{lang}"),
    fixture=_nli_fixture("xnli"),
    metric=Accuracy(),
    fields=("premise", "hypothesis"),
    labels=NLI_LABELS,
    train_task="mnli",
    parallel=True,
    # XTREME's xnli/: dev-{lang}.tsv, test-{lang}.tsv (premise, hypothesis, label; test labels stripped)
    xtreme=XtremeFiles("tsv", MappingProxyType({"validation": "xnli/dev-{lang}.tsv", "test": "xnli/test-{lang}.tsv"})),
    source="XNLI (Conneau et al. 2018) via facebook/xnli; 2,490 dev / 5,010 test per language; trains on MNLI",
)


def _pawsx_fixture(split: str, lang: str, n: int) -> list[dict]:
    return generators.pawsx_rows(f"pawsx-{split}", n, lang)


PAWSX = Task(
    name="pawsx",
    sizes=Sizes(train=49_401, evaluation=MappingProxyType({"validation": 2_000, "test": 2_000}),
                source=f"{TRAIN_SOURCE}; {EVAL_SOURCE}"),
    submission="labels", paper_label="PAWS-X",
    format=CLASSIFICATION,
    # XTREME_TASK2LANGS["pawsx"] in google-research/xtreme evaluate.py
    languages=tuple("de en es fr ja ko zh".split()),
    # google/xtreme PAWS-X.{lang}: sentence1, sentence2, label "0"/"1" (HF dataset card); the
    # non-English train splits are machine translations, so the engine only ever loads PAWS-X.en train.
    hub=HubSource("google/xtreme", "PAWS-X.{lang}"),
    fixture=_pawsx_fixture,
    metric=Accuracy(),
    fields=("sentence1", "sentence2"),
    labels=("0", "1"),
    parallel=True,
    xtreme=XtremeFiles("tsv", MappingProxyType({"train": "pawsx/train-{lang}.tsv", "validation": "pawsx/dev-{lang}.tsv", "test": "pawsx/test-{lang}.tsv"})),
    source="PAWS-X (Yang et al. 2019) via google/xtreme; en train 49,401, 2,000 dev/test per language",
)


# --- English intermediate tasks (phase ii) -------------------------------------------------
# ANLI+: ANLI rounds 1-3, MNLI and SNLI one after the other (the training data of Nie et al.'s
# ANLI baselines), SNLI's pairs without a gold label (-1) dropped.  The real sizes per part; the
# paper's 1,104,934 / 22,857 are their sums with MNLI's dev = validation_matched:
ANLI_PLUS_SIZES = MappingProxyType({  # part -> (train, validation, of which without gold label)
    "anli": ((16_946 + 45_460 + 100_459, 0), (1_000 + 1_000 + 1_200, 0)),
    "mnli": ((392_702, 0), (9_815, 0)),
    "snli": ((550_152, 785), (10_000, 158)),
})

ANLI = Task(
    name="anli",
    format=CLASSIFICATION,
    languages=("en",),
    # plain_text is Parquet on the hub's main branch; "a+b" concatenates the rounds' splits
    hub=HubSource("facebook/anli", "plain_text", MappingProxyType({
        "train": "train_r1+train_r2+train_r3", "validation": "dev_r1+dev_r2+dev_r3",
        "test": "test_r1+test_r2+test_r3"})),
    fixture=lambda split, lang, n: intermediate.anli_rows(f"anli-{split}", n, lang),
    metric=Accuracy(),
    fields=("premise", "hypothesis"),
    labels=NLI_LABELS,
    source="ANLI rounds 1-3 (Nie et al. 2020) via facebook/anli plain_text; train 162,865, dev 3,200",
)

SNLI = Task(
    name="snli",
    format=CLASSIFICATION,
    languages=("en",),
    hub=HubSource("stanfordnlp/snli", "plain_text"),
    fixture=lambda split, lang, n: intermediate.snli_rows(f"snli-{split}", n, lang),
    metric=Accuracy(),
    fields=("premise", "hypothesis"),
    labels=NLI_LABELS,
    source="SNLI (Bowman et al. 2015) via stanfordnlp/snli plain_text; train 550,152, validation 10,000, "
           "label -1 where annotators did not agree",
)

ANLI_PLUS = Task(
    name="anli_plus",
    paper_label="ANLI+",
    sizes=Sizes(train=1_104_934, source=TRAIN_SOURCE),
    format=CLASSIFICATION,
    languages=("en",),
    hub=None,  # its parts say where they come from
    fixture=None,
    metric=Accuracy(),
    fields=("premise", "hypothesis"),
    labels=NLI_LABELS,
    parts=(ANLI, MNLI, SNLI),
    source="ANLI+ = ANLI R1-R3 + MNLI + SNLI (Phang et al. 2020, after Nie et al. 2020); "
           "train 1,104,934, dev 22,857 (arXiv v1 Table 1)",
)

QQP = Task(
    name="qqp",
    paper_label="QQP",
    sizes=Sizes(train=363_846, source=TRAIN_SOURCE),
    format=CLASSIFICATION,
    languages=("en",),
    hub=HubSource("nyu-mll/glue", "qqp"),
    fixture=lambda split, lang, n: intermediate.qqp_rows(f"qqp-{split}", n, lang),
    metric=Accuracy(),
    fields=("question1", "question2"),
    labels=("not_duplicate", "duplicate"),  # GLUE qqp ClassLabel order
    source="Quora Question Pairs via nyu-mll/glue qqp; train 363,846, validation 40,430",
)

SST2 = Task(
    name="sst2",
    paper_label="SST-2",
    sizes=Sizes(train=67_349, source="English training examples: the nyu-mll/glue sst2 card"),
    format=CLASSIFICATION,
    languages=("en",),
    hub=HubSource("nyu-mll/glue", "sst2"),
    fixture=lambda split, lang, n: intermediate.sst2_rows(f"sst2-{split}", n, lang),
    metric=Accuracy(),
    fields=("sentence",),
    labels=("negative", "positive"),  # GLUE sst2 ClassLabel order
    source="SST-2 (Socher et al. 2013) via nyu-mll/glue sst2; train 67,349, validation 872; the final "
           "version's most likely ninth task (no readable source names it)",
)

TASKS = (MNLI, XNLI, PAWSX, ANLI_PLUS, QQP, SST2)

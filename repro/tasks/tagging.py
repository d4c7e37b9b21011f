"""Token classification (UDPOS, PAN-X, CCG): head, preprocessing, prediction, and its tasks.

Head: `AutoModelForTokenClassification`.  Each word's label sits on its FIRST
sub-word, the others get -100 (ignored by the loss), as in XTREME's
`utils_tag.py` and jiant's `udpos.py`/`panx.py`.  Preprocessing follows XTREME's
`utils_preprocess.py` (`panx_tokenize_preprocess`, used for UDPOS too), for training
and evaluation alike: a word that tokenises to nothing (e.g. whitespace) or to more
sub-words than a sequence holds becomes the unknown token, so it is trained on and
scored; a sentence longer than the max length is split at word boundaries into chunks
that fit (never cut), and evaluation rejoins the chunks' predictions per sentence
(`run_tag.py` with the `.idx` files).
"""
from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import cast

import numpy as np

from repro.fixtures import generators, intermediate
from repro.metrics import ChunkF1, TokenAccuracy
from repro.tasks.base import EVAL_SOURCE, TRAIN_SOURCE, HubSource, Sizes, Task, XtremeFiles
from repro.tasks.formats import PredictingFormat

IGNORE = -100  # torch CrossEntropyLoss().ignore_index


class Tagging(PredictingFormat):
    """The format handler the engine calls for tagging tasks."""

    @property
    def model_class(self) -> type:
        from transformers import AutoModelForTokenClassification  # only to build a model: the registry stays light
        return AutoModelForTokenClassification

    @staticmethod
    def model_kwargs(task: Task) -> dict:
        return {"num_labels": len(task.labels), "id2label": dict(enumerate(task.labels)),
                "label2id": {name: i for i, name in enumerate(task.labels)}}

    @staticmethod
    def tag_ids(raw, task: Task) -> list[list[int]]:
        """Gold tags as ids in the task's order, from ClassLabel ids or tag names."""
        out = []
        for tags in raw[task.fields[1]]:
            out.append([int(t) if isinstance(t, (int, np.integer)) else task.labels.index(t) for t in tags])
        return out

    def chunks(self, raw, task: Task, tokenizer, config) -> dict[str, list]:
        """Every sentence as chunks of whole words whose sub-words fit the max length.

        Returns per chunk: `sentence` (row index), `first_word` (its first word's index in the
        sentence), `words` (unknown-token substitutions made) and `tags` (ids).
        """
        sentences = [list(words) for words in raw[task.fields[0]]]
        gold = self.tag_ids(raw, task)
        budget = config.max_length - tokenizer.num_special_tokens_to_add()
        columns: dict[str, list] = {"sentence": [], "first_word": [], "words": [], "tags": []}
        if not sentences:
            return columns
        pieces = tokenizer(sentences, is_split_into_words=True, add_special_tokens=False)
        for s, words in enumerate(sentences):
            counts = np.bincount([w for w in pieces.word_ids(s) if w is not None], minlength=len(words))
            # XTREME utils_preprocess.py: `(current_subwords_len == 0 or current_subwords_len > max_seq_len)`
            # -> `token = tokenizer.unk_token`, one sub-word
            unknown = (counts == 0) | (counts > budget)
            words = [tokenizer.unk_token if u else w for w, u in zip(words, unknown)]
            counts = np.where(unknown, 1, counts)
            for lo, hi in split_chunks(counts, budget):
                columns["sentence"].append(s)
                columns["first_word"].append(lo)
                columns["words"].append(words[lo:hi])
                columns["tags"].append(gold[s][lo:hi])
        return columns

    def sequence_lengths(self, raw, task: Task, tokenizer) -> list:
        """One length per sentence of words (`fields[0]`)."""
        return [len(ids) for ids in tokenizer(list(raw[task.fields[0]]), is_split_into_words=True)["input_ids"]]

    def train_features(self, raw, task: Task, tokenizer, config):
        """One feature per chunk of a sentence (long sentences split, not cut), labels on first sub-words."""
        columns = self.chunks(raw, task, tokenizer, config)
        enc = tokenizer(columns["words"], is_split_into_words=True, truncation=True, max_length=config.max_length)
        labels = [first_subword_labels(enc.word_ids(b), tags) for b, tags in enumerate(columns["tags"])]
        return _as_dataset({**enc, "labels": labels})

    def eval_features(self, raw, task: Task, tokenizer, config):
        """Chunks that fit the max length; `sentence`, `first_word` and `word_index` map them back."""
        columns = self.chunks(raw, task, tokenizer, config)
        enc = tokenizer(columns["words"], is_split_into_words=True, truncation=True, max_length=config.max_length)
        word_index, labels = [], []
        for b, tags in enumerate(columns["tags"]):
            word_ids = enc.word_ids(b)
            # the word on each first sub-word (-1 elsewhere); its gold tag there, which may itself
            # be IGNORE for a tag the label set lacks (a CCG category unseen in training)
            word_index.append([w if w != IGNORE else -1 for w in first_subword_labels(word_ids, range(len(tags)))])
            labels.append([tags[w] if w >= 0 else IGNORE for w in word_index[-1]])
            missing = set(range(len(tags))) - set(word_index[-1])
            assert not missing, f"chunk {b}: words {sorted(missing)} lost their first sub-word"
        return _as_dataset({**enc, "labels": labels, "word_index": word_index,
                            "sentence": columns["sentence"], "first_word": columns["first_word"]})

    @staticmethod
    def collator(tokenizer):
        from transformers import DataCollatorForTokenClassification
        return DataCollatorForTokenClassification(tokenizer)

    @staticmethod
    def decode(logits, features, raw, task: Task) -> list[list[str]]:
        """Tag names per sentence, rejoined from its chunks; exactly one tag per word."""
        logits = np.asarray(logits)
        out: list[list[str | None]] = [[None] * len(words) for words in raw[task.fields[0]]]
        for b, (s, lo, index) in enumerate(zip(features["sentence"], features["first_word"],
                                               features["word_index"])):
            for position, w in enumerate(index):
                if w >= 0:
                    out[s][lo + w] = task.labels[int(logits[b, position].argmax())]
        for s, tags in enumerate(out):
            assert None not in tags, f"sentence {s}: {tags.count(None)} words without a prediction"
        return cast(list[list[str]], out)

    def references(self, raw, task: Task) -> list[list[str]]:
        return [[task.labels[t] for t in tags] for tags in self.tag_ids(raw, task)]

    @staticmethod
    def units(raw, task: Task) -> list[tuple[str, str]]:
        """(id, unit) per sentence: its row number."""
        return [(str(i), str(i)) for i in range(len(raw))]


def first_subword_labels(word_ids: Sequence[int | None], tags: Sequence[int]) -> list[int]:
    """The tag of each word on its first sub-word; -100 on later pieces and special tokens."""
    labels, previous = [], None
    for w in word_ids:
        labels.append(tags[w] if w is not None and w != previous else IGNORE)
        previous = w
    return labels


def split_chunks(piece_counts, budget: int) -> list[tuple[int, int]]:
    """Word ranges [lo, hi) whose sub-words fit `budget`, cut at word boundaries (greedy)."""
    chunks, lo, used = [], 0, 0
    for w, count in enumerate(piece_counts):
        if used + count > budget and w > lo:
            chunks.append((lo, w))
            lo, used = w, 0
        used += count
    chunks.append((lo, len(piece_counts)))
    return chunks


def _as_dataset(columns: dict):
    from datasets import Dataset
    return Dataset.from_dict({k: list(v) for k, v in columns.items()})


TAGGING = Tagging()

# Language code -> the English language name in google/xtreme's udpos.{Name} configs (HF card)
UDPOS_NAMES = MappingProxyType(dict(
    af="Afrikaans", ar="Arabic", bg="Bulgarian", de="German", el="Greek", en="English", es="Spanish",
    et="Estonian", eu="Basque", fa="Persian", fi="Finnish", fr="French", he="Hebrew", hi="Hindi",
    hu="Hungarian", id="Indonesian", it="Italian", ja="Japanese", kk="Kazakh", ko="Korean", mr="Marathi",
    nl="Dutch", pt="Portuguese", ru="Russian", ta="Tamil", te="Telugu", th="Thai", tl="Tagalog",
    tr="Turkish", ur="Urdu", vi="Vietnamese", yo="Yoruba", zh="Chinese"))

UDPOS = Task(
    name="udpos",
    sizes=Sizes(train=21_253, evaluation=MappingProxyType({"validation": 1_500, "test": 1_500}),
                source=f"{TRAIN_SOURCE}; {EVAL_SOURCE}"),
    submission="tags", paper_label="POS",
    format=TAGGING,
    # XTREME_TASK2LANGS["udpos"] in google-research/xtreme evaluate.py (33 languages)
    languages=tuple(UDPOS_NAMES),
    hub=HubSource("google/xtreme", "udpos.{lang}", lang_names=UDPOS_NAMES),
    fixture=lambda split, lang, n: generators.udpos_rows(f"udpos-{split}", n, lang),
    metric=ChunkF1(),  # XTREME evaluate.py: seqeval f1 (chunk F1 on bare UPOS tags, 0.0.12 semantics)
    fields=("tokens", "pos_tags"),
    labels=generators.UPOS,
    # kk, th, tl, yo have no dev data (jiant EXTRA_UDPOS_TEST_LANGS; HF udpos configs)
    missing=MappingProxyType({"validation": ("kk", "th", "tl", "yo"), "train": ("th", "tl", "yo")}),
    xtreme=XtremeFiles("conll", MappingProxyType({"train": "udpos/train-{lang}.tsv", "validation": "udpos/dev-{lang}.tsv", "test": "udpos/test-{lang}.tsv"})),
    source="UD v2.5 via google/xtreme udpos.*; en train 21,253 sentences, dev 3,974",
)

PANX = Task(
    name="panx",
    sizes=Sizes(train=20_000, evaluation=MappingProxyType({"validation": 10_000, "test": 10_000}),
                source=f"{TRAIN_SOURCE}; {EVAL_SOURCE}"),
    submission="tags", paper_label="NER",
    format=TAGGING,
    # XTREME_TASK2LANGS["panx"] in google-research/xtreme evaluate.py (40 languages)
    languages=tuple(("af ar bg bn de el en es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr ms my nl "
                     "pt ru sw ta te th tl tr ur vi yo zh").split()),
    hub=HubSource("google/xtreme", "PAN-X.{lang}"),
    fixture=lambda split, lang, n: generators.panx_rows(f"panx-{split}", n, lang),
    metric=ChunkF1(),  # XTREME evaluate.py: seqeval entity f1
    fields=("tokens", "ner_tags"),
    labels=generators.NER_TAGS,
    xtreme=XtremeFiles("conll", MappingProxyType({"train": "panx/train-{lang}.tsv", "validation": "panx/dev-{lang}.tsv", "test": "panx/test-{lang}.tsv"})),
    source="WikiANN / PAN-X (Pan et al. 2017) via google/xtreme PAN-X.*; en 20,000/10,000/10,000",
)



# --- CCG supertagging (an English intermediate task) ----------------------------------------
class Supertagging(Tagging):
    """Tagging whose tags are category strings and whose label set comes from the training data.

    A category of the evaluation data that training never shows (CCGbank has a long tail) cannot
    be predicted: it keeps its string as the reference, so it counts as an error, and is ignored
    by the loss.
    """

    @staticmethod
    def tag_ids(raw, task: Task) -> list[list[int]]:
        index = {name: i for i, name in enumerate(task.labels)}
        return [[index.get(t, IGNORE) for t in tags] for tags in raw[task.fields[1]]]

    def references(self, raw, task: Task) -> list[list[str]]:
        return [list(tags) for tags in raw[task.fields[1]]]


def categories(train_rows) -> tuple[str, ...]:
    """The label set of a supertagger: every category of the training data, sorted."""
    return tuple(sorted({tag for tags in train_rows["tags"] for tag in tags}))


# Where the converted CCGbank goes (the local data layout).
CCG_LAYOUT = "<data_dir>/ccg/en/{train,validation}.jsonl"
CCG = Task(
    name="ccg",
    paper_label="CCG",
    sizes=Sizes(train=38_015, source=TRAIN_SOURCE),
    format=Supertagging(),
    languages=("en",),
    hub=None,  # licensed: never downloadable, only local files
    fixture=lambda split, lang, n: intermediate.ccg_rows(f"ccg-{split}", n, lang),
    metric=TokenAccuracy(),  # supertagging is scored per word
    fields=("tokens", "tags"),
    label_set=categories,
    obtain=("CCGbank is licensed data (LDC2005T13, Hockenmaier & Steedman 2007): obtain it from the Linguistic "
            "Data Consortium, https://catalog.ldc.upenn.edu/LDC2005T13, and write one sentence per line as "
            '{"id": ..., "tokens": [words], "tags": [categories]} into ' + CCG_LAYOUT
            + " (the paper used 38,015 training and 5,484 dev sentences)."),
    source="CCG supertagging on CCGbank (LDC2005T13); train 38,015, dev 5,484 sentences (arXiv v1 Table 1); "
           "label set = the categories of the training data",
)

TASKS = (UDPOS, PANX, CCG)

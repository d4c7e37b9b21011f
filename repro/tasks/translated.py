"""Machine-translated intermediate data: `<task>_translated` for every English intermediate task.

`<task>_translated` trains on the task's training set in English and in its machine
translations into the 14 non-English XNLI languages, English included, in the spirit of
XTREME's translate-train-all.  To compare with English-only training at equal cost, its
training rows are a seeded random sample, of the English training set's size, of the
union over those 15 languages; it keeps the English task's optimisation and early-stops
on the English task's first dev examples (never on a target task's dev set).

Where the translations come from:
- fixture: the task's own fixture generator, which renders the same items in any language;
- local:   `<data-dir>/<task>_translated/<lang>/train.jsonl` in the task's schema (English
           is the task's own data), also beside the hub as any local copy;
- hub:     only MNLI has one: XNLI's training sets (`facebook/xnli`, config `<lang>`,
           split `train`, Parquet, about 393k rows each) are the XNLI paper's machine
           translations of it (Conneau et al. 2018).  For the other intermediate tasks no hub
           dataset in these languages is known here (XTREME's translate-train SQuAD sits on
           Google storage, not the hub), so those are read from local files.
"""
from __future__ import annotations

import random
from dataclasses import replace

from repro.errors import ReproError
from repro.tasks.base import HubSource, Task
from repro.tasks.formats import PredictingFormat

LANGUAGES = tuple("ar bg de el es fr hi ru sw th tr ur vi zh".split())  # XNLI's non-English languages
HUB_TRANSLATIONS = {"mnli": HubSource("facebook/xnli", "{lang}")}  # XNLI train = MNLI train, translated
SUFFIX = "_translated"


class TranslationError(ReproError, ValueError):
    """Translated intermediate data that is missing."""


class Translated(PredictingFormat):
    """The original task's format handler, reading its training rows over languages.

    Heads, features, checks, decoding and scores are the original format's, each handed on below.
    """

    reads_own_rows = True

    def __init__(self, original: Task, languages: tuple[str, ...]):
        if not isinstance(original.format, PredictingFormat):
            raise TypeError(f"{original.name}: only a task whose format predicts per row can be translated, "
                            f"not one of {type(original.format).__name__}")
        self.original, self.languages = original, languages
        # the original handler's declared capabilities, handed on
        self.label_field, self.pretrained_head = original.format.label_field, original.format.pretrained_head

    @property
    def _of(self) -> PredictingFormat:
        return self.original.predicting_format

    @property
    def model_class(self) -> type:
        return self._of.model_class

    @property
    def reduce_logits(self):
        return self._of.reduce_logits

    def model_kwargs(self, task: Task) -> dict:
        return self._of.model_kwargs(task)

    def train_features(self, raw, task: Task, tokenizer, config):
        return self._of.train_features(raw, task, tokenizer, config)

    def eval_features(self, raw, task: Task, tokenizer, config):
        return self._of.eval_features(raw, task, tokenizer, config)

    def check_train_rows(self, raw, task: Task):
        return self._of.check_train_rows(raw, task)

    def head_forward(self, head, **inputs):
        return self._of.head_forward(head, **inputs)

    def collator(self, tokenizer):
        return self._of.collator(tokenizer)

    def decode(self, outputs, features, raw, task: Task) -> list:
        return self._of.decode(outputs, features, raw, task)

    def references(self, raw, task: Task) -> list:
        return self._of.references(raw, task)

    def training_reads(self, task: Task) -> set[tuple[str, str, str]]:
        """The English original's train and dev sets and the translations' train sets."""
        return self._of.training_reads(self.original) | {(task.name, "train", lang)
                                                                      for lang in self.languages}

    def sequence_lengths(self, raw, task: Task, tokenizer) -> list:
        return self._of.sequence_lengths(raw, task, tokenizer)

    def units(self, raw, task: Task) -> list[tuple[str, str]]:
        return self._of.units(raw, task)

    def dev_score(self, predictions, features, raw, task: Task) -> float:
        return self._of.dev_score(predictions, features, raw, task)

    def load_rows(self, data, task: Task, config, seed: int):
        """(train, dev): a sample of the English training set's size over English and the
        translations; the English task's first `early_stopping_examples` dev rows."""
        from datasets import concatenate_datasets

        if data.kind == "hub" and task.hub is None and data.root is None:  # fail before any download
            raise TranslationError(f"{task.name}: {task.obtain}")
        english = data.load(self.original, "train", "en")
        if config.max_train_examples is not None:
            english = english.select(range(min(len(english), config.max_train_examples)))
        parts = [english] + [self._translation(data, task, lang) for lang in self.languages]
        columns = [c for c in english.column_names if all(c in p.column_names for p in parts)]
        try:
            union = concatenate_datasets([p.select_columns(columns).cast(parts[0].select_columns(columns).features)
                                          for p in parts])
        except (ValueError, TypeError) as err:
            raise TranslationError(f"{task.name}: the translations do not share the schema of "
                                   f"{self.original.name} ({err}); write them in its fields") from err
        train = union.select(sorted(random.Random(seed).sample(range(len(union)), len(english))))
        dev = data.load(self.original, "validation", "en")
        return train.shuffle(seed=seed), dev.select(range(min(len(dev), config.early_stopping_examples)))

    def _translation(self, data, task: Task, lang: str):
        if data.kind == "fixture":
            return data.load(self.original, "train", lang)  # the same items rendered in `lang`
        return data.load(task, "train", lang)


def translated(original: Task, languages: tuple[str, ...] = LANGUAGES) -> Task:
    """`<original>_translated`: `original` trained on English and its translations into `languages`."""
    name = original.name + SUFFIX
    hub = HUB_TRANSLATIONS.get(original.name)
    obtain = "" if hub else (f"no hub dataset holds machine translations of {original.name}: translate its "
                             f"training set into {', '.join(languages)} and put each in "
                             f"<data-dir>/{name}/<lang>/train.jsonl in the fields of {original.name} (--data-dir)")
    return replace(original, name=name, format=Translated(original, languages), hub=hub, train_task=None,
                   select=None, reader=None, reader_files=None, obtain=obtain,
                   parts=(),  # a translation is read whole, not by parts
                   paper_label=None,  # the paper trains on no translations: no name of its own
                   source=f"machine translations of {original.name} into {', '.join(languages)}, with English")


def variants(tasks) -> tuple[Task, ...]:
    """A translated variant of every English-only trained task (the intermediate tasks)."""
    return tuple(translated(t) for t in tasks
                 if t.languages == ("en",) and t.trained and not t.format.reads_own_rows)

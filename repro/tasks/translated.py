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

from repro.tasks.base import HubSource, Task

LANGUAGES = tuple("ar bg de el es fr hi ru sw th tr ur vi zh".split())  # XNLI's non-English languages
HUB_TRANSLATIONS = {"mnli": HubSource("facebook/xnli", "{lang}")}  # XNLI train = MNLI train, translated
SUFFIX = "_translated"


class TranslationError(ValueError):
    """Translated intermediate data that is missing."""


class Translated:
    """The original task's format handler, reading its training rows over languages."""

    def __init__(self, original: Task, languages: tuple[str, ...]):
        self.original, self.languages = original, languages

    def __getattr__(self, name):  # heads, features and decoding are the original format's
        if name in ("original", "languages"):
            raise AttributeError(name)
        return getattr(self.original.format, name)

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
                   select=None, reader=None, obtain=obtain, parts=(),  # a translation is read whole, not by parts
                   source=f"machine translations of {original.name} into {', '.join(languages)}, with English")


def variants(tasks) -> tuple[Task, ...]:
    """A translated variant of every English-only trained task (the intermediate tasks)."""
    return tuple(translated(t) for t in tasks
                 if t.languages == ("en",) and t.trained and not hasattr(t.format, "load_rows"))

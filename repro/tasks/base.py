"""The Task entry, and the format handlers' base classes that type its `format` (repro.tasks.formats names them).

One module per format (`classification`, `multiple_choice`, `tagging`, `qa`,
`retrieval`) holds the format's handler (head, preprocessing, prediction), a subclass
of `Format`, together with the registry entries of its tasks; `repro.tasks` collects them.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, ClassVar

from repro.errors import UnknownName
from repro.metrics.base import Metric


def metric_inputs(records: list[dict]) -> tuple[list, list]:
    """Predictions and references of stored records as the task's metric takes them."""
    return [r["prediction"] for r in records], [r["reference"] for r in records]


@dataclass(frozen=True)
class HubSource:
    """How to read a task from the Hugging Face hub with `datasets.load_dataset`."""

    path: str
    config: str | None = None  # may contain "{lang}"
    splits: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # ours -> hub's
    lang_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # code -> config's name
    # a branch or PR ref holding Parquet files, where the main branch has only a loading script
    revision: str | None = None

    def config_for(self, lang: str) -> str | None:
        return self.config.format(lang=self.lang_names.get(lang, lang)) if self.config else None

    def split_for(self, split: str) -> str:
        """The hub's split name; "a+b" concatenates hub splits (ANLI's rounds)."""
        return self.splits.get(split, split)

    def load(self, split: str, lang: str):
        """Our `split` in `lang` as a `datasets.Dataset` (Parquet-backed repositories only)."""
        from datasets import load_dataset
        return load_dataset(self.path, self.config_for(lang), split=self.split_for(split), revision=self.revision)


@dataclass(frozen=True)
class XtremeFiles:
    """Where google-research/xtreme's `scripts/download_data.sh` puts a task's files, and how they read.

    `files` maps our split to a path under the layout's root, `{lang}` standing for the language's
    name there (`lang_names`, else its code); `kind` is the file format (`repro.xtreme_layout`):
    "tsv" (the task's fields, then the label, one row a line), "conll" (`word<TAB>tag`, a blank
    line between sentences), "squad" (SQuAD v1.1 JSON), "parallel" (line i of `{lang}`'s file
    translates line i of `.eng`'s), "bucc" (`id<TAB>sentence` files and a `.gold` file).
    `id_prefix` puts the hub's language prefix on row ids (TyDiQA's `english-...`), so the task's
    `select` keeps working; `all_languages` names a hub config that holds every language at once.
    """

    kind: str
    files: Mapping[str, str]
    lang_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    id_prefix: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def path(self, split: str, lang: str) -> str | None:
        """The file of our `split` in `lang` relative to the layout root (None: XTREME has no such file)."""
        pattern = self.files.get(split)
        return None if pattern is None else pattern.format(lang=self.lang_names.get(lang, lang))


SUBMISSION_FORMATS = ("labels", "tags", "pairs", "qa")  # file formats of repro.scoring
# where the entries' sizes come from, rounded: planning figures for repro.cost, not exact row counts
TRAIN_SOURCE = "English training examples: the paper's task table (shared/paper/README.md, Sizes)"
EVAL_SOURCE = "evaluation examples per language: XTREME's sets, rounded"


@dataclass(frozen=True)
class Sizes:
    """What the cost model (`repro.cost`) needs of a task: planning figures, rounded, not exact row counts."""

    train: int | None = None                 # English training examples
    train_all_languages: int | None = None   # every language's (TrainConfig.train_languages "all")
    # claim split ("validation", "test") -> evaluation examples per language
    evaluation: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    sequences: int = 1                       # model inputs per example (multiple choice: one per choice)
    source: str = ""                         # where the figures come from

    def train_examples(self, task: str, all_languages: bool = False) -> int:
        """Training examples of `task` (every language's when `all_languages`); KeyError naming the fix."""
        n = self.train_all_languages if all_languages else self.train
        if n is None:
            what = "train_all_languages (every language's training examples)" if all_languages else "train"
            raise UnknownName(f"task {task!r} has no Sizes.{what}; give it in the task's registry entry")
        return n

    def evaluation_examples(self, task: str, split: str) -> int:
        """Evaluation examples per language of `task` on the claim split `split`; KeyError naming the fix."""
        if split not in self.evaluation:
            raise UnknownName(f"task {task!r} has no evaluation size for split {split!r} in Sizes.evaluation; "
                           f"give it in the task's registry entry (sizes given: {', '.join(self.evaluation) or 'none'})")
        return self.evaluation[split]


@dataclass(frozen=True)
class Task:
    """One dataset, as an intermediate task, a target task, or both."""

    name: str
    format: Format                      # the format module's handler (head, preprocessing, prediction)
    languages: tuple[str, ...]          # evaluation languages (XTREME lists); ("en",) if English only
    hub: HubSource | None               # None: not on the hub (licensed data, or a task built from `parts`)
    fixture: Callable[[str, str, int], list[dict]] | None  # (split, lang, n) -> rows in the hub schema
    metric: Metric
    fields: tuple[str, ...]             # input fields of a row, in order
    labels: tuple[str, ...] = ()        # label names, in the hub's ClassLabel order
    train_task: str | None = None       # the English task whose train set trains this target
    # the REAL evaluation sets are translations whose resampling units align across languages
    # (XNLI, PAWS-X, XQuAD), so one bootstrap draw serves every language; the fixtures are parallel
    # for every task, which must not make a non-parallel task resample as one
    parallel: bool = False
    source: str = ""                    # where the facts of this entry come from
    # rows of one language out of a multilingual hub config / fixture (e.g. TyDiQA's id prefix)
    select: Callable[[Any, str], Any] | None = None
    # reads (root, split, lang) -> rows from files the hub lacks (BUCC's archives); None: hub/local
    reader: Callable[[Any, str, str], list[dict]] | None = None
    # (split, lang) -> the files inside the data directory that `reader` reads (for the run's key)
    reader_files: Callable[[str, str], tuple[str, ...]] | None = None
    # languages that have no data in a split (UDPOS kk/th/tl/yo have no dev set)
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    eval_split: str | None = None       # a fixed evaluation split for every claim split (none of the registry uses it)
    # a claim's split ("validation": dev, "test": XTREME's evaluation set) -> the split that is read,
    # where they differ: XQuAD, TyDiQA-GoldP and Tatoeba have one set, which is XTREME's test
    evaluation_sets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # turns stored records into the metric's (predictions, references)
    metric_inputs: Callable[[list[dict]], tuple[list, list]] = metric_inputs
    # datasets concatenated, in order, into this task (ANLI+); each loads from the same data source
    parts: tuple["Task", ...] = ()
    # training rows -> label names, for a label set fixed by the data (CCG supertags); see `with_labels_from`
    label_set: Callable[[Any], tuple[str, ...]] | None = None
    # how to obtain data the hub does not hold (licence, catalogue number, local layout)
    obtain: str = ""
    sizes: Sizes | None = None          # what the cost model needs (None: the task is never costed)
    # file format of an XTREME submission for `repro score` (one of SUBMISSION_FORMATS); None: not scored
    submission: str | None = None
    # the paper's name of the task: a target's column label, an intermediate task's row label (None: none)
    paper_label: str | None = None
    # runs record only some units (BUCC: source sentences in a gold or a mined pair), so the set differs
    # between runs; judging pads a cell's runs to the union, absent units as all-zero statistics
    sparse_units: bool = False
    # the task's files in XTREME's download layout (`--data-dir` may point at one); None: not there
    xtreme: XtremeFiles | None = None

    def __post_init__(self):
        if self.submission is not None and self.submission not in SUBMISSION_FORMATS:
            raise ValueError(f"task {self.name!r}: submission {self.submission!r} is no submission file format; "
                             f"use one of {', '.join(SUBMISSION_FORMATS)} or None")

    @property
    def xtreme_files(self) -> XtremeFiles:
        """`xtreme`, for a task read from XTREME's download layout; ValueError for one that has none."""
        if self.xtreme is None:
            raise ValueError(f"task {self.name!r} has no files in XTREME's download layout (Task.xtreme)")
        return self.xtreme

    @property
    def hub_source(self) -> HubSource:
        """`hub`, for a task read from the hub; ValueError for one the hub does not hold."""
        if self.hub is None:
            raise ValueError(f"task {self.name!r} is not on the hub (Task.hub is None); "
                             f"{self.obtain or 'give its files in --data-dir'}")
        return self.hub

    @property
    def trained_format(self) -> TrainedFormat:
        """`format` as a trained one (phases ii and iii); TypeError for a retrieval task."""
        if isinstance(self.format, TrainedFormat):
            return self.format
        raise self._not_a("TrainedFormat")

    @property
    def predicting_format(self) -> PredictingFormat:
        """`format` as one that predicts per row (a trained target); TypeError otherwise."""
        if isinstance(self.format, PredictingFormat):
            return self.format
        raise self._not_a("PredictingFormat")

    @property
    def retrieval_format(self) -> RetrievalFormat:
        """`format` as a retrieval one (evaluated from an encoder); TypeError otherwise."""
        if isinstance(self.format, RetrievalFormat):
            return self.format
        raise self._not_a("RetrievalFormat")

    def _not_a(self, kind: str) -> TypeError:
        return TypeError(f"task {self.name!r} has a {type(self.format).__name__} format, not a {kind}")

    @property
    def is_target(self) -> bool:
        """True for a target task: one evaluated zero-shot across languages (it has evaluation sizes)."""
        return bool(self.sizes and self.sizes.evaluation)

    @property
    def trains_on(self) -> str:
        """The task whose English training data trains this one."""
        return self.train_task or self.name

    def evaluation_set(self, split: str) -> str:
        """The split read when a claim measures on `split` ("validation" or "test")."""
        return self.eval_split or self.evaluation_sets.get(split, split)

    def one_evaluation_set(self, a: str, b: str) -> bool:
        """True when claim splits `a` and `b` read the same examples (selection there has a winner's curse)."""
        return self.evaluation_set(a) == self.evaluation_set(b)

    @property
    def trained(self) -> bool:
        """True for tasks fine-tuned in phase (iii); False for retrieval tasks."""
        return bool(self.format.trained)

    def with_labels_from(self, train_rows) -> "Task":
        """This task with `labels` fixed from its training rows when its label set comes from the
        data (`label_set`, e.g. CCG's supertags); the task itself otherwise.  Call it on the
        loaded training data before building features or a head."""
        return self if self.label_set is None else replace(self, labels=tuple(self.label_set(train_rows)))


# ---- the format handlers' base classes (repro.tasks.formats describes them) ----

class Format(ABC):
    """A task format's handler."""

    # fine-tuned in phases (ii)/(iii); False: evaluated from an encoder (each kind below sets it)
    trained: ClassVar[bool | None] = None
    predicts: ClassVar[bool] = False  # trained, with per-row predictions (`PredictingFormat`)
    # the gold field a local row must carry besides the task's input `fields` (None: the gold is
    # one of the fields, as tagging's tags, or there is none to check)
    label_field: str | None = None

    def sequence_lengths(self, raw, task: Task, tokenizer) -> list:
        """Untruncated sub-word lengths, special tokens included, of `raw`'s rows as the model reads
        them, for the cost model (`repro.lengths`): one per sequence of the task's text `fields`
        (a pair: `<s> A </s></s> B </s>`)."""
        return [len(ids) for ids in tokenizer(*[list(raw[f]) for f in task.fields])["input_ids"]]

    def evaluation_reads(self, task: Task, split: str, lang: str) -> set[tuple[str, str, str]]:
        """(task, split, language) of every read that evaluates `task` on `split` in `lang`
        (`repro.data_requests`): that split; a format that also reads another (BUCC's threshold
        on dev) says so."""
        return {(task.name, split, lang)}

    def local_files(self, data, task: Task, split: str, lang: str) -> list[str] | None:
        """The files inside the data directory that `data` reads for (task, split, lang), for the
        run's data fingerprint (`DataSource.files_read`); None: the data source's own layout."""
        return None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not isinstance(cls.trained, bool):
            raise TypeError(f"{cls.__name__}: a format subclasses TrainedFormat, PredictingFormat or "
                            "RetrievalFormat, which declare `trained`")


class RetrievalFormat(Format):
    """A format evaluated from an encoder without training (no head, no phase iii)."""

    trained = False

    @abstractmethod
    def evaluate(self, embed: Callable, data, task: Task, split: str, lang: str) -> tuple[list[dict], dict]:
        """Records {id, unit, prediction, reference} and extra metric values of one language;
        `embed(texts)` -> array."""


class TrainedFormat(Format):
    """A format fine-tuned through a head: features, collator and head model, and a dev score."""

    trained = True
    pretrained_head: bool = False  # trains the checkpoint's own head, never a fresh one
    reads_own_rows: ClassVar[bool] = False   # assembles its training rows in `load_rows`
    # (logits, labels) -> what the evaluation loop gathers (MLM: the argmax, never vocabulary-sized
    # logits); None: the logits themselves
    reduce_logits: Callable | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.reads_own_rows and cls.load_rows is TrainedFormat.load_rows:
            raise TypeError(f"{cls.__name__} declares reads_own_rows but does not define load_rows")

    @property
    @abstractmethod
    def model_class(self) -> Any:
        """The `AutoModelFor...` class of the head."""

    @abstractmethod
    def model_kwargs(self, task: Task) -> dict:
        """Keyword arguments of `model_class.from_pretrained` for `task` (e.g. its labels)."""

    @abstractmethod
    def train_features(self, raw, task: Task, tokenizer, config) -> Any:
        """Training features of the raw rows."""

    @abstractmethod
    def eval_features(self, raw, task: Task, tokenizer, config) -> Any:
        """Evaluation features of the raw rows (possibly several per row, with bookkeeping columns)."""

    @abstractmethod
    def collator(self, tokenizer) -> Callable:
        """The collator of feature batches."""

    @abstractmethod
    def dev_score(self, predictions, features, raw, task: Task) -> float:
        """The early-stopping score of the dev subset from the evaluation loop's predictions."""

    def load_rows(self, data, task: Task, config, seed: int) -> tuple:
        """(train, dev) assembled by the format itself; only for formats with `reads_own_rows`."""
        raise NotImplementedError(f"{type(self).__name__} does not assemble its own rows (reads_own_rows is "
                                  "False): its task's rows are read from the data source")

    def training_reads(self, task: Task) -> set[tuple[str, str, str]]:
        """(task, split, language) of every read that trains `task` (`repro.data_requests`): its English
        train and dev sets; a format that reads its own rows says which it reads."""
        return {(task.name, "train", "en"), (task.name, "validation", "en")}

    def check_train_rows(self, raw, task: Task) -> tuple[Any, dict | None]:
        """(rows, report): the training rows after the format's own check; no check by default."""
        return raw, None

    def head_forward(self, head, **inputs) -> Any:
        """The head model's outputs on one batch of a mixture (`repro.multitask`); `head(**inputs)`
        unless the format computes them more cheaply with the same loss and predictions (MLM)."""
        return head(**inputs)


class PredictingFormat(TrainedFormat):
    """A trained format with per-row predictions: evaluable as a target, trainable alone.

    Every list that `decode`, `references` and `units` return has one entry per row of the raw
    evaluation data, in order.  Evaluation features may hold several model inputs per row (QA
    windows, tagging chunks) plus bookkeeping columns the model does not take; `decode` maps
    them back to rows.
    """

    predicts = True

    @abstractmethod
    def decode(self, outputs, features, raw, task: Task) -> list:
        """One prediction per raw row from the model's outputs on `features`."""

    @abstractmethod
    def references(self, raw, task: Task) -> list:
        """The gold reference of every raw row."""

    @abstractmethod
    def units(self, raw, task: Task) -> list[tuple[str, str]]:
        """(id, resampling unit) of every raw row."""

    def dev_score(self, predictions, features, raw, task: Task) -> float:
        """The task's score (QA: the mean of EM and F1) of the decoded predictions, in English."""
        decoded = self.decode(predictions, features, raw, task)
        predicted, references = task.metric_inputs(
            [{"prediction": p, "reference": r} for p, r in zip(decoded, self.references(raw, task))])
        stats = task.metric.unit_stats(predictions=predicted, references=references, lang="en")
        return float(task.metric.score(stats.sum(axis=0)))

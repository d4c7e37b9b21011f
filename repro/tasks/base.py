"""The Task entry; the format handlers' base classes are `repro.tasks.formats`'s.

One module per format (`classification`, `multiple_choice`, `tagging`, `qa`,
`retrieval`) holds the format's handler (head, preprocessing, prediction), a subclass
of `Format`, together with the registry entries of its tasks; `repro.tasks` collects them.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

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
            raise KeyError(f"task {task!r} has no Sizes.{what}; give it in the task's registry entry")
        return n

    def evaluation_examples(self, task: str, split: str) -> int:
        """Evaluation examples per language of `task` on the claim split `split`; KeyError naming the fix."""
        if split not in self.evaluation:
            raise KeyError(f"task {task!r} has no evaluation size for split {split!r} in Sizes.evaluation; "
                           f"give it in the task's registry entry (sizes given: {', '.join(self.evaluation) or 'none'})")
        return self.evaluation[split]


@dataclass(frozen=True)
class Task:
    """One dataset, as an intermediate task, a target task, or both."""

    name: str
    format: object                      # the format module's handler (head, preprocessing, prediction)
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
        return self.format.trained

    def with_labels_from(self, train_rows) -> "Task":
        """This task with `labels` fixed from its training rows when its label set comes from the
        data (`label_set`, e.g. CCG's supertags); the task itself otherwise.  Call it on the
        loaded training data before building features or a head."""
        return self if self.label_set is None else replace(self, labels=tuple(self.label_set(train_rows)))

"""The format handlers' base classes: what the engine asks of a format, every capability declared.

A format module (`classification`, `multiple_choice`, `tagging`, `qa`, `retrieval`, `mlm`,
`translated`) subclasses one of:

- `RetrievalFormat`: evaluated from an encoder without training (BUCC, Tatoeba);
- `TrainedFormat`: fine-tuned through a head (the MLM pseudo-task, which rides along in a mixture);
- `PredictingFormat`: a trained format that also predicts per row, so it can be evaluated as a
  target and trained alone.

Required methods are abstract: a subclass that lacks one cannot be instantiated, and the error
names what is missing.  Optional capabilities have defaults here, so the engine reads attributes
instead of probing for them.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from repro.tasks.base import Task


class Format(ABC):
    """A task format's handler."""

    # fine-tuned in phases (ii)/(iii); False: evaluated from an encoder (each kind below sets it)
    trained: ClassVar[bool | None] = None
    predicts: ClassVar[bool] = False  # trained, with per-row predictions (`PredictingFormat`)
    # the gold field a local row must carry besides the task's input `fields` (None: the gold is
    # one of the fields, as tagging's tags, or there is none to check)
    label_field: str | None = None

    def sequence_lengths(self, raw, task: "Task", tokenizer) -> list:
        """Untruncated sub-word lengths, special tokens included, of `raw`'s rows as the model reads
        them, for the cost model (`repro.lengths`): one per sequence of the task's text `fields`
        (a pair: `<s> A </s></s> B </s>`)."""
        return [len(ids) for ids in tokenizer(*[list(raw[f]) for f in task.fields])["input_ids"]]

    def evaluation_reads(self, task: "Task", split: str, lang: str) -> set[tuple[str, str, str]]:
        """(task, split, language) of every read that evaluates `task` on `split` in `lang`
        (`repro.data_requests`): that split; a format that also reads another (BUCC's threshold
        on dev) says so."""
        return {(task.name, split, lang)}

    def local_files(self, data, task: "Task", split: str, lang: str) -> list[str] | None:
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
    def evaluate(self, embed: Callable, data, task: "Task", split: str, lang: str) -> tuple[list[dict], dict]:
        """Records {id, unit, prediction, reference} and extra metric values of one language;
        `embed(texts)` -> array."""


class TrainedFormat(Format):
    """A format fine-tuned through a head: features, collator and head model, and a dev score."""

    trained = True
    pretrained_head: ClassVar[bool] = False  # trains the checkpoint's own head, never a fresh one
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
    def model_class(self) -> type:
        """The `AutoModelFor...` class of the head."""

    @abstractmethod
    def model_kwargs(self, task: "Task") -> dict:
        """Keyword arguments of `model_class.from_pretrained` for `task` (e.g. its labels)."""

    @abstractmethod
    def train_features(self, raw, task: "Task", tokenizer, config) -> Any:
        """Training features of the raw rows."""

    @abstractmethod
    def eval_features(self, raw, task: "Task", tokenizer, config) -> Any:
        """Evaluation features of the raw rows (possibly several per row, with bookkeeping columns)."""

    @abstractmethod
    def collator(self, tokenizer) -> Callable:
        """The collator of feature batches."""

    @abstractmethod
    def dev_score(self, predictions, features, raw, task: "Task") -> float:
        """The early-stopping score of the dev subset from the evaluation loop's predictions."""

    def load_rows(self, data, task: "Task", config, seed: int) -> tuple:
        """(train, dev) assembled by the format itself; only for formats with `reads_own_rows`."""
        raise NotImplementedError(f"{type(self).__name__} does not assemble its own rows (reads_own_rows is "
                                  "False): its task's rows are read from the data source")

    def training_reads(self, task: "Task") -> set[tuple[str, str, str]]:
        """(task, split, language) of every read that trains `task` (`repro.data_requests`): its English
        train and dev sets; a format that reads its own rows says which it reads."""
        return {(task.name, "train", "en"), (task.name, "validation", "en")}

    def check_train_rows(self, raw, task: "Task") -> tuple[Any, dict | None]:
        """(rows, report): the training rows after the format's own check; no check by default."""
        return raw, None


class PredictingFormat(TrainedFormat):
    """A trained format with per-row predictions: evaluable as a target, trainable alone.

    Every list that `decode`, `references` and `units` return has one entry per row of the raw
    evaluation data, in order.  Evaluation features may hold several model inputs per row (QA
    windows, tagging chunks) plus bookkeeping columns the model does not take; `decode` maps
    them back to rows.
    """

    predicts = True

    @abstractmethod
    def decode(self, outputs, features, raw, task: "Task") -> list:
        """One prediction per raw row from the model's outputs on `features`."""

    @abstractmethod
    def references(self, raw, task: "Task") -> list:
        """The gold reference of every raw row."""

    @abstractmethod
    def units(self, raw, task: "Task") -> list[tuple[str, str]]:
        """(id, resampling unit) of every raw row."""

    def dev_score(self, predictions, features, raw, task: "Task") -> float:
        """The task's score (QA: the mean of EM and F1) of the decoded predictions, in English."""
        decoded = self.decode(predictions, features, raw, task)
        predicted, references = task.metric_inputs(
            [{"prediction": p, "reference": r} for p, r in zip(decoded, self.references(raw, task))])
        stats = task.metric.unit_stats(predictions=predicted, references=references, lang="en")
        return float(task.metric.score(stats.sum(axis=0)))

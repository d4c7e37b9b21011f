"""Extractive QA (SQuAD, XQuAD, MLQA, TyDiQA-GoldP): head, windows, span decoding, and its tasks.

Head: `AutoModelForQuestionAnswering` (start/end logits).  Windows follow XTREME's
`third_party/processors/squad.py` (`squad_convert_example_to_features`, the same in jiant's
`templates/squad_style/core.py`): the context is tokenised once, and window k holds its sub-words
from k * doc_stride on, as many as fit `<s> question </s></s> window </s>` in max_length (384;
doc_stride 128 is the STEP between window starts, not Hugging Face's `stride`, which is an
overlap); windows are added until one reaches the context's end.  Training marks the answer's
first/last tokens, or `<s>` when a window does not hold the whole answer.  A question's prediction
is the best span over all its windows: the 20 best start and end logits (n_best_size 20), spans
of at most 30 tokens (max_answer_length) inside the context whose start token has its maximum
context in that window (XTREME's `_new_check_is_max_context`, applied in `compute_predictions_logits`),
scored by start + end logit, mapped back to context text through the tokenizer's character offsets.

Training rows are checked first (`check_answers`): the hub's contexts were stripped of
leading whitespace in places, which moves `answer_start`; such rows are repaired by finding
the answer text nearest the stated offset, or dropped, and both are counted.
"""
from __future__ import annotations

from types import MappingProxyType

import numpy as np

from repro.fixtures import generators
from repro.metrics import MlqaEmF1, SquadEmF1
from repro.tasks.base import EVAL_SOURCE, TRAIN_SOURCE, HubSource, Sizes, Task, XtremeFiles
from repro.tasks.formats import PredictingFormat

N_BEST = 20             # run_squad.py n_best_size
MAX_ANSWER_TOKENS = 30  # run_squad.py max_answer_length
MAX_QUESTION_TOKENS = 64  # run_squad.py max_query_length: longer questions are cut


class QuestionAnswering(PredictingFormat):
    """The format handler the engine calls for extractive QA tasks."""

    @property
    def model_class(self) -> type:
        from transformers import AutoModelForQuestionAnswering  # only to build a model: the registry stays light
        return AutoModelForQuestionAnswering
    label_field = "answers"  # the gold spans, which local rows must carry (else evaluation fails late)

    @staticmethod
    def model_kwargs(task: Task) -> dict:
        # start and end logits; an intermediate checkpoint's config may carry a classifier's num_labels
        return {"num_labels": 2}

    @staticmethod
    def windows(raw, tokenizer, config) -> dict[str, list]:
        """XTREME's windows of every (question, context): see `context_windows`."""
        return context_windows(cut_questions(list(raw["question"]), tokenizer), list(raw["context"]),
                               tokenizer, config.max_length, config.doc_stride)

    def sequence_lengths(self, raw, task: Task, tokenizer) -> list:
        """[question, context] sub-words per question (the question cut as the windows cut it), from
        which the cost model derives the windows at any max length and stride."""
        q = tokenizer(cut_questions(list(raw["question"]), tokenizer), add_special_tokens=False)["input_ids"]
        c = tokenizer(list(raw["context"]), add_special_tokens=False)["input_ids"]
        return [[len(a), len(b)] for a, b in zip(q, c)]

    def train_features(self, raw, task: Task, tokenizer, config):
        """Windows with `start_positions`/`end_positions` of the first gold answer (0: not in window)."""
        enc = self.windows(raw, tokenizer, config)
        return _as_dataset({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                            **_positions(raw, enc)})

    def eval_features(self, raw, task: Task, tokenizer, config):
        """Windows with `example` (row index), `offsets` ([-1, -1] outside the context) and
        `max_context` (1 where a context token has its maximum context in this window).

        Gold positions are kept too: the Trainer computes dev metrics only when labels exist.
        """
        enc = self.windows(raw, tokenizer, config)
        offsets = [[list(o) if s == 1 else [-1, -1] for o, s in zip(window, sequence)]
                   for window, sequence in zip(enc["offset_mapping"], enc["sequence_ids"])]
        return _as_dataset({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                            **_positions(raw, enc), "example": enc["example"], "offsets": offsets,
                            "max_context": enc["max_context"]})

    @staticmethod
    def check_train_rows(raw, task: Task):
        """(rows, report): training rows whose first answer (the one training marks) is where it says.

        See `check_answers`; `report` counts the rows checked, repaired and dropped (train_log).
        """
        return check_answers(raw)

    @staticmethod
    def collator(tokenizer):
        from transformers import DataCollatorWithPadding
        return DataCollatorWithPadding(tokenizer)

    @staticmethod
    def decode(outputs, features, raw, task: Task) -> list[str]:
        """The best span's text per question over all its windows ("" when none is valid)."""
        start_logits, end_logits = (np.asarray(o) for o in outputs)
        best: list[tuple[float, str]] = [(-np.inf, "")] * len(raw)
        contexts = raw["context"]
        for b, (example, offsets, max_context) in enumerate(zip(features["example"], features["offsets"],
                                                                features["max_context"])):
            scored = best_span(start_logits[b], end_logits[b], offsets, max_context)
            if scored is not None and scored[0] > best[example][0]:
                score, (lo, hi) = scored
                best[example] = (score, contexts[example][lo:hi])
        return [text for _, text in best]

    @staticmethod
    def references(raw, task: Task) -> list[list[str]]:
        """The gold answer texts of every question."""
        return [list(a["text"]) for a in raw["answers"]]

    @staticmethod
    def units(raw, task: Task) -> list[tuple[str, str]]:
        """(question id, context id): questions on one paragraph are resampled together."""
        contexts: dict[str, str] = {}
        return [(qid, contexts.setdefault(context, f"c{len(contexts)}"))
                for qid, context in zip(raw["id"], raw["context"])]


def locate_answer(context: str, text: str, start: int) -> int | None:
    """Where `text` sits in `context`: `start` if it is there, else its occurrence nearest `start`
    (the hub's loaders strip whitespace from contexts but keep the offsets), None if nowhere."""
    if not text:
        return None
    if context[start:start + len(text)] == text:
        return start
    found, at = [], context.find(text)
    while at >= 0:
        found.append(at)
        at = context.find(text, at + 1)
    return min(found, key=lambda at: (abs(at - start), at)) if found else None


def check_answers(raw):
    """Rows whose first answer satisfies `context[answer_start:][:len(text)] == text`: a moved
    offset is repaired to the nearest occurrence of the text, a row whose text is not in its
    context is dropped (XTREME's `squad_convert_example_to_features` skips a training example
    whose answer is not at its offset: "Could not find answer").  Returns (rows, {"checked",
    "repaired", "dropped", "dropped_ids"}), `dropped_ids` the first 20."""
    keep, repaired, dropped = [], [], []
    contexts, answers = raw["context"], raw["answers"]
    for i, (context, answer) in enumerate(zip(contexts, answers)):
        if not answer["text"]:
            dropped.append(i)
            continue
        start = answer["answer_start"][0]
        at = locate_answer(context, answer["text"][0], start)
        if at is None:
            dropped.append(i)
            continue
        keep.append(i)
        if at != start:
            repaired.append((i, at))
    report = {"checked": len(contexts), "repaired": len(repaired), "dropped": len(dropped),
              "dropped_ids": [raw[i]["id"] for i in dropped[:20]]}
    if repaired:
        fixed = dict(repaired)

        def repair(row, index):
            if index in fixed:
                starts = list(row["answers"]["answer_start"])
                starts[0] = fixed[index]
                row["answers"] = {**row["answers"], "answer_start": starts}
            return row
        raw = raw.map(repair, with_indices=True)
    if dropped:
        raw = raw.select(keep)
    return raw, report


def cut_questions(questions: list[str], tokenizer, limit: int = MAX_QUESTION_TOKENS) -> list[str]:
    """Each question cut after its first `limit` sub-words (run_squad.py's max_query_length)."""
    enc = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
    return [q if len(offsets) <= limit else q[:offsets[limit - 1][1]]
            for q, offsets in zip(questions, enc["offset_mapping"])]


def window_starts(length: int, capacity: int, doc_stride: int) -> list[int]:
    """First context sub-word of each window: 0, doc_stride, 2 doc_stride, ... until a window of
    `capacity` sub-words reaches the end (XTREME `squad_convert_example_to_features`)."""
    if capacity < 1 or doc_stride < 1:
        raise ValueError(f"QA windows need room for the context and a positive doc_stride: capacity {capacity}, "
                         f"doc_stride {doc_stride}; raise max_length")
    if doc_stride > capacity:
        raise ValueError(f"doc_stride {doc_stride} exceeds the {capacity} context sub-words a window holds: "
                         "tokens between windows would never be read; lower doc_stride or raise max_length")
    starts = [0]
    while starts[-1] + capacity < length:
        starts.append(starts[-1] + doc_stride)
    return starts


def has_max_context(starts: list[int], lengths: list[int], window: int, position: int) -> bool:
    """Whether context sub-word `position` has its maximum context in `window`: the window that
    maximises min(left, right) + 0.01 * length (XTREME `_new_check_is_max_context`; the first
    such window wins a tie)."""
    best, best_score = None, None
    for k, (lo, n) in enumerate(zip(starts, lengths)):
        if lo <= position <= lo + n - 1:
            score = min(position - lo, lo + n - 1 - position) + 0.01 * n
            if best_score is None or score > best_score:
                best, best_score = k, score
    return best == window


def context_windows(questions: list[str], contexts: list[str], tokenizer, max_length: int,
                    doc_stride: int) -> dict[str, list]:
    """Every (question, context) as windows over its context's sub-words.

    The pair is tokenised once, whole; window k is the pair's special tokens and question
    around context sub-words [k * doc_stride, k * doc_stride + capacity), capacity = what
    max_length leaves.  Returns per window: input_ids, attention_mask, offset_mapping,
    sequence_ids (None / 0 question / 1 context), max_context (0/1 per token), example.
    """
    enc = tokenizer(questions, contexts, return_offsets_mapping=True)
    out: dict[str, list] = {k: [] for k in ("input_ids", "attention_mask", "offset_mapping", "sequence_ids",
                                            "max_context", "example")}
    for example, (ids, offsets) in enumerate(zip(enc["input_ids"], enc["offset_mapping"])):
        sequence = enc.sequence_ids(example)
        context = [t for t, s in enumerate(sequence) if s == 1]
        if not context:
            raise ValueError(f"QA row {example} has an empty context")
        head, tail = context[0], context[-1] + 1  # [special, question, special] | context | [special]
        capacity = max_length - head - (len(ids) - tail)
        starts = window_starts(len(context), capacity, doc_stride)
        lengths = [min(capacity, len(context) - lo) for lo in starts]
        for k, (lo, n) in enumerate(zip(starts, lengths)):
            keep = list(range(head)) + list(range(head + lo, head + lo + n)) + list(range(tail, len(ids)))
            out["input_ids"].append([ids[t] for t in keep])
            out["attention_mask"].append([1] * len(keep))
            out["offset_mapping"].append([tuple(offsets[t]) for t in keep])
            out["sequence_ids"].append([sequence[t] for t in keep])
            out["max_context"].append([0] * head + [int(has_max_context(starts, lengths, k, lo + j)) for j in range(n)]
                                      + [0] * (len(ids) - tail))
            out["example"].append(example)
    return out


def _positions(raw, enc) -> dict[str, list[int]]:
    """Token positions of each window's first gold answer."""
    starts, ends = [], []
    for example, offsets, sequence in zip(enc["example"], enc["offset_mapping"], enc["sequence_ids"]):
        answers = raw[example]["answers"]
        lo = answers["answer_start"][0]
        start, end = answer_tokens(offsets, sequence, lo, lo + len(answers["text"][0]))
        starts.append(start)
        ends.append(end)
    return {"start_positions": starts, "end_positions": ends}


def answer_tokens(offsets, sequence_ids, lo: int, hi: int) -> tuple[int, int]:
    """First and last token of the characters [lo, hi) in a window; (0, 0) if not inside it."""
    context = [t for t, s in enumerate(sequence_ids) if s == 1]
    if not context or offsets[context[0]][0] > lo or offsets[context[-1]][1] < hi:
        return 0, 0
    start = next(t for t in context if offsets[t][1] > lo)
    end = next(t for t in reversed(context) if offsets[t][0] < hi)
    return start, end


def best_span(start_logits, end_logits, offsets, max_context=None) -> tuple[float, tuple[int, int]] | None:
    """The highest-scoring valid (start, end) among the n-best logits, as character offsets.

    With `max_context`, a start token counts only where it has its maximum context (0 elsewhere).
    """
    length = len(offsets)
    start_logits, end_logits = start_logits[:length], end_logits[:length]
    starts = np.argsort(start_logits)[::-1][:N_BEST]
    ends = np.argsort(end_logits)[::-1][:N_BEST]
    best = None
    for s in starts:
        if offsets[s][0] < 0 or (max_context is not None and not max_context[s]):
            continue
        for e in ends:
            if e < s or e - s + 1 > MAX_ANSWER_TOKENS or offsets[e][0] < 0:
                continue
            score = float(start_logits[s] + end_logits[e])
            if best is None or score > best[0]:
                best = (score, (offsets[s][0], offsets[e][1]))
    return best


def _as_dataset(columns: dict):
    from datasets import Dataset
    return Dataset.from_dict({k: list(v) for k, v in columns.items()})


QA = QuestionAnswering()


def _fixture(stream: str):
    return lambda split, lang, n: generators.qa_rows(f"{stream}-{split}", n, lang)


SQUAD = Task(
    name="squad",
    paper_label="SQuAD",
    sizes=Sizes(train=87_599, source=TRAIN_SOURCE),
    format=QA,
    languages=("en",),
    hub=HubSource("rajpurkar/squad", "plain_text"),
    fixture=_fixture("squad"),
    metric=SquadEmF1(),  # jiant squad_v1: SQuAD v1.1 EM/F1
    fields=("question", "context"),
    source="SQuAD v1.1 (Rajpurkar et al. 2016) via rajpurkar/squad; train 87,599, validation 10,570",
)

XQUAD = Task(
    name="xquad",
    sizes=Sizes(evaluation=MappingProxyType({"validation": 1_190, "test": 1_190}),  # trains on SQuAD
                source=EVAL_SOURCE),
    submission="qa", paper_label="XQuAD",
    format=QA,
    # XTREME_TASK2LANGS["xquad"] in google-research/xtreme evaluate.py
    languages=tuple("ar de el en es hi ru th tr vi zh".split()),
    hub=HubSource("google/xtreme", "XQuAD.{lang}"),  # validation only (1,190 questions each)
    # one set, XTREME's test (google/xtreme card: XQuAD.* has only "validation"; xtreme-protocol.md 1.2)
    evaluation_sets=MappingProxyType({"test": "validation"}),
    fixture=_fixture("xquad"),
    xtreme=XtremeFiles("squad", MappingProxyType({"validation": "xquad/xquad.{lang}.json"})),
    metric=SquadEmF1(),  # XTREME evaluate.py squad_em_f1
    fields=("question", "context"),
    train_task="squad",
    parallel=True,
    source="XQuAD (Artetxe et al. 2020) via google/xtreme XQuAD.*; trains on SQuAD v1.1",
)

MLQA = Task(
    name="mlqa",
    sizes=Sizes(evaluation=MappingProxyType({"validation": 1_000, "test": 4_500}),  # trains on SQuAD
                source=EVAL_SOURCE),
    submission="qa", paper_label="MLQA",
    format=QA,
    # XTREME_TASK2LANGS["mlqa"]; XTREME uses the diagonal configs MLQA.xx.xx only
    languages=tuple("ar de en es hi vi zh".split()),
    hub=HubSource("google/xtreme", "MLQA.{lang}.{lang}"),
    fixture=_fixture("mlqa"),
    xtreme=XtremeFiles("squad", MappingProxyType({
        "validation": "mlqa/MLQA_V1/dev/dev-context-{lang}-question-{lang}.json",
        "test": "mlqa/MLQA_V1/test/test-context-{lang}-question-{lang}.json"})),
    metric=MlqaEmF1(),  # XTREME evaluate.py mlqa_em_f1, language-specific normalisation
    fields=("question", "context"),
    train_task="squad",
    source="MLQA (Lewis et al. 2020) via google/xtreme MLQA.{lang}.{lang}; trains on SQuAD v1.1",
)

# TyDiQA-GoldP ids start with the language's English name (google/xtreme tydiqa, HF card)
TYDIQA_NAMES = MappingProxyType(dict(ar="arabic", bn="bengali", en="english", fi="finnish", id="indonesian",
                                     ko="korean", ru="russian", sw="swahili", te="telugu"))
# every TyDiQA-GoldP language, as the hub's config holds them (the rehearsal profile reads all nine;
# a language's rows come from its own stream, so adding one leaves the others' rows unchanged)
TYDIQA_FIXTURE_LANGUAGES = tuple(TYDIQA_NAMES)


def _tydiqa_fixture(split: str, lang: str, n: int) -> list[dict]:
    """Like the hub's single `tydiqa` config: all languages mixed, not translations of each other."""
    rows = []
    for code in TYDIQA_FIXTURE_LANGUAGES:
        rows += generators.qa_rows(f"tydiqa-{code}-{split}", n, code, id_prefix=f"{TYDIQA_NAMES[code]}-")
    return rows


def _tydiqa_language(data, lang: str):
    """The rows of one language: ids start with its English name (`english-...`)."""
    prefix = TYDIQA_NAMES[lang] + "-"
    return data.filter(lambda row: row["id"].startswith(prefix))


TYDIQA = Task(
    name="tydiqa",
    sizes=Sizes(train=3_696, evaluation=MappingProxyType({"validation": 560, "test": 560}),
                # every language's training data (TrainConfig.train_languages "all"): the google/xtreme
                # tydiqa train split (HF card: 49,881 rows; xtreme-protocol.md 1.3)
                train_all_languages=49_881,
                source=f"{TRAIN_SOURCE}; {EVAL_SOURCE}"),
    submission="qa", paper_label="TyDiQA",
    format=QA,
    # XTREME_TASK2LANGS["tydiqa"] in google-research/xtreme evaluate.py
    languages=tuple(TYDIQA_NAMES),
    hub=HubSource("google/xtreme", "tydiqa"),
    # GoldP's test set is not public: XTREME evaluates on its dev set, the hub's "validation"
    # (google/xtreme card: tydiqa has train and validation only; xtreme-protocol.md 1.2)
    evaluation_sets=MappingProxyType({"test": "validation"}),
    fixture=_tydiqa_fixture,
    # one file per language (XTREME's has only English training data; dev answers blanked)
    xtreme=XtremeFiles("squad", MappingProxyType({
        "train": "tydiqa/tydiqa-goldp-v1.1-train/tydiqa.goldp.{lang}.train.json",
        "validation": "tydiqa/tydiqa-goldp-v1.1-dev/tydiqa.goldp.{lang}.dev.json"}),
        id_prefix=MappingProxyType({code: f"{name}-" for code, name in TYDIQA_NAMES.items()})),
    metric=SquadEmF1(),  # XTREME evaluate.py squad_em_f1, English normalisation for every language
    fields=("question", "context"),
    # XTREME trains on English GoldP only (tydiqa.goldp.en.train.json); jiant's downloader trained on
    # all languages (xtreme-protocol.md 1.3).  `select` keeps one language's rows; the profile's
    # `train_languages` decides which protocol trains (paper: "en", the paper's stated 3,696).
    select=_tydiqa_language,
    source="TyDiQA-GoldP (Clark et al. 2020) via google/xtreme tydiqa; en train 3,696 (paper Table 1)",
)

TASKS = (SQUAD, XQUAD, MLQA, TYDIQA)

"""Extractive QA (SQuAD, XQuAD, MLQA, TyDiQA-GoldP): head, windows, span decoding, and its tasks.

Head: `AutoModelForQuestionAnswering` (start/end logits).  Contexts longer than
the max length are cut into overlapping windows `<s> question </s></s> context
window </s>` with a stride (`doc_stride` tokens of overlap), as XTREME's
`run_squad.py` (max_seq_length 384, doc_stride 128) and jiant do.  Training marks
the answer's first/last tokens, or `<s>` when a window does not hold the answer.
A question's prediction is the best span over all its windows: the 20 best start
and end logits (n_best_size 20), spans of at most 30 tokens (max_answer_length)
inside the context, scored by start + end logit, mapped back to context text
through the tokenizer's character offsets.
"""
from __future__ import annotations

from types import MappingProxyType

import numpy as np
from transformers import AutoModelForQuestionAnswering, DataCollatorWithPadding

from repro.fixtures import generators
from repro.metrics import MlqaEmF1, SquadEmF1
from repro.tasks.base import HubSource, Task

N_BEST = 20             # run_squad.py n_best_size
MAX_ANSWER_TOKENS = 30  # run_squad.py max_answer_length
MAX_QUESTION_TOKENS = 64  # run_squad.py max_query_length: longer questions are cut


class QuestionAnswering:
    """The format handler the engine calls for extractive QA tasks."""

    model_class = AutoModelForQuestionAnswering

    @staticmethod
    def model_kwargs(task: Task) -> dict:
        # start and end logits; an intermediate checkpoint's config may carry a classifier's num_labels
        return {"num_labels": 2}

    @staticmethod
    def windows(raw, tokenizer, config):
        """Tokenised windows of every (question, context) with offsets and their example index."""
        questions = cut_questions(list(raw["question"]), tokenizer)
        return tokenizer(questions, list(raw["context"]), truncation="only_second",
                         max_length=config.max_length, stride=config.doc_stride,
                         return_overflowing_tokens=True, return_offsets_mapping=True)

    def train_features(self, raw, task: Task, tokenizer, config):
        """Windows with `start_positions`/`end_positions` of the first gold answer (0: not in window)."""
        enc = self.windows(raw, tokenizer, config)
        return _as_dataset({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                            **_positions(raw, enc)})

    def eval_features(self, raw, task: Task, tokenizer, config):
        """Windows with `example` (row index) and `offsets` ([-1, -1] outside the context).

        Gold positions are kept too: the Trainer computes dev metrics only when labels exist.
        """
        enc = self.windows(raw, tokenizer, config)
        offsets = [[list(o) if s == 1 else [-1, -1] for o, s in zip(enc["offset_mapping"][b], enc.sequence_ids(b))]
                   for b in range(len(enc["input_ids"]))]
        return _as_dataset({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                            **_positions(raw, enc), "example": enc["overflow_to_sample_mapping"],
                            "offsets": offsets})

    @staticmethod
    def collator(tokenizer):
        return DataCollatorWithPadding(tokenizer)

    @staticmethod
    def decode(outputs, features, raw, task: Task) -> list[str]:
        """The best span's text per question over all its windows ("" when none is valid)."""
        start_logits, end_logits = (np.asarray(o) for o in outputs)
        best: list[tuple[float, str]] = [(-np.inf, "")] * len(raw)
        contexts = raw["context"]
        for b, (example, offsets) in enumerate(zip(features["example"], features["offsets"])):
            scored = best_span(start_logits[b], end_logits[b], offsets)
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


def cut_questions(questions: list[str], tokenizer, limit: int = MAX_QUESTION_TOKENS) -> list[str]:
    """Each question cut after its first `limit` sub-words (run_squad.py's max_query_length)."""
    enc = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
    return [q if len(offsets) <= limit else q[:offsets[limit - 1][1]]
            for q, offsets in zip(questions, enc["offset_mapping"])]


def _positions(raw, enc) -> dict[str, list[int]]:
    """Token positions of each window's first gold answer."""
    starts, ends = [], []
    for b, example in enumerate(enc["overflow_to_sample_mapping"]):
        answers = raw[example]["answers"]
        lo = answers["answer_start"][0]
        start, end = answer_tokens(enc["offset_mapping"][b], enc.sequence_ids(b), lo, lo + len(answers["text"][0]))
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


def best_span(start_logits, end_logits, offsets) -> tuple[float, tuple[int, int]] | None:
    """The highest-scoring valid (start, end) among the n-best logits, as character offsets."""
    length = len(offsets)
    start_logits, end_logits = start_logits[:length], end_logits[:length]
    starts = np.argsort(start_logits)[::-1][:N_BEST]
    ends = np.argsort(end_logits)[::-1][:N_BEST]
    best = None
    for s in starts:
        if offsets[s][0] < 0:
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
    format=QA,
    # XTREME_TASK2LANGS["xquad"] in google-research/xtreme evaluate.py
    languages=tuple("ar de el en es hi ru th tr vi zh".split()),
    hub=HubSource("google/xtreme", "XQuAD.{lang}"),  # validation only (1,190 questions each)
    # one set, XTREME's test (google/xtreme card: XQuAD.* has only "validation"; xtreme-protocol.md 1.2)
    evaluation_sets=MappingProxyType({"test": "validation"}),
    fixture=_fixture("xquad"),
    metric=SquadEmF1(),  # XTREME evaluate.py squad_em_f1
    fields=("question", "context"),
    train_task="squad",
    parallel=True,
    source="XQuAD (Artetxe et al. 2020) via google/xtreme XQuAD.*; trains on SQuAD v1.1",
)

MLQA = Task(
    name="mlqa",
    format=QA,
    # XTREME_TASK2LANGS["mlqa"]; XTREME uses the diagonal configs MLQA.xx.xx only
    languages=tuple("ar de en es hi vi zh".split()),
    hub=HubSource("google/xtreme", "MLQA.{lang}.{lang}"),
    fixture=_fixture("mlqa"),
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
    format=QA,
    # XTREME_TASK2LANGS["tydiqa"] in google-research/xtreme evaluate.py
    languages=tuple(TYDIQA_NAMES),
    hub=HubSource("google/xtreme", "tydiqa"),
    # GoldP's test set is not public: XTREME evaluates on its dev set, the hub's "validation"
    # (google/xtreme card: tydiqa has train and validation only; xtreme-protocol.md 1.2)
    evaluation_sets=MappingProxyType({"test": "validation"}),
    fixture=_tydiqa_fixture,
    metric=SquadEmF1(),  # XTREME evaluate.py squad_em_f1, English normalisation for every language
    fields=("question", "context"),
    # XTREME trains on English GoldP only (tydiqa.goldp.en.train.json); jiant's downloader trained on
    # all languages (xtreme-protocol.md 1.3).  `select` keeps one language's rows; the profile's
    # `train_languages` decides which protocol trains (paper: "all", as the authors did).
    select=_tydiqa_language,
    source="TyDiQA-GoldP (Clark et al. 2020) via google/xtreme tydiqa; en train 3,696 (paper Table 1)",
)

TASKS = (SQUAD, XQUAD, MLQA, TYDIQA)

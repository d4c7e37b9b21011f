"""Every target's own preprocessing over real rows, checked (`repro check-data`).

For each task x language x split that a data directory holds in XTREME's download layout, the
rows are read as a run reads them and passed through the task's own preprocessing with the
given tokenizer, and the result is measured:

- rows read, and rows dropped with the reason (QA: an answer text that is not in its context;
  an `answer_start` that points elsewhere is repaired, and counted, as training does);
- tagging: words that got a label position (their first sub-word in a chunk): every word must;
  words that became the unknown token (no sub-words); sentences split into chunks (never cut);
- QA: gold answers recoverable from the windows (the window whose gold start token has its
  maximum context, as prediction picks spans; its gold start/end tokens decoded back through
  the offsets and compared with the metric's own normalisation: XTREME's, MLQA's per language).
  Each answer not recovered is classed (`classify_answer`): limited by the tokenizer (a gold
  boundary falls strictly inside a sub-word, so the closest token span is the gold span plus
  characters of its boundary pieces: no token-span model gives it exactly, and 1 - limited/answers
  is the exact-match ceiling the tokenizer imposes) or lost by preprocessing (anything else: in
  no window, offsets wrong, text differing otherwise).  Tolerance: at most `1 - QA_RECOVERY_MIN`
  lost per language, both classes listed with examples;
- classification and retrieval: sequences longer than the max length (truncated);
- sub-word length quantiles (50/90/99/max) of the model inputs, the mean input tokens per
  example, and what the cost model predicts for it from `repro/length_samples.json`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
import unicodedata

import numpy as np

from repro import xtreme_layout
from repro.cost import length_sample, qa_windows
from repro.metrics import MlqaEmF1, SquadEmF1
from repro.tasks import Task, target_tasks
from repro.tasks.qa import QA, answer_tokens, check_answers
from repro.tasks.tagging import Tagging

QA_RECOVERY_MIN = 0.99   # gold answers recovered or limited by the tokenizer (not lost), per language
EXAMPLES = 3             # failures listed per check
RECOVERED, TOKENIZER_LIMIT, LOST = "recovered", "tokenizer-limited", "lost by preprocessing"


@dataclass
class Check:
    """What one task x language x split's preprocessing did to its real rows."""

    task: str
    lang: str
    split: str
    files: list[str]
    labelled: bool
    rows: int = 0                                     # rows checked (the first `--rows`)
    more: bool = False                                # the file has more rows than were checked
    dropped: dict = field(default_factory=dict)      # reason -> rows
    repaired: int = 0                                 # QA: answer_start moved to the answer text
    sequences: int = 0                                # model inputs (QA windows, tagging chunks)
    truncated: int = 0                                # inputs cut at the max length (tagging: sentences split)
    words: int | None = None                          # tagging: words, and those with a label position
    labelled_words: int | None = None
    unknown_words: int | None = None
    answerable: int | None = None                     # QA: questions with a gold answer, and recovered ones
    recovered: int | None = None
    # QA answers not recovered (`classify_answer`): a gold boundary inside a sub-word (the tokenizer's
    # resolution, the same in XTREME's code), or lost by preprocessing (what the tolerance bounds)
    tokenizer_limited: int | None = None
    lost: int | None = None
    tokenizer_limits: list = field(default_factory=list)  # QA: examples of tokenizer-limited answers
    failures: list = field(default_factory=list)      # examples of what a tolerance counts (QA: lost answers)
    quantiles: dict = field(default_factory=dict)     # p50, p90, p99, max of model-input sub-words
    tokens_per_example: float = 0.0                   # measured mean model-input tokens per example
    predicted_tokens_per_example: float | None = None  # the cost model's, from the committed samples
    problems: list = field(default_factory=list)      # broken tolerances, one line each

    def record(self) -> dict:
        """A JSON-ready dict of the check (QA: with the shares of answers not lost by preprocessing, which
        the tolerance bounds, and the exact-match ceiling the tokenizer imposes)."""
        record = asdict(self)
        if self.answerable:  # a QA check sets its counts together
            recovered, limited = self.recovered or 0, self.tokenizer_limited or 0
            record["qa_not_lost"] = (recovered + limited) / self.answerable
            record["qa_exact_match_ceiling"] = 1 - limited / self.answerable
        return record


def locations(task: Task, data) -> list[tuple[str, str]]:
    """(split, lang) pairs of `task` that the data directory holds in XTREME's layout."""
    if task.xtreme is None:
        return []
    return [(split, lang) for split in task.xtreme.files for lang in task.languages
            if data.layout_files(task, split, lang)]


def run_checks(data, tokenizer, profile, select: str = "", rows: int = 0) -> list[Check]:
    """Checks of every target task (whose name contains `select`) with real rows under `data.root`, each
    on the first `rows` rows of its file (0: all)."""
    checks = []
    for task in target_tasks():
        if select and select not in task.name:
            continue
        for split, lang in locations(task, data):
            checks.append(check(task, split, lang, data, tokenizer, profile, rows))
    return checks


def check(task: Task, split: str, lang: str, data, tokenizer, profile, rows: int = 0) -> Check:
    """The check of one task x split x language (see the module docstring) on its first `rows` rows
    (0: all; BUCC's corpora always whole: its sentences of both sides are one set)."""
    from datasets import Dataset
    read = xtreme_layout.read(task, data.root, split, lang, limit=rows + 1 if rows else None)  # stops early
    if read is None:
        raise xtreme_layout.LayoutError(f"{task.name}: XTREME's layout in {data.root} has no {split} file for "
                                        f"{lang}; re-run XTREME's download_data.sh, or check that language")
    more = bool(rows) and task.reader is None and len(read.rows) > rows
    raw = Dataset.from_list(read.rows[:rows] if more else read.rows)  # the rows as DataSource.load gives them
    result = Check(task.name, lang, split, [str(p) for p in read.paths], read.labelled, rows=len(raw), more=more)
    if task.trained:
        config = profile.train_config("target", task.name)
        max_length, stride = config.max_length, config.doc_stride
    else:
        config, max_length, stride = None, profile.retrieval.max_length, 0
    fmt = task.format
    if fmt is QA:
        lengths = _check_qa(result, raw, task, tokenizer, config)
    elif isinstance(fmt, Tagging):
        lengths = _check_tagging(result, raw, task, tokenizer, config)
    else:  # classification and retrieval: one model input per sequence, cut at the max length
        full = np.asarray(fmt.sequence_lengths(raw, task, tokenizer))
        result.sequences, result.truncated = len(full), int((full > max_length).sum())
        lengths = np.minimum(full, max_length)
    per_example = len(lengths) / max(result.rows - sum(result.dropped.values()), 1)
    if len(lengths):
        result.quantiles = {f"p{q}": int(np.percentile(lengths, q)) for q in (50, 90, 99)}
        result.quantiles["max"] = int(lengths.max())
        result.tokens_per_example = float(lengths.mean() * per_example)
    result.predicted_tokens_per_example = _predicted(task, split, max_length, stride)
    return result


def _predicted(task: Task, split: str, max_length: int, stride: int) -> float | None:
    """Mean model-input tokens per example the cost model assumes (None: no committed sample)."""
    name, which = (task.trains_on, "train") if split == "train" else (task.name, "eval")
    measured = length_sample(name, which, max_length, stride or 128)
    if measured is None:
        return None
    features, per_example = measured
    return float(features.mean() * per_example)


def _check_qa(result: Check, raw, task: Task, tokenizer, config) -> np.ndarray:
    """Windows of every question; with gold answers, which of them the windows can give back."""
    if result.labelled:
        raw, report = check_answers(raw)
        result.repaired = report["repaired"]
        if report["dropped"]:
            result.dropped["answer text not in its context (or no answer)"] = report["dropped"]
            result.failures += [f"dropped {i}" for i in report["dropped_ids"][:EXAMPLES]]
    enc = QA.windows(raw, tokenizer, config)
    lengths = np.asarray([len(ids) for ids in enc["input_ids"]])
    result.sequences = len(lengths)
    result.truncated = int(sum(len(q) > 64 for q in tokenizer(list(raw["question"]),
                                                               add_special_tokens=False)["input_ids"]))
    if not result.labelled:
        return lengths
    contexts, answers = raw["context"], raw["answers"]
    metric = task.metric
    assert isinstance(metric, (SquadEmF1, MlqaEmF1)), f"{task.name}: a QA task scores EM and F1"
    norm = metric.normalizer(result.lang)
    picked: dict[int, tuple] = {}  # example -> the offsets of its gold start and end tokens in the picked window
    for example, offsets, sequence, best in zip(enc["example"], enc["offset_mapping"], enc["sequence_ids"],
                                                enc["max_context"]):
        if example in picked:
            continue
        lo, hi = visible_span(contexts[example], answers[example]["answer_start"][0],
                              answers[example]["text"][0])
        start, end = answer_tokens(offsets, sequence, lo, hi)
        if start and best[start]:  # the window prediction would take this start from
            picked[example] = (tuple(offsets[start]), tuple(offsets[end]))
    result.answerable, result.recovered, result.tokenizer_limited, result.lost = len(raw), 0, 0, 0
    for example, answer in enumerate(answers):
        gold, lo, context = answer["text"][0], answer["answer_start"][0], contexts[example]
        pieces = picked.get(example)
        outcome = classify_answer(context, gold, lo, pieces, norm)
        if outcome == RECOVERED:
            result.recovered += 1
            continue
        given = "(no window holds it where its start has its maximum context)" if pieces is None else \
            repr(context[pieces[0][0]:pieces[1][1]])
        line = f"{raw[example]['id']}: gold {gold!r}, windows give {given}"
        if outcome == TOKENIZER_LIMIT:
            result.tokenizer_limited += 1
            if len(result.tokenizer_limits) < EXAMPLES:
                result.tokenizer_limits.append(line)
        else:
            result.lost += 1
            if len(result.failures) < EXAMPLES:
                result.failures.append(line)
    if result.lost > (1 - QA_RECOVERY_MIN) * result.answerable:
        result.problems.append(f"{result.task} {result.lang} {result.split}: {result.lost}/{result.answerable} gold "
                               f"answers lost by preprocessing, above {1 - QA_RECOVERY_MIN:.0%} ({result.recovered} "
                               f"recovered, {result.tokenizer_limited} limited by the tokenizer's sub-words)")
    return lengths


def visible_span(context: str, lo: int, gold: str) -> tuple[int, int]:
    """The characters [lo, hi) of a gold answer at `lo` without its leading and trailing invisible
    characters (format characters such as U+200B, and spaces), which XLM-R's tokenizer drops: no token
    covers them, so no token span can start or end there."""
    hi = lo + len(gold)
    if context[lo:hi] != gold:
        return lo, hi
    while lo < hi and _invisible(context[lo]):
        lo += 1
    while hi > lo and _invisible(context[hi - 1]):
        hi -= 1
    return lo, hi


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"


def classify_answer(context: str, gold: str, lo: int, pieces, norm) -> str:
    """RECOVERED, TOKENIZER_LIMIT or LOST for one gold answer (text `gold` at character `lo`).

    `pieces`: the character offsets ((a, b), (c, d)) of its gold start and end tokens in the window
    the max-context rule picks (None: no window).  Recovered: `context[a:d]` equals the gold text
    under `norm`.  Tokenizer-limited: the gold text is at `lo`, its start lies strictly inside
    (a, b) or its end strictly inside (c, d), and the decoded span cut back to the gold span
    equals the gold text: the only difference is the extra characters of the boundary pieces.
    Gold text whose first or last characters are invisible ones the tokenizer drops (U+200B) is
    tokenizer-limited too when the span without them is recovered.  Lost (by preprocessing): everything else.
    """
    if pieces is None:
        return LOST
    (a, b), (c, d) = pieces
    hi = lo + len(gold)
    if norm(context[a:d]) == norm(gold):
        return RECOVERED
    if context[lo:hi] != gold:
        return LOST
    vlo, vhi = visible_span(context, lo, gold)
    inside = a < vlo < b or c < vhi < d
    dropped = (vlo, vhi) != (lo, hi) and norm(context[a:d]) == norm(context[vlo:vhi])
    if (inside and norm(context[max(a, vlo):min(d, vhi)]) == norm(context[vlo:vhi])) or dropped:
        return TOKENIZER_LIMIT
    return LOST


def _check_tagging(result: Check, raw, task: Task, tokenizer, config) -> np.ndarray:
    """Chunks of every sentence; every word must get a label position (its first sub-word)."""
    fmt = task.format
    assert isinstance(fmt, Tagging), f"{task.name}: a tagging task has the tagging format"
    columns = fmt.chunks(raw, task, tokenizer, config)
    enc = tokenizer(columns["words"], is_split_into_words=True, truncation=True, max_length=config.max_length)
    sentences = [list(words) for words in raw[task.fields[0]]]
    result.words = sum(map(len, sentences))
    result.labelled_words = sum(len({w for w in enc.word_ids(b) if w is not None})
                                for b in range(len(columns["words"])))
    unk = tokenizer.unk_token
    result.unknown_words = sum(w == unk and sentences[s][lo + j] != unk
                               for s, lo, words in zip(columns["sentence"], columns["first_word"], columns["words"])
                               for j, w in enumerate(words))
    result.sequences = len(columns["words"])
    result.truncated = len(columns["words"]) - len(sentences)  # extra chunks: sentences split, not cut
    if result.labelled_words != result.words:
        result.problems.append(f"{result.task} {result.lang} {result.split}: "
                               f"{result.words - result.labelled_words} of {result.words} words got no label position")
    return np.asarray([len(ids) for ids in enc["input_ids"]])


def table(checks: list[Check]) -> str:
    """The checks as a Markdown table."""
    head = ("| task | lang | split | rows | dropped | words labelled | unk words | QA recovered | "
            "QA tokenizer-limited (EM ceiling) | QA lost by preprocessing | inputs | "
            "truncated | p50 | p90 | p99 | max | tokens/example | cost model |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in checks:
        q = c.quantiles
        words = "" if c.words is None else f"{c.labelled_words}/{c.words}"
        answerable, limited, lost = c.answerable or 0, c.tokenizer_limited or 0, c.lost or 0  # set together
        qa = "| |" if c.recovered is None else (
            f"{c.recovered}/{answerable} ({_percent(c.recovered, answerable)}) | {limited} "
            f"({_percent(answerable - limited, answerable)}) | "
            f"{lost} ({_percent(lost, answerable)})")
        predicted = "-" if c.predicted_tokens_per_example is None else f"{c.predicted_tokens_per_example:.0f}"
        checked = f"first {c.rows}" if c.more else f"{c.rows}"
        lines.append(f"| {c.task} | {c.lang} | {c.split}{'' if c.labelled else ' (no labels)'} | {checked} | "
                     f"{sum(c.dropped.values())} | {words} | {'' if c.unknown_words is None else c.unknown_words} | "
                     f"{qa} | {c.sequences} | {c.truncated} | {q.get('p50', '')} | {q.get('p90', '')} | "
                     f"{q.get('p99', '')} | {q.get('max', '')} | {c.tokens_per_example:.0f} | {predicted} |")
    return "\n".join(lines)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / max(whole, 1):.1f}%"

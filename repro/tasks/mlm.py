"""Continued multilingual masked language modelling: the pseudo-task `mlm` of a mixture.

The paper mixes "2M Wikipedia sentences over the 40 XTREME languages, sampled with
exponent alpha = 0.3 over language sizes" into intermediate training as one more task
(v1 App. A).  The corpus: language l with n_l sentences gets the share
q_l = n_l^0.3 / sum_k n_k^0.3 of `max_train_examples` sentences (+ the
`early_stopping_examples` held out for early stopping), drawn uniformly from all its
sentences (with repetition only when q_l asks for more than it has).  Sources:

- fixture: sentences of the synthetic lexicon, languages of different sizes;
- local:   `<data-dir>/mlm/<lang>.txt`, UTF-8, one sentence per line (beside the hub too);
- hub:     Wikipedia in Parquet, `wikimedia/wikipedia` config `<WIKIPEDIA_DUMP>.<lang>`, the
           dump of 2023-11-01 (the paper names no dump; this is the hub's newest).  Every
           article is split into sentences once (`split_sentences`, a pass over the whole
           dump, cached by `datasets`): n_l counts them, and the sample is uniform over them,
           not a streaming shuffle (whose buffer draws from the first articles only).

Head: the checkpoint's own LM head (`AutoModelForMaskedLM`; XLM-R's, and the tiny
model's, decoder is tied to the word embeddings).  Masking as BERT/XLM-R: 15% of the
non-special tokens; of those 80% `<mask>`, 10% a random token, 10% unchanged; fresh
masks for every training batch, fixed ones (seeded) for the dev sentences, whose score
is the accuracy on the masked tokens.
"""
from __future__ import annotations

import os
import random
import re
from pathlib import Path

import numpy as np

from repro.errors import ReproError
from repro.fixtures import lexicon
from repro.metrics import Accuracy
from repro.tasks.base import HubSource, Sizes, Task
from repro.tasks.formats import TrainedFormat

ALPHA = 0.3             # language sampling exponent (v1 App. A)
MASK_PROBABILITY = 0.15
DEV_MASK_SEED = 0       # the dev sentences' masks are part of the data
# the 40 XTREME languages: XTREME_TASK2LANGS["panx"] in google-research/xtreme evaluate.py
XTREME_LANGUAGES = tuple(("af ar bg bn de el en es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr ms my nl "
                          "pt ru sw ta te th tl tr ur vi yo zh").split())
# wikimedia/wikipedia's dump of 2023-11-01, its newest (the dataset card; huggingface.co/datasets/
# wikipedia/discussions/12); the paper says only "Wikipedia"
WIKIPEDIA_DUMP = "20231101"
WIKIPEDIA = HubSource("wikimedia/wikipedia", WIKIPEDIA_DUMP + ".{lang}")
# fixture languages: those of the synthetic lexicon among the 40
FIXTURE_LANGUAGES = tuple(l for l in XTREME_LANGUAGES if l in lexicon.LANGUAGE_SCRIPT)
_SENTENCE_END = re.compile(r"(?<=[.!?;।॥۔።])\s+|(?<=[。！？])")
_FINAL = re.compile(r"[.!?;।॥۔።。！？]")


class CorpusError(ReproError, ValueError):
    """A multilingual MLM corpus that is missing or unusable."""


def language_shares(sizes: dict[str, int], alpha: float = ALPHA) -> dict[str, float]:
    """q_l = n_l^alpha / sum_k n_k^alpha."""
    empty = [l for l, n in sizes.items() if n < 1]
    if empty:
        raise CorpusError(f"the MLM corpus has no sentences in {', '.join(empty)}: add some or drop the language")
    weights = {l: float(n) ** alpha for l, n in sizes.items()}
    total = sum(weights.values())
    return {l: w / total for l, w in weights.items()}


def allot(shares: dict[str, float], total: int) -> dict[str, int]:
    """`total` split by `shares` into integers (largest remainders), summing to `total` exactly."""
    exact = {l: q * total for l, q in shares.items()}
    counts = {l: int(x) for l, x in exact.items()}
    for l in sorted(exact, key=lambda l: counts[l] - exact[l])[:total - sum(counts.values())]:
        counts[l] += 1
    return counts


def _draw(n: int, count: int, rng: random.Random) -> list[int]:
    """`count` indices of range(n): without repetition while they last, then again."""
    out: list[int] = []
    while len(out) < count:
        out += rng.sample(range(n), min(n, count - len(out)))
    return out


class _Fixture:
    """Synthetic sentences; language l holds train_size * (1..8) of them, so sizes differ."""

    def __init__(self, data):
        self.base = data.fixture_sizes.get("train", 100)

    def size(self, lang: str) -> int:
        return self.base * (1 + random.Random(f"mlm-size:{lang}").randrange(8))

    def draw(self, lang: str, count: int, rng: random.Random) -> list[str]:
        out = []
        for i in _draw(self.size(lang), count, rng):
            item = random.Random(f"mlm:{lang}:{i}")
            out.append(lexicon.sentence(item.sample(list(lexicon.content_concepts()), item.randint(4, 12)), lang))
        return out


class _Local:
    """`<root>/mlm/<lang>.txt`, one sentence per line."""

    def __init__(self, root):
        self.root = Path(root)
        self._lines: dict[str, list[str]] = {}

    def lines(self, lang: str) -> list[str]:
        if lang not in self._lines:
            path = self.root / "mlm" / f"{lang}.txt"
            if not path.is_file():
                raise CorpusError(f"{path} is missing: the mlm task reads <data-dir>/mlm/<lang>.txt for each of its "
                                  f"languages ({', '.join(XTREME_LANGUAGES)}), UTF-8, one sentence per line "
                                  "(e.g. Wikipedia split into sentences); put the file there, or use the hub source")
            self._lines[lang] = [s for s in (line.strip() for line in path.open(encoding="utf-8-sig")) if s]
            if not self._lines[lang]:
                raise CorpusError(f"{path} holds no sentences; one sentence per line")
        return self._lines[lang]

    def size(self, lang: str) -> int:
        return len(self.lines(lang))

    def draw(self, lang: str, count: int, rng: random.Random) -> list[str]:
        lines = self.lines(lang)
        return [lines[i] for i in _draw(len(lines), count, rng)]


def _load_wikipedia(lang: str):
    """One language's articles (Parquet, downloaded once and memory-mapped)."""
    from datasets import load_dataset
    return load_dataset(WIKIPEDIA.path, WIKIPEDIA.config_for(lang), split="train", revision=WIKIPEDIA.revision)


def _count_sentences(batch: dict) -> dict:
    return {"sentences": [len(split_sentences(text)) for text in batch["text"]]}


class _Hub:
    """Wikipedia: a language's size is its sentence count; sentences drawn uniformly from all of them.

    `load(lang)` gives the articles as a `datasets.Dataset` with a `text` column.
    """

    def __init__(self, load=_load_wikipedia):
        self.load = load
        self._index: dict[str, tuple] = {}

    def sentence_index(self, lang: str):
        """(articles, ends): ends[a] = sentences in articles 0..a, from one pass over the dump."""
        if lang not in self._index:
            articles = self.load(lang)
            workers = min(os.cpu_count() or 1, 16) if len(articles) > 100_000 else None
            counts = articles.map(_count_sentences, batched=True, remove_columns=articles.column_names,
                                  num_proc=workers)["sentences"]
            ends = np.cumsum(np.asarray(counts, dtype=np.int64))
            if not len(ends) or ends[-1] == 0:
                raise CorpusError(f"{WIKIPEDIA.path} {WIKIPEDIA.config_for(lang)} yielded no sentences")
            self._index[lang] = (articles, ends)
        return self._index[lang]

    def size(self, lang: str) -> int:
        return int(self.sentence_index(lang)[1][-1])

    def draw(self, lang: str, count: int, rng: random.Random) -> list[str]:
        articles, ends = self.sentence_index(lang)
        picks = sorted(_draw(int(ends[-1]), count, rng))  # global sentence numbers, read article by article
        out, current, sentences = [], None, []
        for pick, article in zip(picks, np.searchsorted(ends, picks, side="right")):
            if article != current:
                current, sentences = article, split_sentences(articles[int(article)]["text"])
            out.append(sentences[pick - (int(ends[article - 1]) if article else 0)])
        return out


def split_sentences(text: str, heading: int = 40) -> list[str]:
    """Sentences of a Wikipedia article: its lines cut after sentence-final punctuation.

    A line shorter than `heading` characters without such punctuation is a heading or a list
    item and is dropped; a longer one is kept whole (Thai marks no sentence ends).
    """
    out = []
    for line in (line.strip() for line in text.split("\n")):
        if _FINAL.search(line) or len(line) >= heading:
            out += [s.strip() for s in _SENTENCE_END.split(line) if len(s.strip()) > 1]
    return out


def corpus_source(data):
    """Where the corpus of a data source comes from: fixture sentences (also the hub stand-in's),
    local files or the hub."""
    if data.synthetic:
        return _Fixture(data)
    if data.kind == "local" or (data.root is not None and (Path(data.root) / "mlm").is_dir()):
        return _Local(data.root)  # a local corpus wins over the hub, as local copies do
    return _Hub()


def corpus(data, languages, size: int, held_out: int, seed: int):
    """The alpha-sampled corpus of `data`: see `sample_corpus`."""
    if data.kind == "rehearsal":  # the hub stand-in: refuse a Wikipedia config the hub would refuse
        for lang in languages:
            data.check_hub(WIKIPEDIA, "train", lang)
    return sample_corpus(corpus_source(data), languages, size, held_out, seed)


def sample_corpus(source, languages, size: int, held_out: int, seed: int):
    """The alpha-sampled corpus: (train rows, dev rows) of {text, lang}, shuffled, disjoint draws;
    language shares from the sentence counts `source.size(lang)`."""
    from datasets import Dataset
    rng = random.Random(seed)
    counts = allot(language_shares({l: source.size(l) for l in languages}), size + held_out)
    rows = [{"text": s, "lang": l} for l in languages for s in source.draw(l, counts[l], rng)]
    rng.shuffle(rows)
    return Dataset.from_list(rows[held_out:]), Dataset.from_list(rows[:held_out])


def mask_tokens(input_ids, special_ids, mask_id: int, vocab_size: int, generator=None):
    """BERT masking of a padded id tensor: (inputs, labels), labels -100 where nothing is predicted."""
    import torch
    labels = input_ids.clone()
    chosen = (torch.rand(input_ids.shape, generator=generator) < MASK_PROBABILITY) & ~torch.isin(input_ids, special_ids)
    labels[~chosen] = -100
    inputs = input_ids.clone()
    roll = torch.rand(input_ids.shape, generator=generator)
    inputs[chosen & (roll < 0.8)] = mask_id
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = torch.randint(vocab_size, input_ids.shape, generator=generator)[swap]
    return inputs, labels


class MaskingCollator:
    """Pads; masks afresh (global torch RNG, seeded by the Trainer) unless rows bring their `labels`."""

    def __init__(self, tokenizer):
        import torch
        self.tokenizer = tokenizer
        self.special = torch.tensor(sorted(set(tokenizer.all_special_ids)))

    def __call__(self, rows: list[dict]) -> dict:
        import torch
        width = max(len(r["input_ids"]) for r in rows)
        pad = self.tokenizer.pad_token_id

        def padded(key, value):
            return torch.tensor([list(r[key]) + [value] * (width - len(r[key])) for r in rows])
        batch = {"input_ids": padded("input_ids", pad), "attention_mask": padded("attention_mask", 0)}
        if "labels" in rows[0]:
            batch["labels"] = padded("labels", -100)
        else:
            batch["input_ids"], batch["labels"] = mask_tokens(batch["input_ids"], self.special,
                                                              self.tokenizer.mask_token_id, len(self.tokenizer))
        return batch


class MaskedLanguageModelling(TrainedFormat):
    """The format handler of `mlm`: corpus, masking, the checkpoint's LM head, masked-token accuracy."""

    @property
    def model_class(self) -> type:
        from transformers import AutoModelForMaskedLM  # only to build a model: the registry stays light
        return AutoModelForMaskedLM
    pretrained_head = True  # the checkpoint's LM head, never a fresh one
    reads_own_rows = True  # the corpus, sampled over languages

    def training_reads(self, task: Task) -> set[tuple[str, str, str]]:
        """The corpus's training split in every XTREME language (its held-out rows come from it too)."""
        return {(task.name, "train", lang) for lang in XTREME_LANGUAGES}

    def local_files(self, data, task: Task, split: str, lang: str) -> list[str]:
        """`mlm/<lang>.txt` where the corpus is read from the data directory; none otherwise."""
        return [f"mlm/{lang}.txt"] if isinstance(corpus_source(data), _Local) else []

    @staticmethod
    def model_kwargs(task: Task) -> dict:
        return {}

    @staticmethod
    def load_rows(data, task: Task, config, seed: int):
        """(train, dev): `max_train_examples` corpus sentences and `early_stopping_examples` held out."""
        if config.max_train_examples is None:
            raise CorpusError("the mlm task needs the corpus size: set max_train_examples in its TrainConfig "
                              "(the paper: 2,000,000 sentences)")
        languages = FIXTURE_LANGUAGES if data.kind == "fixture" else task.languages
        return corpus(data, languages, config.max_train_examples, config.early_stopping_examples, seed)

    @staticmethod
    def _encode(raw, tokenizer, config) -> dict:
        return tokenizer(list(raw["text"]), truncation=True, max_length=config.max_length)

    @staticmethod
    def train_features(raw, task: Task, tokenizer, config):
        """Token ids, kept in Arrow (2M sentences); the collator masks them batch by batch."""
        import hashlib

        def encode(batch):
            enc = tokenizer(batch["text"], truncation=True, max_length=config.max_length)
            return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
        # the result's fingerprint named outright: `datasets` would otherwise pickle the closure, the
        # tokenizer's whole vocabulary with it (seconds for XLM-R's 250,002 pieces), only to name it
        name = f"{raw._fingerprint}:{tokenizer.name_or_path}:{len(tokenizer)}:{config.max_length}"
        return raw.map(encode, batched=True, remove_columns=raw.column_names,
                       new_fingerprint=hashlib.sha256(name.encode()).hexdigest()[:16])

    def eval_features(self, raw, task: Task, tokenizer, config):
        """Token ids with fixed (seeded) masks and their `labels`."""
        import torch
        enc = self._encode(raw, tokenizer, config)
        special = torch.tensor(sorted(set(tokenizer.all_special_ids)))
        generator = torch.Generator().manual_seed(DEV_MASK_SEED)
        inputs, labels = [], []
        for ids in enc["input_ids"]:
            masked, gold = mask_tokens(torch.tensor([ids]), special, tokenizer.mask_token_id, len(tokenizer), generator)
            inputs.append(masked[0].tolist())
            labels.append(gold[0].tolist())
        return _as_dataset({"input_ids": inputs, "attention_mask": enc["attention_mask"], "labels": labels})

    @staticmethod
    def collator(tokenizer):
        return MaskingCollator(tokenizer)

    @staticmethod
    def reduce_logits(logits, labels):
        """The predicted token per position: vocabulary-sized logits are never gathered (`head_forward`
        gives the token ids already, -100 where nothing is masked)."""
        logits = logits[0] if isinstance(logits, tuple) else logits
        return logits if logits.dim() == labels.dim() else logits.argmax(-1)

    @staticmethod
    def head_forward(head, input_ids=None, attention_mask=None, labels=None, **inputs):
        """The LM head on the masked positions only, as fairseq trains RoBERTa and XLM-R (its output
        layer sees `masked_tokens` alone): the loss of `head(...)` with the vocabulary-sized scores of
        the ~15% masked tokens instead of every token (XLM-R: 250,002 per token).  In evaluation its
        `logits` are the predicted token at each masked position (-100 elsewhere), the argmax of the
        full head's logits there.  A head without `lm_head`, or a batch without labels, runs whole."""
        lm_head = getattr(head, "lm_head", None)
        if lm_head is None or labels is None:
            return head(input_ids=input_ids, attention_mask=attention_mask, labels=labels, **inputs)
        import torch.nn.functional as F
        from transformers.modeling_outputs import MaskedLMOutput
        hidden = head.base_model(input_ids=input_ids, attention_mask=attention_mask, **inputs)[0]
        chosen = labels != -100
        scores = lm_head(hidden[chosen])
        loss = F.cross_entropy(scores, labels[chosen])
        predicted = None
        if not head.training:
            predicted = labels.new_full(labels.shape, -100)
            predicted[chosen] = scores.argmax(-1)
        return MaskedLMOutput(loss=loss, logits=predicted)

    @staticmethod
    def dev_score(predictions, features, raw, task: Task) -> float:
        """Accuracy (x100) on the masked tokens of the dev sentences."""
        correct = total = 0
        for predicted, gold in zip(np.asarray(predictions), features["labels"]):
            gold = np.asarray(gold)
            masked = gold != -100
            correct += int((predicted[:len(gold)][masked] == gold[masked]).sum())
            total += int(masked.sum())
        return 100.0 * correct / max(total, 1)


def _as_dataset(columns: dict):
    from datasets import Dataset
    return Dataset.from_dict({k: list(v) for k, v in columns.items()})


def _fixture(split: str, lang: str, n: int) -> list[dict]:
    """`n` synthetic sentences of `lang` (the corpus is assembled by `corpus`)."""
    return [{"text": lexicon.sentence(random.Random(f"mlm-{split}:{lang}:{i}").sample(
        list(lexicon.content_concepts()), 8), lang)} for i in range(n)]


MLM = Task(
    name="mlm",
    paper_label="MLM",
    sizes=Sizes(train=2_000_000, source="v1 App. A: 2M Wikipedia sentences"),
    format=MaskedLanguageModelling(),
    languages=XTREME_LANGUAGES,
    hub=WIKIPEDIA,
    fixture=_fixture,
    metric=Accuracy(),
    fields=("text",),
    source=("continued multilingual MLM (v1 App. A): 2M Wikipedia sentences, 40 XTREME languages, alpha 0.3 "
            f"over sentence counts; hub: wikimedia/wikipedia dump {WIKIPEDIA_DUMP}"),
)

TASKS = (MLM,)

"""Profiles: named presets of model, data source, hyperparameters and seeds.

`smoke` (the default) runs the whole pipeline offline in minutes on a tiny
XLM-R-architecture model; its verdicts are no evidence about the paper.
`paper` is XLM-R Large with the hyperparameters of the paper's appendix
(arXiv v1, App. A; see ../shared/paper/README.md), data from the Hugging Face hub
or a local directory.  `rehearsal` is `paper` on the tiny model with rows from a stand-in
for the hub: the paper's whole run graph, offline, as a check that it runs.
Select one with `--profile` or `REPRO_PROFILE`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

from repro.errors import UnknownName, UsageError
from repro.stats.sequential import SequentialDesign

PROFILE_ENV = "REPRO_PROFILE"
# TyDiQA-GoldP training data: "en" (default: the paper's stated English GoldP set, XTREME's zero-shot
# protocol) or "all" (every language's, as jiant's later downloader wrote it)
TYDIQA_TRAIN_ENV = "REPRO_TYDIQA_TRAIN"
TRAIN_LANGUAGES = ("en", "all")
# XNLI's batch: "32" (default: 4 x gradient accumulation 8, jiant's XTREME recipe) or "4" (v1's table literally)
XNLI_BATCH_ENV = "REPRO_XNLI_BATCH"
XNLI_BATCHES = {"32": 8, "4": 1}  # effective batch -> gradient accumulation over batches of 4
DEFAULT_PROFILE = "smoke"
# The final version's nine English intermediate tasks: v1's seven, MNLI and a ninth that no
# readable source names (most likely SST-2); a profile may name another.
INTERMEDIATE_TASKS = ("anli_plus", "mnli", "qqp", "squad", "hellaswag", "cosmosqa", "commonsenseqa", "ccg", "sst2")


class UnknownProfile(UnknownName):
    """A profile name that is none of PROFILES."""


class MissingConfig(UnknownName):
    """A task or mixture the profile has no training configuration for."""


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation of one training phase on one task (AdamW, linear schedule)."""

    learning_rate: float
    batch_size: int
    epochs: float
    warmup_ratio: float = 0.1
    # AdamW weight decay on all but biases and LayerNorm weights: jiant's `create_optimizer`
    # (jiant/shared/model_setup.py: 0.01, no decay for bias / LayerNorm), the authors' library
    weight_decay: float = 0.01
    gradient_accumulation: int = 1
    max_length: int = 128
    # QA: sub-words between the starts of a context's windows, XTREME's meaning (run_squad.py default 128;
    # third_party/processors/squad.py), not Hugging Face's `stride` (an overlap)
    doc_stride: int = 128
    # Early stopping: evaluate on `early_stopping_examples` English dev examples (jiant
    # eval_subset_num 500; repro.early_stopping) every `eval_every_steps` steps (0: once per
    # epoch), stop after `patience` evaluations past warmup without a new best, keep the best.
    # jiant's XTREME runs: eval_every_steps 1000, no_improvements_for_n_evals 30 (e_run_models.sh).
    early_stopping_examples: int = 500
    eval_every_steps: int = 0
    patience: int = 30
    # Cap on training examples (None: all); only the smoke profile sets it.
    max_train_examples: int | None = None
    # Languages of the training rows: "en" (XTREME's zero-shot protocol) or "all" (every language
    # of a multilingual training config; TyDiQA-GoldP as jiant's downloader wrote it, see
    # TYDIQA_TRAIN_ENV below).  Only a task with a multilingual training config may say "all".
    train_languages: str = "en"

    def __post_init__(self):
        if self.train_languages not in TRAIN_LANGUAGES:
            raise UsageError(f"train_languages must be one of {', '.join(TRAIN_LANGUAGES)}, "
                             f"got {self.train_languages!r}")


@dataclass(frozen=True)
class RetrievalConfig:
    """How retrieval tasks (BUCC, Tatoeba) embed sentences: mean-pooled `hidden_states[layer]`."""

    layer: int = 14          # jiant retrieval_layer = hidden_states[14] of XLM-R Large (xtreme-protocol.md 1.5)
    max_length: int = 512    # jiant and XTREME embed with max length 512
    batch_size: int = 64


@dataclass(frozen=True)
class TinyModel:
    """A tiny XLM-R-architecture encoder with seeded random weights (smoke only)."""

    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 2
    intermediate_size: int = 128
    max_positions: int = 130
    init_seed: int = 0
    # "": the fixture tokenizer; else the content fingerprint of a `--tokenizer` folder, whose
    # vocabulary sizes the embedding (the folder itself is `Profile.tokenizer_dir`, not an identity)
    tokenizer: str = ""

    @property
    def name(self) -> str:
        own = f"-t{self.tokenizer[:12]}" if self.tokenizer else ""
        return (f"tiny-xlmr-h{self.hidden_size}-l{self.num_layers}-a{self.num_heads}"
                f"-f{self.intermediate_size}-p{self.max_positions}-s{self.init_seed}{own}")


@dataclass(frozen=True)
class Profile:
    """Everything that decides how runs are made on one kind of machine."""

    name: str
    model: str | TinyModel                 # hub id / local path, or a tiny model spec
    data_source: str                       # "fixture", "hub" or "local"
    intermediate: Mapping[str, TrainConfig]  # phase (ii), per intermediate task
    target: Mapping[str, TrainConfig]        # phase (iii), per target task
    seeds: tuple[int, ...]                   # replicates (chains) per configuration: phase-(ii) and -(iii) seed
    eval_split: str = "validation"           # the paper's main results are on dev sets
    # the claim splits every target run predicts from its one training (dev and test, as jiant's --do_val
    # plus test prediction); each maps to the set it reads through Task.evaluation_set
    evaluation_splits: tuple[str, ...] = ("validation", "test")
    retrieval: RetrievalConfig = RetrievalConfig()
    smoke_languages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # fixture langs per task
    # a task not in `smoke_languages`: its first `default_languages` languages, English first (0: all of them)
    default_languages: int = 0
    # phase (iii) of a target task not in `target` (None: such a task is an error naming the fix)
    target_default: TrainConfig | None = None
    fixture_sizes: Mapping[str, int] = field(default_factory=dict)  # rows per fixture split
    bf16: bool = False
    eval_batch_size: int = 64
    is_evidence: bool = True                 # False: verdicts say nothing about the paper
    intermediate_tasks: tuple[str, ...] = INTERMEDIATE_TASKS  # the nine of the paper, in its order
    # multi-task phase (ii): the mixture's own optimisation, without and with MLM in the mixture
    mixture: TrainConfig | None = None
    mixture_with_mlm: TrainConfig | None = None
    # Single-task training in batches of similar lengths (transformers' LengthGroupedSampler)
    # instead of random batches: less padding, but another data order, so other results.  It
    # enters the run identity; off on both profiles (docs/throughput.md).
    length_grouped: bool = False
    # the folder of a `--tokenizer` for the tiny model (its fingerprint is TinyModel.tokenizer)
    tokenizer_dir: str | None = None
    # looks (chains per configuration) and alpha spending fixed before the first run (docs/statistics.md §8); None: one look
    sequential: SequentialDesign | None = None

    def with_tokenizer(self, folder: str, fingerprint: str) -> "Profile":
        """The same profile whose tiny model uses the tokenizer in `folder` (content `fingerprint`);
        ValueError for a hub model, which keeps its own tokenizer."""
        if not isinstance(self.model, TinyModel):
            raise UsageError(f"--tokenizer {folder}: profile {self.name!r} uses its model's own tokenizer "
                             f"({self.model}); --tokenizer is for the tiny model of smoke and rehearsal")
        return replace(self, model=replace(self.model, tokenizer=fingerprint), tokenizer_dir=str(folder))

    def has_config(self, phase: str, task: str) -> bool:
        """True when `task` has a configuration in phase "intermediate" or "target" (a default counts)."""
        try:
            self.train_config(phase, task)
        except KeyError:
            return False
        return True

    def train_config(self, phase: str, task: str) -> TrainConfig:
        """The configuration of `task` in phase "intermediate" or "target" (the profile's `target_default`
        for a target task without one of its own)."""
        table = self.intermediate if phase == "intermediate" else self.target
        if task in table:
            return table[task]
        if phase == "target" and self.target_default is not None:
            return self.target_default
        raise MissingConfig(f"profile {self.name!r} has no {phase} configuration for task {task!r}; add one to "
                       f"Profile.{phase} in repro/profiles.py (configured: {', '.join(sorted(table))})")

    def fixture_languages(self, task: str, languages: tuple[str, ...]) -> tuple[str, ...]:
        """The languages of `task` (whose languages are `languages`) this profile evaluates: its
        `smoke_languages` entry, else the first `default_languages` of them with English first (0: all)."""
        if task in self.smoke_languages:
            return tuple(self.smoke_languages[task])
        if not self.default_languages:
            return tuple(languages)
        english_first = sorted(languages, key=lambda lang: lang != "en")  # stable: the others keep their order
        return tuple(english_first[:self.default_languages])

    def mixture_config(self, tasks) -> TrainConfig:
        """The shared optimisation of a multi-task phase (ii) on `tasks` (the MLM one if `mlm` is in it)."""
        name, config = (("mixture_with_mlm", self.mixture_with_mlm) if "mlm" in tasks
                        else ("mixture", self.mixture))
        if config is None:
            raise MissingConfig(f"profile {self.name!r} has no {name} configuration for the multi-task run on "
                           f"{', '.join(tasks)}; set Profile.{name}")
        return config

    def with_tydiqa_training(self, languages: str) -> "Profile":
        """The same profile with TyDiQA-GoldP trained on `languages`: "en" (English only) or "all"."""
        if languages not in TRAIN_LANGUAGES:
            raise UsageError(f"TyDiQA-GoldP training languages must be one of {', '.join(TRAIN_LANGUAGES)}, "
                             f"got {languages!r} (from {TYDIQA_TRAIN_ENV}?)")
        if "tydiqa" not in self.target:
            return self
        tydiqa = replace(self.target["tydiqa"], train_languages=languages)
        return replace(self, target=MappingProxyType({**self.target, "tydiqa": tydiqa}))

    def with_xnli_batch(self, effective: str) -> "Profile":
        """The same profile with XNLI's batches of 4 accumulated to `effective`: "32" (jiant's 4 x 8) or "4"."""
        if effective not in XNLI_BATCHES:
            raise UsageError(f"XNLI's effective batch must be one of {', '.join(XNLI_BATCHES)}, got {effective!r} "
                             f"(from {XNLI_BATCH_ENV}?)")
        if "xnli" not in self.target or self.target["xnli"].batch_size != 4:
            return self  # smoke's own recipe: nothing to read
        xnli = replace(self.target["xnli"], gradient_accumulation=XNLI_BATCHES[effective])
        return replace(self, target=MappingProxyType({**self.target, "xnli": xnli}))

    def with_seeds(self, n: int) -> "Profile":
        """The same profile with the first `n` seeds 1..n."""
        if n < 1:
            raise UsageError(f"need at least one seed, got {n}")
        return replace(self, seeds=tuple(range(1, n + 1)))


# --- smoke: tiny model, fixture data, a few seconds per run -------------------------------
_SMOKE_TRAIN = TrainConfig(learning_rate=5e-4, batch_size=16, epochs=3, max_length=64,
                           early_stopping_examples=64, patience=2)
# Phase (iii), a second or two per run: the claims need 7 trained targets x 2 seeds for each of
# 23 configurations, so smoke targets take one pass and a short early-stopping set.
_SMOKE_TARGET = replace(_SMOKE_TRAIN, batch_size=32, epochs=1, early_stopping_examples=32)
_SMOKE_TAGGING = _SMOKE_TARGET
# QA: windows 48 sub-words apart (about half of the ~80 a window holds), so long contexts get
# several windows; half the examples, as each gives several windows
_SMOKE_QA = replace(_SMOKE_TARGET, max_length=96, doc_stride=48, max_train_examples=128)

# Phase (ii), a few seconds per run on one CPU core: sentence(-pair) classification and CCG
# use the smoke recipe above (enough steps for the tiny model to pick up each fixture's rule);
# a multiple-choice example is 4-5 sequences and SQuAD's are long: fewer examples for those.
_SMOKE_INTERMEDIATE = {
    **{name: _SMOKE_TRAIN for name in ("anli_plus", "mnli", "qqp", "sst2", "ccg")},
    "squad": replace(_SMOKE_TRAIN, max_length=96, doc_stride=48, epochs=2),
    **{name: replace(_SMOKE_TRAIN, batch_size=8, epochs=2)
       for name in ("hellaswag", "cosmosqa", "commonsenseqa")},
}
_SMOKE_INTERMEDIATE["cosmosqa"] = replace(_SMOKE_INTERMEDIATE["cosmosqa"], max_length=96)  # its pairs run to 81

SMOKE = Profile(
    name="smoke",
    model=TinyModel(),
    data_source="fixture",
    intermediate=MappingProxyType(_SMOKE_INTERMEDIATE),
    target=MappingProxyType({"xnli": _SMOKE_TARGET, "pawsx": _SMOKE_TARGET, "udpos": _SMOKE_TAGGING,
                             "panx": _SMOKE_TAGGING, "xquad": _SMOKE_QA, "mlqa": _SMOKE_QA,
                             "tydiqa": _SMOKE_QA}),
    seeds=(1, 2),  # the fewest that estimate seed variance (1 df): smoke trains 23 configurations x 7 targets
    sequential=SequentialDesign((2, 3), spending="pocock", min_power=0.35),  # the round flow in small: 2, then 3
    # the tiny model has 2 layers: the middle one, as layer 14 is for XLM-R Large's 24
    retrieval=RetrievalConfig(layer=1, max_length=128, batch_size=128),
    smoke_languages=MappingProxyType({
        # a few languages per task, non-Latin scripts among them
        "xnli": ("en", "ru", "zh"),
        "pawsx": ("en", "de", "ja"),
        "udpos": ("en", "ar", "hi"),
        "panx": ("en", "ru", "ka"),
        "xquad": ("en", "el", "th"),
        "mlqa": ("en", "ar", "zh"),
        "tydiqa": ("en", "fi", "ko"),
        "bucc2018": ("de", "ru", "zh"),
        "tatoeba": ("de", "ar", "ja"),
    }),
    # a target task added to the registry gets these without an edit here: the first three of its
    # languages (English first) and the classification and tagging recipe
    default_languages=3,
    target_default=_SMOKE_TARGET,
    fixture_sizes=MappingProxyType({"train": 256, "validation": 64, "test": 64}),
    eval_batch_size=128,
    is_evidence=False,
)

# --- paper: XLM-R Large, arXiv v1 appendix A ---------------------------------------------
# Intermediate: lr 1e-5, 10% linear warmup, early stopping on the first 500 dev examples (the
# TrainConfig defaults); batch size / epochs from v1's table.  MNLI and SST-2 are not in it:
# MNLI gets ANLI+'s recipe (24/2), the other NLI task (itself a third of ANLI+); SST-2 gets QQP's
# (24/3), the other GLUE sentence classification task of similar size per step.
# Not stated: how often early stopping evaluates (every 1,000 steps here) and max lengths
# (128 as XTREME's classification and tagging, 384/128 for SQuAD as its QA; 256 for the
# paragraph-length contexts of HellaSwag and CosmosQA, 128 for CommonsenseQA's short questions).
def _inter(batch_size: int, epochs: float, **kwargs) -> TrainConfig:
    return TrainConfig(learning_rate=1e-5, batch_size=batch_size, epochs=epochs, eval_every_steps=1000, **kwargs)


_PAPER_INTERMEDIATE = {
    "anli_plus": _inter(24, 2),
    "mnli": _inter(24, 2),
    "qqp": _inter(24, 3),
    "squad": _inter(8, 3, max_length=384, doc_stride=128),
    "hellaswag": _inter(24, 7, max_length=256),
    "cosmosqa": _inter(4, 15, max_length=256),
    "commonsenseqa": _inter(4, 10),
    "ccg": _inter(24, 15),
    "sst2": _inter(24, 3),
}
# Target: lr 3e-6, same optimisation; XNLI trains on MNLI for 2 epochs in batches of 4 with gradient
# accumulation 8 (effective 32): v1's table says "XNLI(MNLI) 4/2" where every other non-QA target says 32,
# and jiant's XTREME recipe runs every such target as 4 x accumulation 8 and QA as 4 x 4 = 16, the table's
# 16 (jiant/scripts/benchmarks/xtreme/subscripts/e_run_models.sh).  A declared reading of the table;
# REPRO_XNLI_BATCH=4 takes it literally (about 196k optimiser steps a run instead of 24.5k).
# PAWS-X 32/5, POS 32/10, NER 32/10, XQuAD and MLQA (on SQuAD) 16/2, TyDiQA 16/2 (v1 App. A). Max lengths are not
# stated: XTREME's sample code uses 128 for classification and tagging, 384 with stride 128 for QA (its defaults).
_PAPER_QA = TrainConfig(learning_rate=3e-6, batch_size=16, epochs=2, eval_every_steps=1000,
                        max_length=384, doc_stride=128)
_PAPER_TARGET = {
    "xnli": TrainConfig(learning_rate=3e-6, batch_size=4, gradient_accumulation=8, epochs=2, eval_every_steps=1000),
    "pawsx": TrainConfig(learning_rate=3e-6, batch_size=32, epochs=5, eval_every_steps=1000),
    "udpos": TrainConfig(learning_rate=3e-6, batch_size=32, epochs=10, eval_every_steps=1000),
    "panx": TrainConfig(learning_rate=3e-6, batch_size=32, epochs=10, eval_every_steps=1000),
    "xquad": _PAPER_QA, "mlqa": _PAPER_QA,
    # TyDiQA-GoldP trains on its English GoldP training set, as the paper states: its facts give the training
    # size as 3,696 (the English GoldP train) and have PAWS-X, UDPOS, PAN-X and TyDiQA train on "their own
    # English training sets" (shared/paper/README.md); jiant's downloader that writes every language into
    # the train file (jiant/scripts/download_data/dl_datasets/xtreme.py) postdates v1.
    # REPRO_TYDIQA_TRAIN=all trains on every language's GoldP training data, the declared alternative.
    "tydiqa": _PAPER_QA,
}

PAPER = Profile(
    name="paper",
    model="FacebookAI/xlm-roberta-large",
    data_source="hub",
    intermediate=MappingProxyType(_PAPER_INTERMEDIATE),
    target=MappingProxyType(_PAPER_TARGET),
    # the paper states no seed count.  The first round is the design's first look, 2 chains: the fewest that
    # estimate the seed variance (1 df, t quantile 12.7), a look that mostly decides who goes on
    seeds=(1, 2),
    # looks at 2 (above), 4, 6, 10 chains, Pocock-type spending; a part still open goes on for a predictive power
    # >= 0.2 of "reproduced" or >= 0.6 of "not reproduced"; reach: the share of parts at each look, later_share:
    # the share of a chain's runs a later look extends, both from `benchmarks/sequential.py --quick`
    # (docs/statistics.md §8)
    sequential=SequentialDesign((2, 4, 6, 10), spending="pocock", futility="split", min_power=0.2,
                                min_refute_power=0.6, reach=(1.0, 0.637, 0.328, 0.147),
                                later_share=(0.908, 0.84, 0.813)),
    bf16=True,
    eval_batch_size=64,
    retrieval=RetrievalConfig(layer=14, max_length=512),
)

# --- multi-task, MLM and translated intermediate data (repro.multitask) ----------------------
def _with_mixtures(profile: Profile, *, mlm: TrainConfig, mixture: TrainConfig,
                   mixture_with_mlm: TrainConfig) -> Profile:
    """`profile` with `mlm`, a `<task>_translated` entry per intermediate task (the task's own
    configuration: its rows are a sample of its size over languages) and the mixtures."""
    translated = {f"{name}_translated": config for name, config in profile.intermediate.items()}
    return replace(profile, intermediate=MappingProxyType({**profile.intermediate, **translated, "mlm": mlm}),
                   mixture=mixture, mixture_with_mlm=mixture_with_mlm)


# smoke: an MLM corpus of 256 fixture sentences (+ early_stopping_examples held out); the
# mixture 2 passes over the capped total, with MLM at half the learning rate (as 5e-6 is to 1e-5).
SMOKE = _with_mixtures(SMOKE, mlm=replace(_SMOKE_TRAIN, max_train_examples=256),
                       mixture=replace(_SMOKE_TRAIN, epochs=2),
                       mixture_with_mlm=replace(_SMOKE_TRAIN, epochs=2, learning_rate=_SMOKE_TRAIN.learning_rate / 2))
# paper (v1 App. A): MLM "8/-": batch 8, lr 5e-6, 2M Wikipedia sentences over the 40 XTREME
# languages (+ 500 held out for early stopping), max length not stated (128, as classification).
# The mixture, "multi-task mixed/3": every task at its own batch size (`batch_size` here is
# unused), 3 passes over the capped total, lr 1e-5, or 5e-6 with MLM; 10% warmup; early stopping.
# With MLM mixed in, `epochs` is not the length: the tasks get the examples they get without MLM
# (a single task its own epochs) and MLM adds its batches (repro.mixture.mixture_length).
_PAPER_MIXTURE = TrainConfig(learning_rate=1e-5, batch_size=24, epochs=3, eval_every_steps=1000)
PAPER = _with_mixtures(PAPER, mlm=TrainConfig(learning_rate=5e-6, batch_size=8, epochs=1, eval_every_steps=1000,
                                              max_train_examples=2_000_000),
                       mixture=_PAPER_MIXTURE, mixture_with_mlm=replace(_PAPER_MIXTURE, learning_rate=5e-6))


# --- rehearsal: the paper's run graph and protocol on the tiny model, rows from the hub stand-in ------
def scaled_layer(layer: int, model_layers: int, to_layers: int) -> int:
    """The layer at the same relative depth of a `to_layers`-layer model (at least 1)."""
    return max(1, round(layer * to_layers / model_layers))


def rehearsal_of(paper: Profile, sizes: Mapping[str, int]) -> Profile:
    """`paper` as it decides what data is read and how (claims, targets, every language, splits,
    seeds, optimisation and early-stopping rules, max lengths, QA windows), with the tiny model
    and `sizes` synthetic rows per split from the hub stand-in (repro.data), which refuses what
    the hub would.  Only what cannot be tiny otherwise changes: the MLM corpus and its held-out
    set take the stand-in's sizes, the retrieval layer keeps its relative depth, and runs are fp32:
    bf16 is a GPU setting, and on a CPU without bf16 instructions (the 2-core machines the rehearsal
    runs on) autocast emulates it, 3-4x slower on the encoder and 10x on XLM-R's 250,002-piece LM
    head (docs/data.md); `tests/test_protocol_training.py` trains a bf16 run on the CPU instead."""
    model = TinyModel(max_positions=514)  # room for the paper's longest inputs (retrieval: 512 tokens)
    mlm = replace(paper.intermediate["mlm"], max_train_examples=sizes["train"],
                  early_stopping_examples=sizes["validation"])
    return replace(paper, name="rehearsal", model=model, data_source="rehearsal",
                   intermediate=MappingProxyType({**paper.intermediate, "mlm": mlm}),
                   fixture_sizes=MappingProxyType(dict(sizes)), is_evidence=False, eval_batch_size=128, bf16=False,
                   # XLM-R Large's hidden_states[14] of 24 layers (jiant retrieval_layer)
                   retrieval=replace(paper.retrieval, layer=scaled_layer(paper.retrieval.layer, 24, model.num_layers)))


REHEARSAL = rehearsal_of(PAPER, {"train": 32, "validation": 16, "test": 16})

PROFILES = MappingProxyType({p.name: p for p in (SMOKE, PAPER, REHEARSAL)})


def get_profile(name: str | None = None) -> Profile:
    """The profile called `name`, else `$REPRO_PROFILE`, else `smoke`; `$REPRO_TYDIQA_TRAIN` ("en" or
    "all") overrides its TyDiQA-GoldP training languages, `$REPRO_XNLI_BATCH` ("32" or "4") XNLI's batch."""
    name = name or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
    try:
        profile = PROFILES[name]
    except KeyError:
        raise UnknownProfile(f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)} "
                       f"(with --profile or {PROFILE_ENV})") from None
    tydiqa, xnli = os.environ.get(TYDIQA_TRAIN_ENV), os.environ.get(XNLI_BATCH_ENV)
    profile = profile.with_tydiqa_training(tydiqa) if tydiqa else profile
    return profile.with_xnli_batch(xnli) if xnli else profile

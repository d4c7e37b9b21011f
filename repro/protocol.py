"""The protocol as data: every choice the suite makes, its source, and where it departs from the paper
(the authors' jiant pipeline, Phang et al. 2020) or from XTREME (Hu et al. 2020).

The report's Methods section is rendered from `CHOICES` (`methods`).  A change to the protocol adds
or edits its row here, with the source of every fact; `item` names the work item that introduced it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

PAPER, XTREME = "paper", "XTREME"


@dataclass(frozen=True)
class Choice:
    """One protocol choice.  `deviates_from` lists PAPER and/or XTREME where the suite does otherwise,
    `why` says why; `setting` names where it is changed (a profile field, an environment variable)."""

    topic: str
    choice: str
    source: str
    deviates_from: tuple[str, ...] = ()
    why: str = ""
    setting: str = ""
    item: str = ""

    def __post_init__(self):
        unknown = sorted(set(self.deviates_from) - {PAPER, XTREME})
        if unknown:
            raise ValueError(f"protocol choice {self.topic!r}: deviates_from takes {PAPER!r} and {XTREME!r}, "
                             f"got {unknown}")
        if self.deviates_from and not self.why:
            raise ValueError(f"protocol choice {self.topic!r} deviates from {', '.join(self.deviates_from)}: "
                             "say why in `why`")


CHOICES: tuple[Choice, ...] = (
    # --- training (phases ii and iii) ---------------------------------------------------------
    Choice("hyperparameters", "learning rate, batch size and epochs per task as v1's appendix A; "
           "MNLI and SST-2, absent from it, take ANLI+'s and QQP's recipes",
           "Phang et al. 2020 v1 App. A (repro/profiles.py)", setting="Profile.intermediate / Profile.target"),
    Choice("optimiser", "AdamW, linear schedule, 10% warmup, weight decay 0.01 except biases and LayerNorm "
           "weights", "jiant/shared/model_setup.py (weight decay 0.01, no decay for bias / LayerNorm); "
           "v1 App. A (warmup)", setting="TrainConfig.weight_decay", item="4k"),
    Choice("early stopping", "evaluate every 1,000 steps on 500 English dev examples, stop after 30 evaluations "
           "without a new best, keep the best checkpoint; the best and stopping steps are in train_log.json. "
           "Phase (ii) the same: the paper states early stopping there but not its interval or patience",
           "v1 App. A (early stopping on the first 500 dev examples of each task); "
           "jiant/scripts/benchmarks/xtreme/subscripts/e_run_models.sh (--eval_every_steps 1000 "
           "--no_improvements_for_n_evals 30); jiant/proj/main/metarunner.py (load the best model)",
           setting="TrainConfig.eval_every_steps / patience / early_stopping_examples", item="4a"),
    Choice("early stopping in warmup", "an evaluation during the learning-rate warmup never counts towards "
           "the patience", "this suite (repro/early_stopping.py)", deviates_from=(PAPER,),
           why="jiant counts every evaluation (jiant/proj/main/metarunner.py); with a patience of 30 evaluations "
               "(30,000 steps) that differs only where warmup is longer, and no paper run's is (XNLI's MNLI at an "
               "effective batch of 32 warms up for about 2,450 steps, about 19,600 at a literal batch of 4), so the "
               "rule guards shorter patiences",
           item="4a"),
    Choice("non-finite training loss", "training stops at the first logged loss that is not a finite number (the "
           "Trainer's filter that would hide it is off), keeps the best checkpoint and records the step in "
           "train_log.json (non_finite_loss); the report lists such runs", "this suite (repro/divergence.py)",
           deviates_from=(PAPER,),
           why="jiant trains on for the patience (30 evaluations of 1,000 steps) and restores the best checkpoint; "
               "once the weights are not numbers every later model predicts alike and never becomes the best, so "
               "the kept model is the same and only the wasted steps go; a loss that overflows while the weights "
               "stay finite would stop here and train on there",
           item="4a"),
    Choice("mixture early-stopping score", "the mean of every task's dev score on its 0-100 scale; MLM's is the "
           "accuracy on the masked tokens of its held-out sentences", "this suite (repro/multitask.py, "
           "repro/tasks/mlm.py dev_score); jiant/tasks/evaluate/core.py (MLM: major metric -perplexity)",
           deviates_from=(PAPER,),
           why="jiant averages the tasks' major metrics, accuracies on a 0-1 scale and MLM's negative perplexity "
               "(unbounded, a few points for XLM-R), so a change of 0.1 in perplexity weighs as much as 10 accuracy "
               "points of every other task: its mixture early-stops almost on MLM alone. The suite keeps every task "
               "on one bounded scale so that each counts alike in the mean", item="24.7"),
    Choice("output heads", "transformers' heads, fresh in every phase: sentence(-pair) classification a dense + tanh "
           "+ linear head on <s>; multiple choice the pooler (dense + tanh) and a linear scorer; tagging and QA a "
           "linear layer on each token", "transformers XLMRobertaForSequenceClassification / ForMultipleChoice / "
           "ForTokenClassification / ForQuestionAnswering; jiant/proj/main/modeling/heads.py (ClassificationHead "
           "on the encoder's pooled output)", deviates_from=(PAPER,),
           why="jiant puts its classification head (dense + tanh + linear, from RoBERTa's) on the encoder's pooled "
               "output, one dense + tanh layer (the pooler) more than transformers' sequence-classification head; "
               "the suite uses one head family, transformers', for every format; both are freshly initialised "
               "in every phase, as the paper says", item="24.7"),
    Choice("ANLI+ early-stopping rows", "the 500 dev rows are drawn at random (fixed seed) from every part "
           "(ANLI R1-R3, MNLI, SNLI) in proportion to its size; a single dataset uses its first 500 rows",
           "v1 App. A ('early stopping on the first 500 dev examples of each task'); the order of ANLI+'s "
           "concatenated dev set is not stated; repro/early_stopping.py", deviates_from=(PAPER,),
           why="in this suite's order (ANLI R1-R3, MNLI, SNLI) the first 500 rows are all ANLI R1, which would "
               "early-stop a model trained on every part on one of them; a sample from every part estimates the "
               "whole dev set",
           item="4k"),
    Choice("precision", "bf16 mixed precision on the paper profile; part of the run identity and env.json",
           "this suite (Profile.bf16, RunSpec.bf16)", deviates_from=(PAPER,),
           why="the paper does not state its precision (jiant's runscript trains in fp32 unless --fp16 is given); bf16 "
               "halves the GPU-hours, and as it changes numbers a bf16 run never stands in for an fp32 one",
           setting="Profile.bf16", item="4k"),
    Choice("TyDiQA-GoldP training data", "the English GoldP training set (3,696 questions), as XTREME",
           "the paper's facts: TyDiQA's training size 3,696 (the English GoldP train) and the targets train on "
           "'their own English training sets' (shared/paper/README.md); jiant's downloader that writes every "
           "language into the train file (jiant/scripts/download_data/dl_datasets/xtreme.py) postdates v1",
           setting="REPRO_TYDIQA_TRAIN=all (TrainConfig.train_languages)", item="24.6"),
    Choice("XNLI batch size", "batches of 4 with gradient accumulation 8: an effective batch of 32, as every other "
           "sentence-level target; QA 16 as printed", "a reading of v1 App. A ('XNLI(MNLI) 4/2' where PAWS-X, POS "
           "and NER say 32): jiant's XTREME recipe runs every non-QA target as 4 x gradient accumulation 8 and QA "
           "as 4 x 4 = 16, the table's 16 (jiant/scripts/benchmarks/xtreme/subscripts/e_run_models.sh)",
           setting="REPRO_XNLI_BATCH=4 (TrainConfig.gradient_accumulation)", item="24.5"),
    Choice("maximum lengths", "128 sub-words for classification and tagging, 384 with windows for QA",
           "XTREME run_classify.py / run_tag.py / run_squad.py defaults; jiant c_tokenize_and_cache.sh (256)",
           deviates_from=(PAPER,),
           why="the paper states none; jiant's XTREME scripts use 256 for classification and tagging, XTREME "
               "128, which halves the cost of every sentence-level run", setting="TrainConfig.max_length"),
    Choice("seeds", "three replicates per configuration, each a whole chain: replicate r is the phase-(ii) run with "
           "seed r, the phase-(iii) runs with seed r on it and its BUCC and Tatoeba runs; the baseline's is phase "
           "(iii) with seed r from the pretrained model; intervals over examples and chains",
           "this suite (docs/statistics.md: the estimand is the procedure, averaged over phase-(ii) and phase-(iii) "
           "randomness)", deviates_from=(PAPER,),
           why="the paper reports one run per cell and no intervals", setting="--seeds", item="24.1"),
    Choice("one training for dev and test", "a target run trains once and predicts every evaluation set (dev and "
           "test, each language); the claim's split only chooses which predictions are read, so claim 5's model "
           "chosen on dev is the model measured on test", "jiant's runscript (--do_val and test prediction from "
           "one trained model: jiant/scripts/benchmarks/xtreme/subscripts/e_run_models.sh)", item="24.2"),
    # --- evaluation ---------------------------------------------------------------------------
    Choice("evaluation sets", "a claim's 'test' reads each target's XTREME evaluation set: XNLI, PAWS-X, UDPOS, "
           "PAN-X and MLQA test; XQuAD, TyDiQA-GoldP and Tatoeba their one set (the hub's validation); BUCC the "
           "training gold; 'validation' reads the dev sets (BUCC: the sample set)",
           "google/xtreme dataset card (splits); Hu et al. 2020; google-research/xtreme#13 (BUCC)",
           setting="Task.evaluation_sets", item="4b"),
    Choice("BUCC on test", "the threshold is the best-F1 cut on the sample (dev) set, applied to the training-gold "
           "(test) set", "XTREME (bucc_optimize on dev, applied to test)", item="4d"),
    Choice("BUCC on dev", "a claim's 'validation' measures the sample set at the cut that is best on its own gold "
           "(labelled threshold_from in metrics.json): the paper's Table 2 BUCC cells, an optimistic figure (XLM-R: "
           "71.5 dev against 64.5 test in v1)", "jiant/tasks/evaluate/core.py (Bucc2018EvaluationScheme: the "
           "validation metric picks its threshold on the same set); v1 Table 2 and XTREME block",
           deviates_from=(XTREME,),
           why="the paper's dev figures were measured so; XTREME never measures where its threshold was chosen. The "
               "bias is alike for every configuration and the baseline, and claim 5 chooses on it and measures on "
               "test", item="24.4"),
    Choice("best model per target, one evaluation set", "on XQuAD, TyDiQA-GoldP and Tatoeba the best "
           "configuration is chosen on one half of the units (a hash of their ids) and measured on the other",
           "this suite (repro/comparators.py)", deviates_from=(PAPER,),
           why="these targets have one set for both roles: choosing and measuring on the same examples inflates "
               "the best model's score (winner's curse)", item="4d"),
    Choice("claim 5 pool", "each target's best model is chosen on dev among every configuration the suite trains for "
           "the other claims: the nine single tasks, each with MLM, and the nine-task multi-task; not the "
           "no-intermediate baseline (the paper chooses among intermediate-task models) nor the translated "
           "configurations (absent from v1, whose block is the one readable; nothing readable puts them in the "
           "final version's choice)",
           "v1's XTREME block ('best intermediate-task model per target task', from every configuration v1 trained, "
           "with MLM: its POS 74.4 and NER +0.8 exist only with MLM); the final version adds the nine-task "
           "multi-task (seed claim 2); shared/paper/README.md", item="24.3"),
    Choice("claim 5 comparator", "the best models' XTREME score against the published XLM-R scores as a constant "
           "(interval from the best models alone); the gain over the suite's own XLM-R run is reported beside it",
           "Phang et al. 2020 v1 XTREME block (+6.1 against Hu et al. 2020, +8.1 against the authors' run); "
           "repro/paper/v1-xtreme-scores.csv", item="4c"),
    # --- data processing -----------------------------------------------------------------------
    Choice("QA windows", "doc_stride (128 on paper) is the step between window starts over the context's "
           "sub-words; a span's start counts only in the window where that token has the most context "
           "(min(left, right) + 0.01 x window length)", "XTREME third_party/processors/squad.py "
           "(squad_convert_example_to_features, _new_check_is_max_context; commit 838c13b); jiant "
           "templates/squad_style/utils.py", deviates_from=(XTREME,),
           why="the context is tokenised whole by the fast tokenizer, not word by word; windows start at the "
               "same sub-word steps", setting="TrainConfig.doc_stride", item="4e"),
    Choice("QA answer offsets", "a training row's first answer must sit at answer_start; a moved offset is "
           "repaired to the text's nearest occurrence, a row whose text is not in its context is dropped; "
           "both counted in train_log.json (train_rows)", "XTREME squad_convert_example_to_features skips "
           "a training example whose answer is not at its offset", deviates_from=(XTREME,),
           why="the hub's loaders strip contexts, which moves offsets; repairing keeps those rows where XTREME "
               "would drop them", item="4j"),
    Choice("tagging words without sub-words", "a word with no sub-words (or more than a sequence holds) becomes "
           "the unknown token and is trained on and scored; long training sentences are split at word "
           "boundaries as evaluation's, not cut", "XTREME third_party/utils_tag.py (unk_token for a word with "
           "no pieces), utils_preprocess.py panx_tokenize_preprocess", deviates_from=(XTREME,),
           why="chunks hold max length - 2 sub-words (XTREME: - 3), and empty words also become the unknown "
               "token", item="4i"),
    Choice("multi-task mixtures with MLM", "a task + MLM mixture lasts as many batches as give each task the "
           "examples it sees without MLM (a single task its own epochs; a multi-task run its share of the 3 "
           "passes); MLM rides along at its sampling rate", "v1 App. A ('MLM 8/-', 'multi-task mixed/3': no "
           "length for task + MLM runs)", deviates_from=(PAPER,),
           why="the paper states no length for these runs; matched examples keep mlm-no-gain from comparing MLM "
               "against less training (3 passes over the capped total gave ANLI+ about half an epoch)",
           setting="repro.mixture.mixture_length", item="4g"),
    Choice("MLM corpus", "wikimedia/wikipedia dump 20231101; every article split into sentences once, "
           "languages weighted by sentence counts n_l^0.3, sentences drawn uniformly from the whole dump",
           "v1 App. A (alpha 0.3, 2M sentences, 40 languages); wikimedia/wikipedia card (newest dump "
           "2023-11-01)", deviates_from=(PAPER,),
           why="the paper names neither its dump nor its sentence splitter", setting="repro.tasks.mlm."
               "WIKIPEDIA_DUMP", item="4h"),
    # --- batching -------------------------------------------------------------------------------
    Choice("prediction batches", "evaluation and retrieval embedding in length-sorted batches, outputs restored "
           "to input order", "docs/throughput.md (predictions identical to unsorted, tests/test_batching.py)"),
    Choice("training batches", "random batches padded to their longest sequence; length-grouped batches are an "
           "option, off on every profile", "docs/throughput.md", setting="Profile.length_grouped"),
)


def methods(*, tydiqa_train: str = "en", xnli_batch: int = 32) -> list[dict]:
    """The Methods rows as plain dicts; `tydiqa_train` ("en" or "all") and `xnli_batch` (XNLI's effective
    batch, 32 or 4) are the profile's settings."""
    rows = []
    for c in CHOICES:
        if c.topic == "TyDiQA-GoldP training data" and tydiqa_train == "all":
            c = replace(c, choice="every language's GoldP training data (about 49.9k questions), as jiant's "
                                  "downloader wrote it", deviates_from=(PAPER, XTREME),
                        why="chosen with REPRO_TYDIQA_TRAIN=all; the paper states the English GoldP set (3,696) "
                            "and XTREME's zero-shot protocol trains on English only")
        if c.topic == "XNLI batch size" and xnli_batch != 32:
            c = replace(c, choice=f"batches of 4, no gradient accumulation (effective {xnli_batch}): v1's table "
                                  "read literally", deviates_from=(PAPER,),
                        why="chosen with REPRO_XNLI_BATCH=4; the authors' jiant recipe accumulates 8 batches of 4")
        rows.append(asdict(c) | {"deviates_from": list(c.deviates_from)})
    return rows


def deviations(rows: list[dict], reference: str) -> list[dict]:
    """The rows that deviate from `reference` (PAPER or XTREME)."""
    return [r for r in rows if reference in r["deviates_from"]]

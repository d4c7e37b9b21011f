"""The training protocol as the authors ran it: early stopping, weight decay, dev rows, bf16, TyDiQA data."""
import dataclasses
from dataclasses import replace
from types import MappingProxyType, SimpleNamespace

import numpy as np
import pytest
from datasets import Dataset

from repro import plan
from repro.data import DataSource
from repro.early_stopping import PatientEarlyStopping, early_stopping_rows, part_shares
from repro.engine import INTERMEDIATE_DATA_SEED, Engine
from repro.models import fixture_tokenizer
from repro.profiles import PAPER, SMOKE, TYDIQA_TRAIN_ENV, XNLI_BATCH_ENV, TrainConfig, get_profile
from repro.spec import RunSpec
from repro.store import RunStore
from repro.tasks import get_task


# --- early stopping: jiant's rule, never during warmup ---------------------------------------
def _callback_run(scores, *, patience, warmup, every=10, max_steps=10_000):
    """Feed evaluation scores every `every` steps; the step training stopped at (None: never)."""
    cb = PatientEarlyStopping(patience)
    args = SimpleNamespace(metric_for_best_model="score", get_warmup_steps=lambda n: warmup)
    state = SimpleNamespace(global_step=0, max_steps=max_steps)
    cb.on_train_begin(args, state, None)
    for i, score in enumerate(scores, 1):
        state.global_step = i * every
        control = SimpleNamespace(should_training_stop=False)
        cb.on_evaluate(args, state, control, metrics={"eval_score": score})
        if control.should_training_stop:
            break
    cb.on_train_end(args, state, None)
    return cb


def test_evaluations_during_warmup_never_stop_training():
    # a score falling through a warmup of 100 steps (10 evaluations), then a new best at step 110
    cb = _callback_run([50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 60, 59, 58, 57], patience=3, warmup=100)
    assert cb.best_step == 110 and cb.best_score == 60
    assert cb.stopped_step == 140 and cb.stopped_early  # three evaluations past the best, all after warmup
    late = _callback_run([50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 40, 40, 60], patience=3, warmup=100)
    assert late.best_step == 10 and late.stopped_step == 130  # the count starts once warmup is over


def test_patience_counts_evaluations_without_a_new_best_after_warmup():
    # past warmup, ties are no improvement (the Trainer keeps the first best as well)
    cb = _callback_run([10, 20, 20, 19, 18, 17], patience=4, warmup=0)
    assert cb.best_step == 20 and cb.stopped_step == 60 and cb.stopped_early
    never = _callback_run([10, 20, 20, 19], patience=30, warmup=0)
    assert never.stopped_step == 40 and not never.stopped_early and never.summary()["patience"] == 30


def test_patience_must_be_a_whole_positive_number():
    with pytest.raises(ValueError, match="patience .* got 0"):
        PatientEarlyStopping(0)


def test_profiles_stop_as_jiant_and_decay_weights_as_jiant():
    # jiant e_run_models.sh: --eval_every_steps 1000 --no_improvements_for_n_evals 30;
    # jiant/shared/model_setup.py: weight decay 0.01
    for phase in (PAPER.intermediate, PAPER.target):
        for name, config in phase.items():
            assert config.patience == 30 and config.weight_decay == 0.01, name
            assert config.eval_every_steps == 1000, name
    assert PAPER.mixture.patience == 30 and PAPER.mixture.weight_decay == 0.01
    assert all(c.weight_decay == 0.01 for c in SMOKE.target.values())


def test_a_training_run_logs_its_best_and_stopping_steps(quick_engine, quick_profile):
    spec = plan.target_spec(quick_profile, quick_engine.data, "xnli", intermediate=None, seed=1)
    run = quick_engine.ensure(spec)
    log = run.read_json("train_log.json")["early_stopping"]
    assert log["stopped_step"] == run.read_json("train_log.json")["steps"] > 0
    assert 0 < log["best_step"] <= log["stopped_step"] and log["warmup_steps"] >= 1
    assert run.read_json("env.json")["bf16"] is False
    args = quick_engine.training_args(spec, quick_profile.target["xnli"], run.path)
    assert args.weight_decay == 0.01 and args.bf16 is False
    assert "non_finite_loss" not in run.read_json("train_log.json")
    assert args.logging_nan_inf_filter is False  # a non-finite step loss is logged as it is


# --- a loss that is no longer a number stops training, and is recorded --------------------------
def test_a_non_finite_loss_stops_training_where_it_is_logged(tmp_path, monkeypatch, caplog):
    """From step 5 on the loss is NaN (and so are the weights after its step): the log at step 6 is NaN,
    training stops there instead of going on for its patience, and train_log.json and a warning say so."""
    from transformers import Trainer

    every_two = replace(SMOKE.target["xnli"], epochs=1, eval_every_steps=2, patience=30, early_stopping_examples=32)
    sizes = MappingProxyType({"train": 256, "validation": 32, "test": 32})  # 8 steps of 32
    profile = replace(SMOKE, seeds=(1,), target=MappingProxyType({"xnli": every_two}), fixture_sizes=sizes,
                      smoke_languages=MappingProxyType({"xnli": ("en",)}))
    original = Trainer.compute_loss

    def poisoned(self, model, inputs, return_outputs=False, **kwargs):
        out = original(self, model, inputs, return_outputs=return_outputs, **kwargs)
        if model.training and self.state.global_step >= 4:
            return (out[0] * float("nan"), *out[1:]) if return_outputs else out * float("nan")
        return out
    monkeypatch.setattr(Trainer, "compute_loss", poisoned)
    engine = Engine(RunStore(tmp_path / "store"), DataSource("fixture", fixture_sizes=sizes), profile)
    spec = plan.target_spec(profile, engine.data, "xnli", intermediate=None, seed=1)
    with caplog.at_level("WARNING", logger="repro.divergence"):
        run = engine.ensure(spec)
    log = run.read_json("train_log.json")
    assert log["non_finite_loss"] == {"step": 6, "loss": "nan", "last_finite_step": 4}
    assert log["steps"] == 6 and log["early_stopping"]["max_steps"] == 8  # two steps not trained
    assert any("step 6 is nan" in r.getMessage() and spec.slug in r.getMessage() for r in caplog.records)
    assert run.read_json("metrics.json")["xnli"]  # the run is stored, with the best checkpoint's predictions


def test_the_non_finite_loss_stop_reads_only_the_logged_loss():
    from repro.divergence import NonFiniteLossStop
    cb, state = NonFiniteLossStop("r"), SimpleNamespace(global_step=0, log_history=[{"loss": 2.0, "step": 1}])
    for step, logs in ((2, {"loss": 1.5}), (3, {"eval_score": float("nan")}), (4, {"loss": float("inf")}),
                       (6, {"loss": float("nan")})):
        state.global_step, control = step, SimpleNamespace(should_training_stop=False)
        state.log_history.append({**logs, "step": step})  # the Trainer appends, then calls on_log
        cb.on_log(None, state, control, logs=logs)
        assert control.should_training_stop is (step == 4)
    assert cb.summary() == {"step": 4, "loss": "inf", "last_finite_step": 2}
    # an attempt resumed from step 1000 whose first log is non-finite: the finite step is the first attempt's
    resumed = NonFiniteLossStop("r")
    state = SimpleNamespace(global_step=2000,
                            log_history=[{"loss": 2.0, "step": 1000}, {"loss": float("nan"), "step": 2000}])
    resumed.on_log(None, state, SimpleNamespace(should_training_stop=False), logs={"loss": float("nan")})
    assert resumed.summary()["last_finite_step"] == 1000
    assert NonFiniteLossStop().summary() is None


# --- early-stopping dev rows from every part --------------------------------------------------
def test_part_shares_are_proportional_and_sum_to_n():
    sizes = [1000, 1000, 1200, 9815, 9842]  # ANLI R1-R3 dev, MNLI matched dev, SNLI dev
    shares = part_shares(sizes, 500)
    assert shares.sum() == 500 and np.all(shares >= 1)
    assert np.allclose(shares, 500 * np.array(sizes) / sum(sizes), atol=1)
    assert part_shares([5, 100_000], 10).tolist() == [1, 9]  # every part gets a row


def test_early_stopping_rows_draw_from_every_part_of_anli_plus():
    parts = [Dataset.from_dict({"x": [f"{p}{i}" for i in range(n)]}) for p, n in (("a", 300), ("m", 900), ("s", 900))]
    rows = early_stopping_rows(parts, 100, seed=0)["x"]
    counts = {p: sum(r.startswith(p) for r in rows) for p in "ams"}
    assert len(rows) == len(set(rows)) == 100 and counts == {"a": 14, "m": 43, "s": 43}
    assert early_stopping_rows(parts[:1], 100, seed=0)["x"] == [f"a{i}" for i in range(100)]  # one part: its first rows


def test_the_engine_stops_anli_plus_on_rows_of_anli_mnli_and_snli(tmp_path):
    data = DataSource("fixture", fixture_sizes=SMOKE.fixture_sizes)
    engine = Engine(RunStore(tmp_path), data, SMOKE)
    config = dataclasses.replace(SMOKE.intermediate["anli_plus"], early_stopping_examples=30)
    item = engine._load_task("anli_plus", config, fixture_tokenizer())
    premises = set(item.dev_raw["premise"])
    for part in get_task("anli_plus").parts:
        assert premises & set(data.load(part, "validation")["premise"]), part.name


# --- bf16 is part of a run's identity ---------------------------------------------------------
def test_a_bf16_run_trains_and_predicts_on_the_cpu(tmp_path, quick_profile):
    # the rehearsal runs fp32 (bf16 is emulated on CPUs), so the bf16 path of `paper` is tried here
    profile = dataclasses.replace(quick_profile, bf16=True, smoke_languages={"xnli": ("en", "zh")},
                                  fixture_sizes={"train": 32, "validation": 16, "test": 16})
    engine = Engine(RunStore(tmp_path), DataSource("fixture", fixture_sizes=profile.fixture_sizes), profile)
    spec = plan.target_spec(profile, engine.data, "xnli", intermediate=None, seed=1)
    run = engine.ensure(spec)
    assert spec.bf16 and run.read_json("env.json")["bf16"] is True
    assert engine.training_args(spec, profile.target["xnli"], run.path).bf16 is True
    metrics = run.read_json("metrics.json")["xnli"]
    assert {lang for split in metrics.values() for lang in split} == {"en", "zh"}
    assert all(0 <= m["accuracy"] <= 100 for split in metrics.values() for m in split.values())
    assert (run.path / "predictions" / "xnli" / "test" / "zh.jsonl").read_text().count("\n") == 16


def test_the_rehearsal_runs_fp32_and_paper_bf16():
    assert PAPER.bf16 and not get_profile("rehearsal").bf16


def test_bf16_enters_the_run_key():
    data = DataSource("hub")
    spec = plan.target_spec(PAPER, data, "xnli", intermediate=("mnli",), seed=1)
    assert spec.bf16 and spec.parent.bf16 and spec.to_dict()["bf16"] is True
    fp32 = plan.target_spec(dataclasses.replace(PAPER, bf16=False), data, "xnli", intermediate=("mnli",), seed=1)
    assert fp32.key != spec.key and fp32.parent.key != spec.parent.key
    assert RunSpec(kind="pretrained", base_model="m").key != RunSpec(kind="pretrained", base_model="m", bf16=True).key


# --- TyDiQA-GoldP training data: English (the paper's stated 3,696), every language one flag away ----
def test_tydiqa_trains_on_english_by_default_and_on_every_language_by_flag(monkeypatch, tmp_path):
    assert PAPER.target["tydiqa"].train_languages == "en" and SMOKE.target["tydiqa"].train_languages == "en"
    assert get_profile("paper").target["tydiqa"].train_languages == "en"
    monkeypatch.setenv(TYDIQA_TRAIN_ENV, "all")
    every_language = get_profile("paper")
    assert every_language.target["tydiqa"].train_languages == "all"
    assert every_language.target["xquad"] == PAPER.target["xquad"]
    monkeypatch.setenv(TYDIQA_TRAIN_ENV, "some")
    with pytest.raises(ValueError, match="TyDiQA-GoldP training languages must be one of en, all"):
        get_profile("paper")
    data = DataSource("fixture", fixture_sizes=SMOKE.fixture_sizes)
    engine = Engine(RunStore(tmp_path), data, SMOKE)
    task = get_task("tydiqa")
    every = engine._training_rows(task, TrainConfig(1e-5, 8, 1, train_languages="all"))
    only = engine._training_rows(task, TrainConfig(1e-5, 8, 1, train_languages="en"))
    assert {i.split("-")[0] for i in only["id"]} == {"english"}
    assert {i.split("-")[0] for i in every["id"]} >= {"english", "arabic", "finnish", "korean"}
    assert len(every) > len(only)
    first = {i.split("-")[0] for i in every["id"][:64]}  # shuffled: a cap draws from every language
    assert len(first) > 1 and INTERMEDIATE_DATA_SEED == 0
    class EnglishOnly(DataSource):  # a copy of TyDiQA's training data that kept only english-* rows
        def load(self, task, split, lang="en"):
            return DataSource.load(self, get_task(task.name), split, "en")

    english_only = Engine(RunStore(tmp_path), EnglishOnly("fixture", fixture_sizes=SMOKE.fixture_sizes), SMOKE)
    with pytest.raises(ValueError, match="holds English rows only; .* REPRO_TYDIQA_TRAIN=en"):
        english_only._training_rows(task, TrainConfig(1e-5, 8, 1, train_languages="all"))
    with pytest.raises(ValueError, match="needs a multilingual training config, but qqp"):
        engine._training_rows(get_task("qqp"), TrainConfig(1e-5, 8, 1, train_languages="all"))


# --- XNLI: batches of 4 accumulated to 32 (jiant's recipe), the literal 4 one flag away -----------
def test_xnli_trains_at_an_effective_batch_of_32_by_default_and_4_by_flag(monkeypatch):
    xnli = PAPER.target["xnli"]
    assert (xnli.batch_size, xnli.gradient_accumulation) == (4, 8)
    assert xnli.batch_size * xnli.gradient_accumulation == PAPER.target["pawsx"].batch_size == 32
    monkeypatch.setenv(XNLI_BATCH_ENV, "4")
    literal = get_profile("paper").target["xnli"]
    assert (literal.batch_size, literal.gradient_accumulation) == (4, 1)
    assert get_profile("rehearsal").target["xnli"].gradient_accumulation == 1
    monkeypatch.setenv(XNLI_BATCH_ENV, "16")
    with pytest.raises(ValueError, match="XNLI's effective batch must be one of 32, 4, got '16'"):
        get_profile("paper")


def test_the_xnli_batch_is_part_of_the_run_identity():
    literal = PAPER.with_xnli_batch("4")
    data = DataSource("hub")
    assert (plan.target_spec(PAPER, data, "xnli", intermediate=None, seed=1).key
            != plan.target_spec(literal, data, "xnli", intermediate=None, seed=1).key)


def test_train_languages_are_checked():
    with pytest.raises(ValueError, match="train_languages must be one of en, all"):
        TrainConfig(1e-5, 8, 1, train_languages="de")

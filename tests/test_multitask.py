"""The mixture of phase (ii): sampling rule, batches, shared encoder, MLM corpus, translated rows."""
import math

import numpy as np
import pytest

from repro.data import DataSource
from repro.mixture import (K, expected_examples, is_mixture, mixture_batches, mixture_length, mixture_rates,
                           spec_examples)
from repro.multitask import MixtureSampler
from repro.tasks import get_task
from repro.tasks import mlm as mlm_module
from repro.tasks.translated import LANGUAGES, TranslationError


def _within_binomial(count: int, n: int, p: float, z: float = 4.5) -> bool:
    return abs(count / n - p) <= z * math.sqrt(p * (1 - p) / n)


def test_rates_follow_the_capped_rule():
    rates = mixture_rates({"anli_plus": 1_104_934, "squad": 87_599, "cosmosqa": 25_588})
    total = K + 87_599 + 25_588  # ANLI+ counts as K = 131,072
    assert rates == pytest.approx({"anli_plus": K / total, "squad": 87_599 / total, "cosmosqa": 25_588 / total})
    with pytest.raises(ValueError, match="without training examples"):
        mixture_rates({"mnli": 10, "empty": 0})


def test_sampled_batches_match_the_rule_within_monte_carlo_error():
    sizes = {"capped": 3 * K, "mid": 40_000, "small": 3_000}
    rates = mixture_rates(sizes)
    assert rates["capped"] == pytest.approx(K / (K + 43_000))  # not 3K / (3K + 43,000)
    names = list(sizes)
    rows = [50, 30, 20]  # feature rows standing in for each task
    n = 20_000
    sampler = MixtureSampler(rows, [1, 1, 1], [rates[m] for m in names], batches=n, seed=7)
    offsets = np.cumsum([0] + rows)
    drawn = np.zeros(3, dtype=int)
    for batch in sampler:
        (task,) = {int(np.searchsorted(offsets, i, side="right") - 1) for i in batch}  # one task per batch
        drawn[task] += 1
    assert drawn.sum() == n
    for m, name in enumerate(names):
        assert _within_binomial(drawn[m], n, rates[name]), (name, drawn[m] / n, rates[name])
    uncapped = 3 * K / (3 * K + 43_000)
    assert not _within_binomial(drawn[0], n, uncapped)  # the test can tell the cap from no cap


def test_batches_use_every_row_before_repeating_and_follow_the_seed():
    sampler = MixtureSampler([7, 5], [3, 2], [0.5, 0.5], batches=40, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 40
    first = [b for b in batches if b[0] < 7]
    second = [b for b in batches if b[0] >= 7]
    assert all(len(b) == 3 for b in first) and all(len(b) == 2 and min(b) >= 7 for b in second)
    flat = [i for b in first for i in b]
    assert sorted(flat[:7]) == list(range(7))  # a full pass over task 0 before any row repeats
    assert list(MixtureSampler([7, 5], [3, 2], [0.5, 0.5], batches=40, seed=1)) == batches
    assert list(MixtureSampler([7, 5], [3, 2], [0.5, 0.5], batches=40, seed=2)) != batches


def test_mixture_length_is_epochs_over_the_capped_total_at_the_expected_batch():
    sizes, batch_sizes = {"a": 3 * K, "b": K // 2}, {"a": 24, "b": 8}
    rates = mixture_rates(sizes)  # 2/3, 1/3
    expected_batch = rates["a"] * 24 + rates["b"] * 8
    assert mixture_batches(sizes, batch_sizes, 3) == math.ceil(3 * (K + K // 2) / expected_batch)


def test_a_task_with_mlm_sees_its_single_task_examples():
    # paper: ANLI+ (1,104,934 rows, batch 24, 2 epochs) with MLM (2M sentences, batch 8); both capped at K
    sizes, batch_sizes = {"anli_plus": 1_104_934, "mlm": 2_000_000}, {"anli_plus": 24, "mlm": 8}
    batches = mixture_length(sizes, batch_sizes, 3, {"anli_plus": 2, "mlm": 1})
    assert batches == math.ceil(2 * 1_104_934 / (0.5 * 24))  # rate 1/2 at batch 24: 2 epochs of ANLI+
    seen = expected_examples(sizes, batch_sizes, batches)
    assert seen["anli_plus"] == pytest.approx(2 * 1_104_934, abs=24)
    assert seen["mlm"] == pytest.approx(batches * 0.5 * 8)
    # the old length, 3 passes over the capped total 2K at the expected batch 16, gave ANLI+ half of
    # those batches at 24 rows: 0.53 of an epoch (0.36 counting rows, not batches)
    old = expected_examples(sizes, batch_sizes, mixture_batches(sizes, batch_sizes, 3))["anli_plus"]
    assert old / 1_104_934 == pytest.approx(3 * 2 * K / 16 * 0.5 * 24 / 1_104_934) == pytest.approx(0.534, abs=1e-3)


def test_a_qa_task_with_mlm_sees_the_windows_of_its_single_task_epochs():
    # 256 SQuAD rows make 368 windows: a single-task epoch iterates the windows, so the mixture must too
    sizes, batch_sizes = {"squad": 256, "mlm": 256}, {"squad": 16, "mlm": 16}
    batches = mixture_length(sizes, batch_sizes, 2, {"squad": 2, "mlm": 3}, features={"squad": 368, "mlm": 256})
    assert batches == 2 * 368 / (0.5 * 16)
    assert expected_examples(sizes, batch_sizes, batches)["squad"] == 2 * 368


def test_several_tasks_with_mlm_see_what_they_see_without_it():
    sizes, batch_sizes = {"a": 3 * K, "b": K // 2, "c": 9_000}, {"a": 24, "b": 8, "c": 4}
    epochs = {"a": 2, "b": 3, "c": 10}
    without = expected_examples(sizes, batch_sizes, mixture_length(sizes, batch_sizes, 3, epochs))
    with_mlm = {**sizes, "mlm": 2_000_000}
    seen = expected_examples(with_mlm, {**batch_sizes, "mlm": 8},
                             mixture_length(with_mlm, {**batch_sizes, "mlm": 8}, 3, {**epochs, "mlm": 1}))
    for name in sizes:
        assert seen[name] == pytest.approx(without[name], abs=batch_sizes[name])
    assert mixture_length({"mlm": 100}, {"mlm": 8}, 3, {"mlm": 1}) == mixture_batches({"mlm": 100}, {"mlm": 8}, 3)


def test_sampled_mixture_with_mlm_draws_the_single_task_examples_within_monte_carlo_error():
    sizes, batch_sizes = {"task": 600, "mlm": 5_000}, {"task": 4, "mlm": 2}
    batches = mixture_length(sizes, batch_sizes, 3, {"task": 5, "mlm": 1})
    rates = mixture_rates(sizes)
    sampler = MixtureSampler([600, 5_000], [4, 2], [rates["task"], rates["mlm"]], batches=batches, seed=3)
    drawn = sum(len(b) for b in sampler if b[0] < 600)
    single_task = 5 * 600
    sd = 4 * math.sqrt(batches * rates["task"] * (1 - rates["task"]))  # binomial batches x 4 rows
    assert abs(drawn - single_task) <= 4.5 * sd + 4


def test_the_mlm_comparison_configurations_see_matched_examples():
    # mlm-no-gain compares each task with MLM against the task alone, on the paper profile
    import tomllib
    from pathlib import Path

    from repro import plan
    from repro.cost import train_size
    from repro.data import DataSource
    from repro.profiles import PAPER
    claim = tomllib.loads((Path(__file__).parents[1] / "claims" / "mlm-no-gain.toml").read_text())
    data = DataSource("hub")
    for configuration, baseline in zip(claim["configurations"], claim["baselines"]):
        (task,) = baseline
        sizes = {name: train_size(name) for name in configuration}
        with_mlm = spec_examples(plan.intermediate_spec(PAPER, data, tuple(configuration), 1), sizes)
        alone = spec_examples(plan.intermediate_spec(PAPER, data, (task,), 1), sizes)
        assert with_mlm[task] == pytest.approx(alone[task], abs=PAPER.intermediate[task].batch_size), task
        assert with_mlm["mlm"] > 0


def test_which_configurations_train_as_a_mixture():
    assert not is_mixture(("mnli",)) and not is_mixture(("mnli_translated",))
    assert is_mixture(("mnli", "squad")) and is_mixture(("mnli", "mlm")) and is_mixture(("mlm",))


def test_mixture_model_registers_the_encoder_once_and_ties_the_mlm_decoder(tiny_checkpoint):
    import torch

    from repro.multitask import _build_model
    tasks = [get_task("mnli"), get_task("squad"), get_task("mlm")]
    torch.manual_seed(0)
    model = _build_model([t.format for t in tasks], tasks, str(tiny_checkpoint))
    encoder_ids = {id(p) for p in model.encoder.parameters()}
    for head in model.heads:
        assert head.base_model.encoder is model.encoder  # every head runs the one encoder
    mlm_head = model.heads[2]
    assert mlm_head.lm_head.decoder.weight is model.encoder.embeddings.word_embeddings.weight
    head_only = [p for h in model.heads for p in h.parameters() if id(p) not in encoder_ids]
    assert sum(p.numel() for p in model.parameters()) == (
        sum(p.numel() for p in model.encoder.parameters()) + sum(p.numel() for p in head_only))
    # the MLM head is the checkpoint's, the classification head is fresh
    from safetensors.torch import load_file
    saved = load_file(str(tiny_checkpoint / "model.safetensors"))
    assert torch.equal(mlm_head.lm_head.dense.weight, saved["lm_head.dense.weight"])
    assert not any(k.startswith("classifier") for k in saved)


def test_mixture_state_dict_keeps_tied_tensors_once_and_round_trips(tiny_checkpoint, tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    from repro.multitask import _build_model
    tasks = [get_task("mnli"), get_task("mlm")]
    torch.manual_seed(0)
    model = _build_model([t.format for t in tasks], tasks, str(tiny_checkpoint))
    tied = model.tied_names()
    assert tied == {"heads.1.lm_head.decoder.weight": "encoder.embeddings.word_embeddings.weight",
                    "heads.1.lm_head.decoder.bias": "heads.1.lm_head.bias"}
    state = model.state_dict()
    assert not set(tied) & set(state) and set(tied.values()) <= set(state)
    save_file(state, str(tmp_path / "model.safetensors"))  # the Trainer's checkpoint: refuses shared tensors
    torch.manual_seed(1)
    other = _build_model([t.format for t in tasks], tasks, str(tiny_checkpoint))
    assert not torch.equal(other.heads[0].classifier.out_proj.weight, model.heads[0].classifier.out_proj.weight)
    with torch.no_grad():
        other.encoder.embeddings.word_embeddings.weight.add_(1.0)
    result = other.load_state_dict(load_file(str(tmp_path / "model.safetensors")), strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for name, value in model.state_dict(keep_vars=True).items():
        assert torch.equal(other.state_dict(keep_vars=True)[name], value), name
    assert other.heads[1].lm_head.decoder.weight is other.encoder.embeddings.word_embeddings.weight


@pytest.mark.parametrize("strict", [True, False])
def test_a_mismatching_mixture_checkpoint_raises(tiny_checkpoint, strict):
    import torch

    from repro.multitask import _build_model
    tasks = [get_task("mnli"), get_task("mlm")]
    model = _build_model([t.format for t in tasks], tasks, str(tiny_checkpoint))
    state = model.state_dict()
    lacking = {k: v for k, v in state.items() if k != "heads.0.classifier.out_proj.bias"}
    with pytest.raises(RuntimeError, match=r"missing \['heads.0.classifier.out_proj.bias'\], unexpected \[\]"):
        model.load_state_dict(lacking, strict=strict)
    with pytest.raises(RuntimeError, match=r"missing \[\], unexpected \['heads.2.qa_outputs.weight'\]"):
        model.load_state_dict({**state, "heads.2.qa_outputs.weight": torch.zeros(2, 2)}, strict=strict)


def test_mixture_trainer_overrides_only_public_trainer_methods():
    from transformers import Trainer

    import repro.multitask as multitask
    assert multitask.MixtureTrainer.__qualname__ == "MixtureTrainer"  # defined at module level
    overridden = {name for name in vars(multitask.MixtureTrainer)
                  if hasattr(Trainer, name) and not (name.startswith("__") and name.endswith("__"))}
    assert overridden == {"get_train_dataloader", "evaluate"}


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    from repro.models import build_tiny_model
    from repro.profiles import TinyModel
    out = tmp_path_factory.mktemp("tiny")
    build_tiny_model(TinyModel(), out)
    return out


# --- the MLM corpus -------------------------------------------------------------------------
def test_corpus_languages_follow_alpha_sampling(tmp_path):
    lines = {"en": 10_000, "sw": 1_000, "yo": 100}
    (tmp_path / "mlm").mkdir()
    for lang, n in lines.items():
        (tmp_path / "mlm" / f"{lang}.txt").write_text("".join(f"{lang} sentence {i}\n" for i in range(n)))
    train, dev = mlm_module.corpus(DataSource("local", tmp_path), tuple(lines), 3_000, 100, seed=0)
    assert len(train) == 3_000 and len(dev) == 100
    weights = {l: n ** 0.3 for l, n in lines.items()}
    langs = list(train["lang"]) + list(dev["lang"])
    for lang, w in weights.items():
        share = w / sum(weights.values())
        assert abs(langs.count(lang) - share * 3_100) <= 1  # largest remainders: exact up to rounding
    # yo's 100 lines are drawn 4 times over; the other languages' draws never repeat a line
    assert all(text.startswith("yo") for text in set(train["text"]) & set(dev["text"]))


def test_a_missing_corpus_file_names_the_path_and_the_fix(tmp_path):
    task = get_task("mlm")
    from repro.profiles import SMOKE
    with pytest.raises(mlm_module.CorpusError, match=r"mlm/af\.txt is missing.*one sentence per line"):
        task.format.load_rows(DataSource("local", tmp_path), task, SMOKE.intermediate["mlm"], 0)
    (tmp_path / "mlm").mkdir()
    (tmp_path / "mlm" / "af.txt").write_text("\n\n")
    with pytest.raises(mlm_module.CorpusError, match="holds no sentences"):
        task.format.load_rows(DataSource("local", tmp_path), task, SMOKE.intermediate["mlm"], 0)
    from dataclasses import replace
    with pytest.raises(mlm_module.CorpusError, match="max_train_examples"):
        task.format.load_rows(DataSource("local", tmp_path), task,
                              replace(SMOKE.intermediate["mlm"], max_train_examples=None), 0)


def test_dev_sentences_are_masked_once_and_scored_on_masked_tokens(tiny_checkpoint):
    from transformers import AutoTokenizer

    from repro.profiles import SMOKE
    fmt = get_task("mlm").format
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    data = DataSource("fixture", fixture_sizes={"train": 64})
    train, dev = fmt.load_rows(data, get_task("mlm"), SMOKE.intermediate["mlm"], 0)
    assert len(set(train["lang"])) > 5  # several languages, several scripts
    features = fmt.eval_features(dev, None, tokenizer, SMOKE.intermediate["mlm"])
    again = fmt.eval_features(dev, None, tokenizer, SMOKE.intermediate["mlm"])
    assert features["input_ids"] == again["input_ids"]  # fixed masks
    gold = features["labels"]
    masked = sum(l != -100 for row in gold for l in row)
    assert 0.05 < masked / sum(len(r) - 2 for r in gold) < 0.3
    perfect = np.full((len(gold), max(map(len, gold))), -100)
    for i, row in enumerate(gold):
        perfect[i, :len(row)] = row
    assert fmt.dev_score(perfect, features, dev, get_task("mlm")) == 100.0
    assert fmt.dev_score(np.zeros_like(perfect), features, dev, get_task("mlm")) < 5.0


# --- machine-translated tasks ---------------------------------------------------------------
def test_translated_rows_are_an_english_sized_sample_over_languages():
    from repro.profiles import SMOKE
    data = DataSource("fixture", fixture_sizes={"train": 300, "validation": 40})
    task = get_task("mnli_translated")
    train, dev = task.format.load_rows(data, task, SMOKE.intermediate["mnli_translated"], 0)
    english = set(data.load(get_task("mnli"), "train", "en")["premise"])
    assert len(train) == 300
    in_english = sum(p in english for p in train["premise"])
    assert _within_binomial(in_english, 300, 1 / (1 + len(LANGUAGES)))  # English is one language of 15
    assert list(dev["premise"]) == list(data.load(get_task("mnli"), "validation", "en")["premise"][:len(dev)])


def test_translated_tasks_cover_every_english_intermediate_task():
    from repro.tasks import TASKS
    english = {n for n, t in TASKS.items() if t.languages == ("en",) and t.trained and "_translated" not in n
               and n != "mlm"}
    assert english and {f"{n}_translated" for n in english} <= set(TASKS)
    assert get_task("mnli_translated").hub.path == "facebook/xnli"


def test_translations_without_a_hub_copy_ask_for_local_files():
    task = get_task("squad_translated")
    from repro.profiles import SMOKE
    with pytest.raises(TranslationError, match=r"<data-dir>/squad_translated/<lang>/train\.jsonl"):
        task.format.load_rows(DataSource("hub"), task, SMOKE.intermediate["mnli"], 0)


def test_local_translations_are_read_from_their_own_folder(tmp_path):
    import json

    from repro.profiles import SMOKE
    rows = {"en": [("a b", "a", 0), ("c d", "d", 0)]}
    (tmp_path / "mnli" / "en").mkdir(parents=True)
    for split in ("train", "validation"):
        (tmp_path / "mnli" / "en" / f"{split}.jsonl").write_text(
            "".join(json.dumps({"premise": p, "hypothesis": h, "label": l}) + "\n" for p, h, l in rows["en"]))
    task = get_task("mnli_translated")
    with pytest.raises(ValueError, match=r"mnli_translated/ar/train\.jsonl is missing"):
        task.format.load_rows(DataSource("local", tmp_path), task, SMOKE.intermediate["mnli"], 0)
    for lang in LANGUAGES:
        folder = tmp_path / "mnli_translated" / lang
        folder.mkdir(parents=True)
        (folder / "train.jsonl").write_text(json.dumps({"premise": f"{lang} p", "hypothesis": "h", "label": 1}) + "\n")
    train, _ = task.format.load_rows(DataSource("local", tmp_path), task, SMOKE.intermediate["mnli"], 0)
    assert len(train) == 2 and set(train["premise"]) <= {"a b", "c d", *(f"{l} p" for l in LANGUAGES)}


def test_smoke_and_paper_configure_mlm_translated_tasks_and_mixtures():
    from repro.profiles import PAPER, SMOKE
    assert PAPER.intermediate["mlm"].max_train_examples == 2_000_000 and PAPER.intermediate["mlm"].batch_size == 8
    assert PAPER.mixture_config(("mnli", "squad")).epochs == 3
    assert PAPER.mixture_config(("mnli", "mlm")).learning_rate == 5e-6
    assert PAPER.mixture_config(("mnli", "squad")).learning_rate == 1e-5
    for profile in (SMOKE, PAPER):
        for name in profile.intermediate:
            if name != "mlm" and not name.endswith("_translated"):
                assert profile.intermediate[f"{name}_translated"] == profile.intermediate[name]


def test_sentences_are_cut_from_wikipedia_articles():
    text = ("Paris\nParis is the capital of France. It has 2 million people! Is it big?\nSee also\n"
            "巴黎是法国的首都。人口很多。\n" + "กรุงเทพมหานคร " * 4)
    assert mlm_module.split_sentences(text) == [
        "Paris is the capital of France.", "It has 2 million people!", "Is it big?",
        "巴黎是法国的首都。", "人口很多。", ("กรุงเทพมหานคร " * 4).strip()]


def _articles(n: int, sentences_of, lang: str = "en"):
    from datasets import Dataset
    return Dataset.from_dict({"text": [" ".join(f"{lang} article {a} sentence {k}." for k in range(sentences_of(a)))
                                       for a in range(n)]})


def test_hub_corpus_weights_languages_by_sentences_of_the_named_dump(monkeypatch):
    import datasets

    calls = []

    def load_dataset(path, config, split, revision):
        calls.append((path, config, split))
        lang = config.split(".")[1]
        # en: 900 articles of 2 sentences; sw: 10 articles of 50 (article counts would weigh 900:10)
        return _articles(900, lambda a: 2, lang) if lang == "en" else _articles(10, lambda a: 50, lang)
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    train, dev = mlm_module.corpus(DataSource("hub"), ("en", "sw"), 90, 10, seed=0)
    counts = mlm_module.allot(mlm_module.language_shares({"en": 1800, "sw": 500}), 100)
    langs = list(train["lang"]) + list(dev["lang"])
    assert langs.count("en") == counts["en"] and langs.count("sw") == counts["sw"]
    assert counts != mlm_module.allot(mlm_module.language_shares({"en": 900, "sw": 10}), 100)
    assert all(text.startswith(lang) for text, lang in zip(train["text"], train["lang"]))
    assert calls == [("wikimedia/wikipedia", f"{mlm_module.WIKIPEDIA_DUMP}.{l}", "train") for l in ("en", "sw")]
    assert mlm_module.WIKIPEDIA_DUMP == "20231101"


def test_wikipedia_sentences_are_drawn_uniformly_from_the_whole_dump():
    import random
    import re

    # 30,000 articles of 1, 2 or 3 sentences: 60,000 sentences, half of them in 3-sentence articles
    hub = mlm_module._Hub(load=lambda lang: _articles(30_000, lambda a: 1 + a % 3))
    assert hub.size("en") == 60_000
    drawn = hub.draw("en", 3_000, random.Random(1))
    assert len(set(drawn)) == 3_000  # without repetition
    where = [tuple(map(int, re.fullmatch(r"en article (\d+) sentence (\d+)\.", s).groups())) for s in drawn]
    assert all(k < 1 + a % 3 for a, k in where)  # each is the k-th sentence of its article
    articles = np.array([a for a, _ in where])
    # uniform over sentences: article numbers spread over the dump (a 10,000-row shuffle buffer
    # would draw from the first articles), and 3-sentence articles give half the sentences, not a third
    assert abs(articles.mean() - 15_000) < 4.5 * 30_000 / math.sqrt(12 * 3_000)
    assert _within_binomial(int((articles % 3 == 2).sum()), 3_000, 0.5)
    assert not _within_binomial(int((articles % 3 == 2).sum()), 3_000, 1 / 3)


def test_mlm_refuses_a_checkpoint_without_an_lm_head(tiny_checkpoint, tmp_path):
    from transformers import AutoModel

    from repro.multitask import _build_model
    AutoModel.from_pretrained(tiny_checkpoint).save_pretrained(tmp_path)  # an encoder alone
    task = get_task("mlm")
    with pytest.raises(ValueError, match="lacks .*lm_head.*masked-LM checkpoint"):
        _build_model([task.format], [task], str(tmp_path))


def test_plan_gives_a_mixture_its_own_optimisation():
    from dataclasses import replace
    from types import MappingProxyType

    from repro import plan
    from repro.profiles import SMOKE
    profile = replace(SMOKE, intermediate=MappingProxyType({**SMOKE.intermediate, "squad": SMOKE.target["xquad"]}))
    data = DataSource("fixture", fixture_sizes=profile.fixture_sizes)
    single = plan.intermediate_spec(profile, data, ("mnli",), 1)
    assert single.mixture is None and "mixture" not in single.to_dict()
    both = plan.intermediate_spec(profile, data, ("mnli", "squad"), 1)
    assert both.mixture == profile.mixture and both.to_dict()["mixture"]["epochs"] == profile.mixture.epochs
    assert plan.intermediate_spec(profile, data, ("mnli", "mlm"), 1).mixture == profile.mixture_with_mlm
    longer = replace(profile.mixture, epochs=profile.mixture.epochs + 1)
    assert both.key != plan.intermediate_spec(replace(profile, mixture=longer),
                                              data, ("mnli", "squad"), 1).key
    with pytest.raises(ValueError, match="each task once"):
        plan.intermediate_spec(profile, data, ("mnli", "mnli"), 1)
    with pytest.raises(KeyError, match="Profile.mixture"):
        plan.intermediate_spec(replace(profile, mixture=None), data, ("mnli", "squad"), 1)


def test_training_batches_are_masked_afresh_and_never_on_special_tokens(tiny_checkpoint):
    import torch
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    collate = get_task("mlm").format.collator(tokenizer)
    rows = [{"input_ids": tokenizer(f"word{i} " * (5 + i))["input_ids"]} for i in range(40)]
    rows = [{**r, "attention_mask": [1] * len(r["input_ids"])} for r in rows]
    torch.manual_seed(0)
    first, second = collate(rows), collate(rows)
    labels = first["labels"]
    special = torch.isin(second["input_ids"], torch.tensor(tokenizer.all_special_ids)) & (second["labels"] == -100)
    assert (labels[first["attention_mask"] == 0] == -100).all()  # padding is never predicted
    assert not ((labels != -100) & torch.isin(labels, torch.tensor(tokenizer.all_special_ids))).any()
    share = (labels != -100).sum().item() / (first["attention_mask"].sum().item() - 2 * len(rows))
    assert 0.1 < share < 0.2
    assert not torch.equal(first["labels"], second["labels"]) and special.any()
    masked = labels != -100
    assert (first["input_ids"][masked] == tokenizer.mask_token_id).float().mean() > 0.6  # mostly <mask>
    given = collate([{**r, "labels": r["input_ids"]} for r in rows[:2]])
    assert given["labels"][0].tolist()[:len(rows[0]["input_ids"])] == rows[0]["input_ids"]

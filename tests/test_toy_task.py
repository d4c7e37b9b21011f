"""A new target task needs one module: this file defines a toy task, registers it, and the planner,
the cost model, the length samples, `repro score` and a claim judged by the real engine accept it.

Nothing outside this file names the toy task, so a per-task table left anywhere else (metrics,
submission formats, sizes, profile entries, languages) makes one of these tests fail.  Nothing is
patched: the files a new task may want later (its length samples in repro/length_samples.json, its
hub dataset in repro/hub_schemas.json) have a documented default or a message naming the fix.
"""
import math
import random
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest

from repro import cost, plan
from repro.claims import Claim, ClaimError
from repro.data import DataSource
from repro.fixtures import lexicon
from repro.judging import judge
from repro.metrics import Accuracy
from repro.profiles import PAPER, SMOKE
from repro.scoring import score, scored_tasks
from repro.tasks import TASKS, Sizes, Task, get_task, paper_targets, register, target_tasks
from repro.tasks.classification import CLASSIFICATION

# --- the task: one module's worth --------------------------------------------------------------
# Sentences of five concepts from the fixture lexicon; "present" when the marker concept is twice
# among them.  The same seed per split renders the same items in every language (a parallel set).
MARKER = lexicon.content_concepts()[0]
LANGUAGES = ("de", "en", "ru")  # English not first: the smoke default must put it first


def toy_rows(split: str, lang: str, n: int) -> list[dict]:
    """`n` rows of the toy task in a hub-like schema: {"sentence": str, "label": 0 or 1}."""
    rng = random.Random(f"toy-{split}")
    concepts = list(lexicon.content_concepts())
    rows = []
    for i in range(n):
        label = i % 2
        words = rng.sample(concepts[1:], 5 - 2 * label) + [MARKER] * 2 * label
        rng.shuffle(words)
        rows.append({"sentence": lexicon.sentence(words, lang), "label": label})
    return rows


TOY = Task(
    name="toy", format=CLASSIFICATION, languages=LANGUAGES, hub=None, fixture=toy_rows, metric=Accuracy(),
    fields=("sentence",), labels=("absent", "present"), parallel=True,
    sizes=Sizes(train=1_000, evaluation=MappingProxyType({"validation": 200, "test": 300})),
    submission="labels", paper_label="Toy", source="synthetic: tests/test_toy_task.py",
    obtain="the toy task exists only as fixtures",
)
# tiny data, every run a few seconds on one core; the smoke default target recipe, with enough
# steps, and the patience to take them, that the tiny model's predictions come to depend on the input
PROFILE = replace(SMOKE, seeds=(1, 2), fixture_sizes=MappingProxyType({"train": 128, "validation": 32, "test": 32}),
                  target_default=replace(SMOKE.target_default, batch_size=16, epochs=8, patience=8))
CLAIM = """
id = "toy-improves"
seed_claim = 0
quote = "Intermediate training on SST-2 improves the toy task."
source = "tests/test_toy_task.py"
kind = "improves"
targets = ["toy"]
split = "validation"
configurations = [["sst2"]]
baseline = []
threshold = 0.0
margin_reason = "any gain: the test asks for a verdict, not a particular one"
"""


@pytest.fixture
def toy():
    with register(TOY) as task:
        yield task


def test_registering_adds_the_task_for_the_block_only():
    assert "toy" not in TASKS
    with register(TOY):
        assert get_task("toy") is TOY and TOY in target_tasks()
        assert "toy" in scored_tasks() and "toy" in paper_targets()
        with pytest.raises(ValueError, match="'toy' is registered already"):
            with register(replace(TOY, languages=("en",))):
                pass
    assert "toy" not in TASKS and "toy" not in scored_tasks()
    with pytest.raises(ValueError, match="'xnli' is registered already; give the new task another name"):
        with register(replace(TOY, name="xnli")):
            pass
    with pytest.raises(TypeError):
        TASKS["toy"] = TOY  # the registry is a read-only view


def test_claim_on_an_unregistered_task_is_refused(tmp_path):
    (tmp_path / "toy.toml").write_text(CLAIM)
    with pytest.raises(ClaimError, match="toy"):
        Claim.from_file(tmp_path / "toy.toml")


def test_the_smoke_profile_plans_the_toy_task_without_an_entry(toy):
    data = DataSource("fixture", fixture_sizes=PROFILE.fixture_sizes)
    spec = plan.target_spec(PROFILE, data, "toy", intermediate=("sst2",), seed=1)
    assert spec.eval_languages("validation") == ("en", "de", "ru")  # the first three, English first
    assert spec.train == (("toy", PROFILE.target_default),) and PROFILE.target_default.epochs == 8
    assert plan.target_spec(SMOKE, data, "toy", intermediate=None, seed=1).train == (("toy", SMOKE.target_default),)
    assert plan.evaluation_languages(PAPER, "toy") == LANGUAGES  # the paper profile: every language
    with pytest.raises(KeyError, match="no target configuration for task 'toy'; add one to Profile.target"):
        plan.target_spec(PAPER, DataSource("hub"), "toy", intermediate=None, seed=1)


def _claim(tmp_path, text: str = CLAIM) -> Claim:
    path = tmp_path / "toy-improves.toml"
    path.write_text(text)
    return Claim.from_file(path)


def test_cost_of_a_toy_run_from_its_sizes(toy, tmp_path):
    from repro import lengths
    from repro.models import fixture_tokenizer

    # `python -m repro.lengths` would measure the toy task's length samples (it trains on its own English data)
    assert "toy" in lengths.eval_tasks() and "toy" in lengths.train_tasks()
    tokenizer, data = fixture_tokenizer(lengths.UNLIMITED), DataSource("fixture", fixture_sizes={"train": 64})
    sample = lengths.sequence_lengths(TOY, data.load(TOY, "train", "en"), tokenizer)
    assert len(sample) == 64 and min(sample) > 2
    # until they are in repro/length_samples.json, the cost model takes every toy sequence at its max length
    assert cost.length_sample("toy", "train", 128) is None and not cost.has_sample("toy", "eval")
    runs = plan.claim_runs(_claim(tmp_path), PROFILE, DataSource("fixture", fixture_sizes=PROFILE.fixture_sizes))
    targets = [r for r in runs if r.kind == "target"]
    assert len(targets) == 4  # baseline and SST-2, two seeds each
    config, hours = PROFILE.target_default, 25_000 * 3600
    # every sequence at the max length; evaluation (dev 200 and test 300 rows, one training predicts
    # both) 3x cheaper per token
    bound = (1_000 * config.epochs * config.max_length + (200 + 300) * 3 * config.max_length / 3) / hours
    for run in targets:
        assert run.gpu_hours == pytest.approx(bound, rel=1e-9) and run.bound_hours == pytest.approx(bound, rel=1e-9)
        assert run.unmeasured == ("toy (train)", "toy (eval)")
    # SST-2's intermediate runs (one per chain) have their samples: measured, below their bound
    intermediate = [r for r in runs if r.kind == "intermediate"]
    assert len(intermediate) == 2 and all(r.unmeasured == () and 0 < r.gpu_hours < r.bound_hours for r in intermediate)


def test_plan_names_the_missing_length_samples_and_the_fix(toy, tmp_path, capsys):
    from repro.cli import main

    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / "toy-improves.toml").write_text(CLAIM)
    assert main(["plan", "--profile", "smoke", "--claims", str(tmp_path / "claims"),
                 "--store", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert ("no length sample for toy (train), toy (eval) in repro/length_samples.json: those parts are costed "
            "with every sequence at its max length (an upper bound); measure them with "
            "`python -m repro.lengths --out repro/length_samples.json`") in out
    assert not (tmp_path / "runs").exists()  # plan only reads


def test_a_hub_dataset_not_yet_recorded_is_named_at_plan_time_with_the_fix(tmp_path):
    from repro.preflight import read_problems
    from repro.tasks import HubSource

    with register(replace(TOY, name="toy_hub", hub=HubSource("someone/toy-dataset"))):
        claim = _claim(tmp_path, CLAIM.replace('"toy"', '"toy_hub"'))
        data = DataSource("fixture", fixture_sizes=PROFILE.fixture_sizes)
        specs = [run.spec for run in plan.claim_runs(claim, PROFILE, data)]
        problems = [p for p in read_problems(data, specs) if "toy_hub" in p]
    assert len(problems) == 7  # one per read: train (en), validation and test (de, en, ru)
    assert (
        "toy_hub (train, en): someone/toy-dataset is not recorded in repro/hub_schemas.json: add it under "
        '"datasets" (revisions, configs, splits with num_examples, features, and the hub card they come from as '
        '"source"), or put a local copy in --data-dir as toy_hub/en/train.jsonl') in problems


def test_a_toy_submission_is_scored(toy, tmp_path):
    gold = [row["label"] for row in toy_rows("test", "en", 20)]
    predictions = [1 - g if i < 5 else g for i, g in enumerate(gold)]  # 5 of 20 wrong
    for folder, values in (("labels", gold), ("predictions", predictions)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "test-en.tsv").write_text("".join(f"{TOY.labels[v]}\n" for v in values))
    result = score("toy", tmp_path / "predictions", tmp_path / "labels")
    assert result["per_language"]["en"]["accuracy"] == pytest.approx(75.0)


def test_a_claim_on_the_toy_task_is_judged_by_the_engine(toy, tmp_path):
    from repro.engine import Engine
    from repro.store import RunStore

    engine = Engine(RunStore(tmp_path / "runs"), DataSource("fixture", fixture_sizes=PROFILE.fixture_sizes),
                    PROFILE, compute=True)
    outcome = judge(_claim(tmp_path), engine)
    assert outcome.skipped is None and outcome.seeds == (1, 2)
    # the four toy runs it reads (baseline and SST-2, two seeds), computed into the store
    assert len(outcome.runs) == 4 and all(name.startswith("target-toy-") for name in outcome.runs)
    assert all((tmp_path / "runs" / name).is_dir() for name in outcome.runs)
    (comparison,) = outcome.comparisons
    low, high = comparison.result.ci90
    assert math.isfinite(low) and math.isfinite(high) and low < comparison.result.estimate < high
    assert outcome.verdict.outcome.value in ("reproduced", "not_reproduced", "inconclusive")

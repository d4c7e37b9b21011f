"""`repro plan`: every run a claim needs, each once, with its stored state and its GPU-hour estimate."""
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from repro import cost, plan
from repro.claims import load_claims, select_claims
from repro.cli import main
from repro.data import DataSource
from repro.profiles import PAPER

CLAIMS = Path(__file__).resolve().parents[1] / "claims"
LINE = re.compile(r"^(stored|missing|damaged)\s+([\d.]+) GPU-h  measured\s+(-|[\d.]+ h)  wave (\d+)  (\S+)$")


def run_lines(out: list[str]) -> list[str]:
    """The per-run lines of `repro plan`'s output (before the wave summaries and totals)."""
    end = next(i for i, line in enumerate(out) if re.match(r"\d+ runs for ", line))
    return [line for line in out[:end] if not line.startswith(("wave ", "measured / predicted", "design: "))]


def summary(out: list[str], start: str) -> str:
    """The one summary line of `repro plan`'s output that starts with `start` (a regular expression)."""
    (line,) = [line for line in out if re.match(start, line)]
    return line


@pytest.fixture(scope="module")
def paper_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "out.txt"
    import contextlib
    with out.open("w") as fh, contextlib.redirect_stdout(fh):
        assert main(["plan", "--profile", "paper", "--store", str(out.parent / "store"), "--claims", str(CLAIMS)]) == 0
    return out.read_text().splitlines()


def test_plan_lists_each_needed_run_once_and_covers_every_claim(paper_plan):
    rows = [LINE.match(line) for line in run_lines(paper_plan)]
    assert all(rows), [line for line, m in zip(run_lines(paper_plan), rows) if not m][:3]
    names = [m[5] for m in rows]
    assert len(names) == len(set(names)), "a run is listed twice"
    data = DataSource(PAPER.data_source)
    claims = load_claims(CLAIMS)
    for claim in claims:
        needed = {r.name for r in plan.claim_runs(claim, PAPER, data)}
        assert needed <= set(names), f"{claim.id} needs runs the plan leaves out: {sorted(needed - set(names))[:3]}"
        if claim.kind != "setup":
            assert needed, f"{claim.id} needs no run"
    # replicates are chains: every configuration has a phase-(ii) run per seed of the first round (none s0), one
    # target run per seed (no dev/test twins) and retrieval runs per seed; the hub model needs no base run
    seeds = [str(s) for s in PAPER.seeds]
    assert seeds == [str(n) for n in range(1, PAPER.sequential.looks[0] + 1)]  # the first round is the first look
    configurations = {c for claim in claims for c in claim.configurations_used() if c}
    for config in configurations:
        stem = "+".join(config)
        assert sorted(re.match(r"intermediate-.*-s(\d+)-", n)[1] for n in names
                      if n.startswith(f"intermediate-{stem}-s")) == seeds, stem
        for target in ("xnli", "tydiqa"):
            assert sorted(n.split("-s")[-1][0] for n in names if n.startswith(f"target-{target}-from-{stem}-s")) \
                == seeds, (target, stem)
        assert sum(n.startswith(f"retrieval-bucc2018-from-{stem}-s") for n in names) == len(seeds), stem
    assert not any(re.match(r"intermediate-.*-s0-", n) for n in names)
    assert sum(n.startswith("intermediate-anli_plus+mnli+") for n in names) == len(seeds)  # the nine-task mixture
    assert not any(n.startswith("pretrained") for n in names)
    assert summary(paper_plan, r"\d+ runs for").startswith(f"{len(names)} runs for {len(claims)} claim(s) on profile paper: 0 stored, "
                                     f"{len(names)} to compute")


def test_plan_totals_the_gpu_hours_of_the_missing_runs(paper_plan):
    hours = sum(float(LINE.match(line)[2]) for line in run_lines(paper_plan))
    cost_line = summary(paper_plan, "estimated cost")
    total = float(re.search(r"cost of the runs to compute: ([\d,]+) GPU-hours", cost_line)[1].replace(",", ""))
    assert total == pytest.approx(hours, abs=0.5 + 0.005 * len(paper_plan))
    assert 50 < total < 5000  # a hundred GPU-hours or more: two seeds, 23 configurations, nine targets
    bound = float(re.search(r"\(([\d,]+) with every sequence at its max length\)", cost_line)[1].replace(",", ""))
    assert bound > total
    assert "25,000 training tokens/s" in cost_line


def test_plan_states_the_disk_its_runs_need(paper_plan):
    """Each intermediate run keeps XLM-R Large's encoder in fp32 (560M parameters: 2.24 GB); a training run holds
    three checkpoints of weights and AdamW's two moments at its peak."""
    encoders = sum(LINE.match(line)[5].startswith("intermediate-") for line in run_lines(paper_plan))
    disk = summary(paper_plan, "estimated disk")
    left, count, each, peak = re.search(r"about ([\d,]+) GB left in the store \((\d+) intermediate encoders of "
                                        r"([\d.]+) GB in fp32.*up to (\d+) GB of checkpoints", disk).groups()
    assert int(count) == encoders > 0 and float(each) == pytest.approx(2.24)
    assert int(left.replace(",", "")) == pytest.approx(encoders * 2.24, abs=1) and int(peak) == 20
    # the design's last look: the first round's encoders per chain, at 10 chains
    at_most = summary(paper_plan, "design: first round")
    assert f"about {round(encoders / len(PAPER.seeds) * 10 * 2.24):,} GB of encoders in the store at 10 chains" in at_most


def test_the_disk_model_is_what_the_files_weigh(tmp_path):
    """4 bytes a parameter for a saved encoder, 12 for a checkpoint's weights and AdamW's two moments: measured on
    the files a small XLM-R encoder and its optimiser write."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    model = XLMRobertaModel(XLMRobertaConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=2,
                                             num_attention_heads=2, intermediate_size=128), add_pooling_layer=False)
    n = sum(p.numel() for p in model.parameters())
    model.save_pretrained(tmp_path / "model")
    weights = (tmp_path / "model" / "model.safetensors").stat().st_size
    assert weights == pytest.approx(cost.BYTES_PER_PARAM * n, rel=0.02)
    optimiser = torch.optim.AdamW(model.parameters())
    model(input_ids=torch.tensor([[0, 5, 2]])).last_hidden_state.sum().backward()
    optimiser.step()
    torch.save(optimiser.state_dict(), tmp_path / "optimizer.pt")
    moments = (tmp_path / "optimizer.pt").stat().st_size
    assert weights + moments == pytest.approx(3 * cost.BYTES_PER_PARAM * n, rel=0.03)
    assert cost.disk_bytes([], params=n) == (0, cost.CHECKPOINT_COPIES * 3 * cost.BYTES_PER_PARAM * n)


def test_plan_marks_stored_runs(tmp_path, capsys, quick_engine, quick_profile, monkeypatch):
    # a stored run is recognised: compute one baseline run, then plan the XNLI claim over the same store
    monkeypatch.setattr("repro.data.DataSource", lambda *a, **k: quick_engine.data)
    monkeypatch.setattr("repro.profiles.PROFILES", {"smoke": quick_profile})
    spec = plan.target_spec(quick_profile, quick_engine.data, "xnli", intermediate=None, seed=1)
    quick_engine.ensure(spec)
    claims = tmp_path / "claims"  # the XNLI claim cut to the one configuration the quick profile trains
    claims.mkdir()
    text = (CLAIMS / "xnli-no-benefit.toml").read_text()
    (claims / "xnli.toml").write_text(re.sub(r"^configurations = .*$", 'configurations = [["mnli"]]', text, flags=re.M))
    assert main(["plan", "--store", str(quick_engine.store.root), "--claims", str(claims), "-k", "xnli",
                 "--seeds", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    stored = {LINE.match(l)[5]: LINE.match(l)[3] for l in run_lines(out) if l.startswith("stored")}
    assert spec.dirname in stored and stored[spec.dirname] != "-"  # its measured time from timings.json
    measured = json.loads((quick_engine.store.path(spec) / "timings.json").read_text())["total_s"] / 3600
    assert float(stored[spec.dirname].split()[0]) == pytest.approx(measured, abs=1e-4) and re.search(r": [1-9]\d* stored, \d+ to compute$", summary(out, r"\d+ runs for"))
    assert "if run on the paper profile" in summary(out, "estimated cost")
    # $REPRO_STORE names the store when --store does not, as for `repro run`
    monkeypatch.setenv("REPRO_STORE", str(quick_engine.store.root))
    assert main(["plan", "--claims", str(claims), "-k", "xnli", "--seeds", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert spec.dirname in {LINE.match(l)[5] for l in run_lines(out) if l.startswith("stored")}
    # on the paper profile the plan compares measured with predicted hours (here: the one stored run)
    from dataclasses import replace
    monkeypatch.setattr("repro.profiles.PROFILES", {"smoke": replace(quick_profile, name="paper")})
    assert main(["plan", "--store", str(quick_engine.store.root), "--claims", str(claims), "-k", "xnli",
                 "--seeds", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    (ratio,) = [l for l in out if l.startswith("measured / predicted")]
    runs = plan.planned_runs(select_claims(claims, "xnli"), quick_profile.with_seeds(2), quick_engine.data,
                             seeds_chosen=True)
    # every stored run of the plan with a prediction counts (the shared quick store may hold more than ours)
    timed = [(json.loads((quick_engine.store.path(run.spec) / "timings.json").read_text())["total_s"] / 3600,
              run.gpu_hours) for run in runs
             if run.gpu_hours > 0 and (quick_engine.store.path(run.spec) / "timings.json").is_file()]
    assert spec.dirname in {run.name for run in runs} and len(timed) >= 1
    assert ratio.startswith(f"measured / predicted over {len(timed)} stored runs: ")
    expected = sum(m for m, _ in timed) / sum(p for _, p in timed)
    assert float(ratio.split(": ")[1].split()[0]) == pytest.approx(expected, rel=0.01)


def test_plan_in_an_empty_directory_creates_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REPRO_STORE", raising=False)
    assert main(["plan", "--profile", "paper", "--claims", str(CLAIMS), "-k", "squad"]) == 0
    assert "to compute" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []  # no runs/, .work, .locks or .corrupt
    monkeypatch.setenv("REPRO_STORE", str(tmp_path / "elsewhere"))
    assert main(["plan", "--profile", "paper", "--claims", str(CLAIMS), "-k", "squad"]) == 0
    assert list(tmp_path.iterdir()) == []


def test_plan_names_a_selection_that_matches_no_claim(tmp_path, capsys):
    assert main(["plan", "--store", str(tmp_path), "--claims", str(CLAIMS), "-k", "no-such-claim"]) == 2
    assert f"no claim in {CLAIMS} has an id containing 'no-such-claim'" in capsys.readouterr().err


def test_without_claims_option_plan_reads_the_checkouts_claims_from_anywhere(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no ./claims here: the claims/ of the checkout the package runs from
    monkeypatch.delenv("REPRO_STORE", raising=False)
    assert main(["plan", "--profile", "paper", "-k", "squad"]) == 0
    assert "claim(s) on profile paper" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "claims").mkdir()  # a ./claims directory wins, and holds no claim
    assert main(["plan", "-k", "squad"]) == 2
    assert "no claim in claims has an id containing 'squad'" in capsys.readouterr().err


def test_a_claims_directory_that_does_not_exist_is_named_with_the_fix(tmp_path, capsys):
    assert main(["plan", "--claims", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert f"no claims directory at {tmp_path / 'nowhere'}; pass --claims DIR" in err


def test_cost_model_max_length_bound():
    mnli = PAPER.train_config("intermediate", "mnli")
    h = cost.gpu_hours(cost.Phase(train=(("mnli", mnli, 2),)), lengths="max")
    assert h == pytest.approx(392_702 * 2 * 128 / cost.THROUGHPUT_TOKENS_PER_S / 3600)
    # translated data costs as its English original; multiple choice counts every choice
    assert cost.gpu_hours(cost.Phase(train=(("mnli_translated", mnli, 2),)), lengths="max") == h
    csqa = PAPER.train_config("intermediate", "commonsenseqa")
    assert cost.train_tokens((("commonsenseqa", csqa, 10),), lengths="max") == 9_741 * 10 * 128 * 5
    # a mixture costs its tasks' expected examples: ANLI+ with MLM trains ANLI+'s 2 epochs, and MLM
    # rides along at rate 1/2 and batch 8 for as many batches (repro.mixture.mixture_length)
    batches = math.ceil(2 * 1_104_934 / (0.5 * 24))
    mix = cost.train_tokens(plan._phase(plan.intermediate_spec(PAPER, DataSource("hub"), ("anli_plus", "mlm"), 1)).train,
                            lengths="max")
    assert mix == pytest.approx((2 * 1_104_934 + batches * 0.5 * 8) * 128, rel=1e-4)
    # evaluation is forward only
    ev = cost.Phase(evaluate=(("xnli", "validation", 15, PAPER.train_config("target", "xnli")),))
    assert cost.gpu_hours(ev, lengths="max") == pytest.approx(2_490 * 15 * 128 / 3 / cost.THROUGHPUT_TOKENS_PER_S / 3600)
    # one training predicts dev and test: a target run costs both evaluations
    run = plan._phase(plan.target_spec(PAPER, DataSource("hub"), "xnli", intermediate=None, seed=1))
    assert [e[1] for e in run.evaluate] == ["validation", "test"]


def test_cost_model_from_measured_lengths():
    mnli = PAPER.train_config("intermediate", "mnli")
    sample, _ = cost.length_sample("mnli", "train", 128)
    per_example = cost.expected_max(sample, mnli.batch_size)
    assert sample.mean() < per_example <= sample.max() <= 128  # a random batch pads to its longest
    h = cost.gpu_hours(cost.Phase(train=(("mnli", mnli, 2),)))
    assert h == pytest.approx(392_702 * 2 * per_example / cost.THROUGHPUT_TOKENS_PER_S / 3600)
    assert h < cost.gpu_hours(cost.Phase(train=(("mnli", mnli, 2),)), lengths="max")
    # sorted evaluation costs each example its own length
    xnli = PAPER.train_config("target", "xnli")
    ev, _ = cost.length_sample("xnli", "eval", 128)
    assert cost.eval_tokens(("xnli", "validation", 15, xnli)) == pytest.approx(2_490 * 15 * ev.mean())
    with pytest.raises(ValueError, match="lengths="):
        cost.gpu_hours(cost.Phase(), lengths="mean")


def test_expected_max_matches_closed_form_and_simulation():
    rng = np.random.default_rng(0)
    # uniform on 1..m: E[max of B] = m - sum_{k<m} (k/m)^B
    m, batch = 40, 16
    assert cost.expected_max(np.arange(1, m + 1), batch) == pytest.approx(m - sum((k / m) ** batch for k in range(1, m)))
    sample = rng.poisson(30, size=500)
    assert cost.expected_max(sample, 1) == pytest.approx(sample.mean())
    draws = rng.choice(sample, size=(100_000, 24)).max(axis=1)
    assert cost.expected_max(sample, 24) == pytest.approx(draws.mean(), abs=4 * draws.std() / np.sqrt(len(draws)))


@pytest.mark.parametrize("max_length, stride", [(96, 32), (64, 16), (384, 128)])
def test_qa_windows_match_the_tokenizer(max_length, stride):
    from repro.models import fixture_tokenizer
    from repro.profiles import TrainConfig
    from repro.tasks.qa import QA, cut_questions
    rows = [{"question": "wer " * q, "context": "das haus ist rot und " * c}
            for q, c in [(3, 10), (5, 40), (9, 80), (2, 200)]]
    tokenizer = fixture_tokenizer(10**6)
    config = TrainConfig(learning_rate=1e-5, batch_size=8, epochs=1, max_length=max_length, doc_stride=stride)
    raw = {"question": [r["question"] for r in rows], "context": [r["context"] for r in rows]}
    enc = QA.windows(raw, tokenizer, config)
    by_question = {}
    for ids, example in zip(enc["input_ids"], enc["example"]):
        by_question.setdefault(example, []).append(len(ids))
    q = tokenizer(cut_questions(raw["question"], tokenizer), add_special_tokens=False)["input_ids"]
    c = tokenizer(raw["context"], add_special_tokens=False)["input_ids"]
    for i in range(len(rows)):
        assert cost.qa_windows(len(q[i]), len(c[i]), max_length, stride) == by_question[i], i


def test_committed_length_samples_are_what_their_sources_measure():
    """Intermediate tasks (no real rows yet): the fixtures with the fixture tokenizer; the targets: real
    rows of XTREME's layout with XLM-R's tokenizer (checked where ../shared/realdata is present)."""
    from repro.lengths import eval_tasks, load_samples, sequence_lengths, train_tasks, training_rows
    from repro.models import fixture_tokenizer
    samples = load_samples()
    sources = samples["sources"]
    data = DataSource("fixture", fixture_sizes={"train": 256, "validation": 256, "test": 256})
    tokenizer = fixture_tokenizer(10**6)
    for name in ("mnli", "squad", "hellaswag"):
        assert "fixture" in sources[name]["train"]
        task, raw = training_rows(name, data, 256)
        assert sequence_lengths(task, raw, tokenizer) == samples["tasks"][name]["train"], name
    real = [(name, which) for name in ("udpos", "xnli", "tatoeba") for which in samples["tasks"][name]]
    assert all("realdata/xtreme" in sources[name][which] and "xlmr-tokenizer" in sources[name][which]
               for name, which in real if which == "eval" or name == "udpos")
    # the tasks it holds are those the registry says the cost model needs (a new task: measure it)
    fix = "a registered task lacks its length sample: run `python -m repro.lengths --out repro/length_samples.json`"
    assert {t for t, s in samples["tasks"].items() if "train" in s} == set(train_tasks()), fix
    assert {t for t, s in samples["tasks"].items() if "eval" in s} == set(eval_tasks()), fix


def test_cost_sizes_come_from_the_registry_and_are_the_papers():
    # shared/paper/README.md, "Sizes (train / dev)"
    paper = {"anli_plus": 1_104_934, "qqp": 363_846, "squad": 87_599, "hellaswag": 39_905, "ccg": 38_015,
             "cosmosqa": 25_588, "commonsenseqa": 9_741, "mnli": 392_702, "pawsx": 49_401, "udpos": 21_253,
             "panx": 20_000, "tydiqa": 3_696}
    assert {name: cost.train_size(name) for name in paper} == paper
    assert cost.train_size("mnli_translated") == paper["mnli"]
    assert cost.train_size("tydiqa" + cost.ALL_LANGUAGES) == 49_881  # every language's GoldP training rows
    assert [cost.sizes(t).sequences for t in ("hellaswag", "cosmosqa", "commonsenseqa", "mnli")] == [4, 4, 5, 1]
    with pytest.raises(KeyError, match="'xnli' has no Sizes.train; give it in the task's registry entry"):
        cost.train_size("xnli")  # XNLI trains on MNLI
    with pytest.raises(KeyError, match="'planted_target' has no sizes for the cost model"):
        cost.train_size("planted_target")
    with pytest.raises(KeyError, match="no evaluation size for split 'dev'"):
        cost.eval_tokens(("xnli", "dev", 15, None))


def test_broken_length_samples_are_named_with_the_fix(tmp_path):
    from repro.lengths import load_samples
    path = tmp_path / "length_samples.json"
    with pytest.raises(ValueError, match="is missing; measure it with `python -m repro.lengths --out"):
        load_samples(path)
    for text, problem in (("", "is not JSON"), ("[1, 2]", "holds no length samples")):
        path.write_text(text)
        with pytest.raises(ValueError, match=problem):
            load_samples(path)


def test_a_failed_measurement_leaves_the_length_samples_as_they_were(tmp_path):
    from repro.data import DataError
    from repro.lengths import main as lengths_main
    out = tmp_path / "length_samples.json"
    out.write_text('{"source": "before", "tasks": {}}')
    with pytest.raises(DataError):  # an empty data directory: the first task's rows are missing
        lengths_main(["--data-dir", str(tmp_path / "empty"), "--out", str(out), "--rows", "4"])
    assert out.read_text() == '{"source": "before", "tasks": {}}' and sorted(tmp_path.iterdir()) == [out]

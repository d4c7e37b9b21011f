"""`repro plan`: every run a claim needs, each once, with its stored state and its GPU-hour estimate."""
import math
import re
from pathlib import Path

import pytest

from repro import cost, plan
from repro.claims import load_claims
from repro.cli import main
from repro.data import DataSource
from repro.profiles import PAPER

CLAIMS = Path(__file__).resolve().parents[1] / "claims"
LINE = re.compile(r"^(stored|missing|damaged)\s+([\d.]+) GPU-h  (\S+)")


@pytest.fixture(scope="module")
def paper_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "out.txt"
    import contextlib
    with out.open("w") as fh, contextlib.redirect_stdout(fh):
        assert main(["plan", "--profile", "paper", "--store", str(out.parent / "store"), "--claims", str(CLAIMS)]) == 0
    return out.read_text().splitlines()


def test_plan_lists_each_needed_run_once_and_covers_every_claim(paper_plan):
    rows = [LINE.match(line) for line in paper_plan[:-2]]
    assert all(rows), [line for line, m in zip(paper_plan, rows) if not m][:3]
    names = [m[3] for m in rows]
    assert len(names) == len(set(names)), "a run is listed twice"
    data = DataSource(PAPER.data_source)
    claims = load_claims(CLAIMS)
    for claim in claims:
        needed = {r.name for r in plan.claim_runs(claim, PAPER, data)}
        assert needed <= set(names), f"{claim.id} needs runs the plan leaves out: {sorted(needed - set(names))[:3]}"
        if claim.kind != "setup":
            assert needed, f"{claim.id} needs no run"
    # one phase-(ii) run serves every target and seed that starts from it; the hub model needs no base run
    assert names.count(next(n for n in names if n.startswith("intermediate-mnli-s0-"))) == 1
    assert sum(n.startswith("intermediate-mnli-s0-") for n in names) == 1
    assert sum(n.startswith("intermediate-squad-s0-") for n in names) == 1
    assert sum(n.startswith("intermediate-anli_plus+mnli+") for n in names) == 1  # the nine-task mixture
    assert not any(n.startswith("pretrained") for n in names)
    assert paper_plan[-2].startswith(f"{len(names)} runs for {len(claims)} claim(s) on profile paper: 0 stored, "
                                     f"{len(names)} to compute")


def test_plan_totals_the_gpu_hours_of_the_missing_runs(paper_plan):
    hours = sum(float(LINE.match(line)[2]) for line in paper_plan[:-2])
    total = float(re.search(r"cost of the runs to compute: ([\d,]+) GPU-hours", paper_plan[-1])[1].replace(",", ""))
    assert total == pytest.approx(hours, abs=0.5 + 0.005 * len(paper_plan))
    assert 100 < total < 5000  # hundreds of GPU-hours: three seeds, 23 configurations, nine targets
    assert "25,000 training tokens/s" in paper_plan[-1]


def test_plan_marks_stored_runs(tmp_path, capsys, quick_engine, quick_profile, monkeypatch):
    # a stored run is recognised: compute one baseline run, then plan the XNLI claim over the same store
    monkeypatch.setattr("repro.jobs.DataSource", lambda *a, **k: quick_engine.data)
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
    stored = [LINE.match(l)[3] for l in out[:-2] if l.startswith("stored")]
    assert spec.dirname in stored and re.search(r": [1-9]\d* stored, \d+ to compute$", out[-2])
    assert "if run on the paper profile" in out[-1]


def test_plan_names_a_selection_that_matches_no_claim(tmp_path, capsys):
    assert main(["plan", "--store", str(tmp_path), "--claims", str(CLAIMS), "-k", "no-such-claim"]) == 2
    assert "no claim" in capsys.readouterr().err


def test_cost_model():
    h = cost.gpu_hours(cost.Phase(train=(("mnli", 2, 128),)))
    assert h == pytest.approx(392_702 * 2 * 128 / cost.THROUGHPUT_TOKENS_PER_S / 3600)
    # translated data costs as its English original; multiple choice counts every choice
    assert cost.gpu_hours(cost.Phase(train=(("mnli_translated", 2, 128),))) == h
    assert cost.train_tokens((("commonsenseqa", 10, 128),)) == 9_741 * 10 * 128 * 5
    # a mixture costs its tasks' expected examples: ANLI+ with MLM trains ANLI+'s 2 epochs, and MLM
    # rides along at rate 1/2 and batch 8 for as many batches (repro.multitask.mixture_length)
    batches = math.ceil(2 * 1_104_934 / (0.5 * 24))
    mix = cost.train_tokens(plan._phase(plan.intermediate_spec(PAPER, DataSource("hub"), ("anli_plus", "mlm"))).train)
    assert mix == pytest.approx((2 * 1_104_934 + batches * 0.5 * 8) * 128, rel=1e-4)
    # evaluation is forward only
    ev = cost.Phase(evaluate=("xnli", "validation", 15, 128))
    assert cost.gpu_hours(ev) == pytest.approx(2_490 * 15 * 128 / 3 / cost.THROUGHPUT_TOKENS_PER_S / 3600)

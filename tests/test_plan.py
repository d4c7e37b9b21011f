"""`repro plan`: every run a claim needs, each once, with its stored state."""
from pathlib import Path

from repro import plan
from repro.claims import load_claims, required_runs
from repro.cli import main
from repro.data import DataSource
from repro.profiles import PAPER

CLAIMS = Path(__file__).resolve().parents[1] / "claims"


def test_plan_lists_each_needed_run_once(tmp_path, capsys):
    assert main(["plan", "--profile", "paper", "--store", str(tmp_path), "--claims", str(CLAIMS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[1] for line in lines[:-1]]
    assert len(names) == len(set(names))
    data = DataSource(PAPER.data_source)
    needed = {s.dirname for c in load_claims(CLAIMS) for s in plan.with_ancestors(
        required_runs(c, PAPER, data).values())}
    assert set(names) == needed
    # one phase-(ii) run serves every seed that starts from it; the hub model needs no base run
    assert sum(n.startswith("intermediate-mnli") for n in names) == 1
    assert not any(n.startswith("pretrained") for n in names)
    assert lines[-1].endswith(f"0 stored, {len(names)} to compute")


def test_plan_names_a_selection_that_matches_no_claim(tmp_path, capsys):
    assert main(["plan", "--store", str(tmp_path), "--claims", str(CLAIMS), "-k", "no-such-claim"]) == 2
    assert "no claim" in capsys.readouterr().err

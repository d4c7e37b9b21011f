"""The round flow end to end on the tiny model, through the commands: first look judged, `repro plan
--next-round --runs-file` lists only the open part's runs, `repro run --runs-file` computes them, the second look
judges the open part, and the decided part keeps its verdict and record."""
import json
from dataclasses import replace

from repro.cli import main
from repro.data import DataSource
from repro.engine import Engine
from repro.rounds import judge_rounds
from repro.stats.sequential import SequentialDesign
from repro.store import RunStore
from repro.claims import load_claims

CLAIM = """id = "{id}"
seed_claim = 1
quote = "q."
source = "s"
kind = "improves"
targets = ["xnli"]
split = "validation"
configurations = [["mnli"]]
baseline = []
threshold = {threshold}
margin_reason = "r"
"""


def test_two_looks_on_smoke_through_the_commands(tmp_path, quick_profile, capsys, monkeypatch):
    profile = replace(quick_profile, sequential=SequentialDesign((2, 3), spending="pocock", min_power=0.0))
    data = DataSource("fixture", fixture_sizes=profile.fixture_sizes)
    monkeypatch.setattr("repro.profiles.PROFILES", {"smoke": profile})
    monkeypatch.setattr("repro.data.DataSource", lambda *a, **k: data)
    store, claims = tmp_path / "store", tmp_path / "claims"
    claims.mkdir()
    (claims / "wide.toml").write_text(CLAIM.format(id="wide", threshold=-1e4))  # any interval of 2 chains is above it
    engine = Engine(RunStore(store), data, profile)
    (wide,) = load_claims(claims)
    first = judge_rounds(wide, engine)  # the first round: computes 2 chains
    assert first.verdict.outcome == "reproduced" and first.sequential["look"] == 1
    # a threshold on the estimate itself: the interval holds it, so that part stays open
    (claims / "edge.toml").write_text(CLAIM.format(id="edge", threshold=round(first.verdict.estimate, 9)))

    runs_file = tmp_path / "next.txt"
    assert main(["plan", "--next-round", "--store", str(store), "--claims", str(claims),
                 "--runs-file", str(runs_file)]) == 0
    out = capsys.readouterr().out
    assert "wide: look 1 (2 chains" in out and "reproduced; decided" in out
    assert "edge: look 1 (2 chains" in out and "inconclusive; next round pending" in out
    listed = [line.split()[-1] for line in out.splitlines() if " GPU-h  wave " in line]
    assert listed and all("-s3-" in name for name in listed)  # only the third chain, of the open part
    assert f"repro run --runs-file {runs_file}" in out
    assert [n for n in runs_file.read_text().splitlines() if not n.startswith("#")] == listed

    before = {p.name for p in store.iterdir()}
    assert main(["run", "--runs-file", str(runs_file), "--store", str(store), "--claims", str(claims)]) == 0
    capsys.readouterr()
    assert {p.name for p in store.iterdir() if not p.name.startswith(".")} - before == set(listed)  # those only
    outcomes = {c.id: judge_rounds(c, Engine(RunStore(store, create=False), data, profile, compute=False))
                for c in load_claims(claims)}
    assert outcomes["edge"].sequential["look"] == 2 and outcomes["edge"].seeds == (1, 2, 3)
    assert outcomes["edge"].sequential["next_round"] is None
    kept = outcomes["wide"]
    assert kept.sequential == first.sequential and kept.verdict.ci95 == first.verdict.ci95 and kept.seeds == (1, 2)
    assert main(["plan", "--next-round", "--store", str(store), "--claims", str(claims)]) == 0
    assert "next round: 0 runs for 0 open claim part(s)" in capsys.readouterr().out
    # the report records each part's look: the decided part at look 1 (early), the open one at look 2
    assert main(["report", "--store", str(store), "--claims", str(claims), "--out", str(tmp_path / "out")]) == 0

    records = {r["claim"]["id"]: r for r in json.loads((tmp_path / "out" / "report.json").read_text())["claims"]}
    assert records["wide"]["sequential"]["look"] == 1 and records["wide"]["sequential"]["decided_early"]
    assert records["edge"]["sequential"]["look"] == 2 and records["edge"]["seeds"] == [1, 2, 3]
    assert "decided early" in (tmp_path / "out" / "report.md").read_text()


def test_a_runs_file_that_cannot_be_read_or_names_an_unplanned_run_is_refused(tmp_path):
    import pytest
    from types import SimpleNamespace
    from repro.cli.options import read_runs_file
    from repro.errors import UsageError
    runs = [SimpleNamespace(name="a"), SimpleNamespace(name="b")]
    path = tmp_path / "next.txt"
    path.write_text("# a comment\n\nb\n")
    assert [r.name for r in read_runs_file(path, runs)] == ["b"]
    path.write_text("b\nzzz\n")
    with pytest.raises(UsageError, match="'zzz'.*select the claims it was written for"):
        read_runs_file(path, runs)
    with pytest.raises(UsageError, match="cannot read it.*repro plan --next-round --runs-file"):
        read_runs_file(tmp_path / "absent.txt", runs)


def test_submit_takes_the_runs_file_as_it_is_and_passes_it_to_every_array(tmp_path, capsys):
    from repro.claims import select_claims
    from repro.cli.options import claims_dir
    from repro.data import data_source
    from repro.plan import planned_runs
    from repro.profiles import SMOKE
    (claim,) = [c for c in select_claims(claims_dir(None), "squad-gain") if c.id == "squad-gain"]
    third = [r for r in planned_runs([claim], SMOKE.with_seeds(3), data_source(SMOKE, None), seeds_chosen=True)
             if r.spec.seed == 3 and r.wave == 2]
    runs_file = tmp_path / "next.txt"
    runs_file.write_text(third[0].name + "\n")
    assert main(["submit", "--dry-run", "-k", "squad-gain", "--store", str(tmp_path / "store"),
                 "--runs-file", str(runs_file)]) == 0
    (line,) = capsys.readouterr().out.splitlines()  # one wave, one run: one array of one element
    assert "--array=0-0" in line and f"--runs-file {runs_file.resolve()}" in line and "--wave 2" in line
    runs_file.write_text("")
    assert main(["submit", "--dry-run", "--store", str(tmp_path / "store"), "--runs-file", str(runs_file)]) == 2
    assert "no run to submit" in capsys.readouterr().err

"""The round flow end to end on the tiny model, through the commands: first look judged, `repro plan
--next-round` lists only the open part's runs, `repro run --seeds 3 -k` computes them, the second look
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

    assert main(["plan", "--next-round", "--store", str(store), "--claims", str(claims)]) == 0
    out = capsys.readouterr().out
    assert "wide: look 1 (2 chains" in out and "reproduced; decided" in out
    assert "edge: look 1 (2 chains" in out and "inconclusive; next round pending" in out
    listed = [line.split()[-1] for line in out.splitlines() if " GPU-h  wave " in line]
    assert listed and all("-s3-" in name for name in listed)  # only the third chain, of the open part
    assert "repro run --seeds 3 -k edge" in out and "-k wide" not in out

    assert main(["run", "--seeds", "3", "-k", "edge", "--store", str(store), "--claims", str(claims)]) == 0
    capsys.readouterr()
    assert all((store / name).is_dir() for name in listed)
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

"""The round flow end to end on the tiny model: first look judged, the next round lists only the open part's
runs, the second look judges it, and the decided part keeps its verdict and record."""
from dataclasses import replace

from repro.claims import Claim
from repro.cli.plan import print_next_round
from repro.data import DataSource
from repro.engine import Engine
from repro.rounds import judge_rounds, next_round_runs
from repro.stats.sequential import SequentialDesign
from repro.store import RunStore


def _claim(cid, **kw):
    c = Claim(id=cid, seed_claim=1, quote="q.", source="s", margin_reason="r", targets=("xnli",),
              configurations=(("mnli",),), kind="improves", **kw)
    c._check("test")
    return c


def test_two_looks_on_smoke(tmp_path, quick_profile, capsys):
    profile = replace(quick_profile, sequential=SequentialDesign((2, 3), spending="pocock", min_power=0.0))
    data = DataSource("fixture", fixture_sizes=profile.fixture_sizes)
    engine = Engine(RunStore(tmp_path / "store"), data, profile)
    wide = _claim("wide", threshold=-100.0)  # any estimate lies above it: decided at the first look
    first = judge_rounds(wide, engine)
    assert first.verdict.outcome == "reproduced" and first.sequential["look"] == 1
    # a threshold on the estimate itself: the interval holds it, so the part stays open
    edge = _claim("edge", threshold=round(first.verdict.estimate, 9))
    open_first = judge_rounds(edge, engine)
    assert open_first.verdict.outcome == "inconclusive" and open_first.sequential["next_round"]["chains"] == 3

    assert print_next_round([wide, edge], profile, data, tmp_path / "store") == 0
    out = capsys.readouterr().out
    assert "wide: look 1 (2 chains" in out and "decided" in out and "edge: look 1 (2 chains" in out
    listed = [line.split()[-1] for line in out.splitlines() if " GPU-h  wave " in line]
    runs = next_round_runs(edge, engine, 3)
    assert sorted(listed) == sorted(r.name for r in runs) and runs and all("-s3-" in n for n in listed)
    assert "next round: " + f"{len(runs)} runs for 1 open claim part(s)" in out

    for run in runs:  # the next round, as `repro run --seeds 3 -k edge` computes it
        engine.ensure(run.spec)
    second = judge_rounds(edge, engine)
    assert second.sequential["look"] == 2 and second.sequential["chains"] == 3 and second.seeds == (1, 2, 3)
    kept = judge_rounds(wide, engine)
    assert kept.sequential == first.sequential and kept.verdict.ci95 == first.verdict.ci95
    assert kept.runs == first.runs and kept.seeds == (1, 2)

"""A selective run keeps the report whole: records stamped with when and where they were judged, merged."""
import copy
import json

import pytest

from repro.report import build_report, claim_record
from repro.report.judged import (ReportDirError, check_report_dir, differs_note, merge_records,
                                 previous_records, stamp)
from tests.report_outcomes import judged


JUDGED = claim_record(judged("template", kind="magnitude", expected=8.0, margin=2.0))


def record(claim_id, *, store="/runs", profile="smoke", commit="abc", outcome="reproduced", at=0.0):
    """A real claim record under another id, with the given verdict and `judged` stamp."""
    rec = copy.deepcopy(JUDGED)
    rec["claim"]["id"], rec["profile"], rec["verdict"]["outcome"] = claim_id, profile, outcome
    return {**rec, "judged": stamp(profile=profile, source="engine", store=store, commit=commit, at=at)}


def test_stamp_says_when_in_utc_and_where():
    s = stamp(profile="paper", source="engine", store="runs", commit="c0ffee", at=86400.0)
    assert s["at"] == "1970-01-02T00:00:00Z" and s["profile"] == "paper" and s["commit"] == "c0ffee"
    assert s["store"].endswith("/runs") and s["store"].startswith("/")
    assert stamp(profile="p", source="paper-v1", store=None, commit=None)["store"] is None


def test_a_selective_run_replaces_only_its_parts_and_marks_what_differs():
    earlier = [record("a", outcome="not_reproduced"), record("b"), record("c", store="/other"),
               record("d", commit="old", profile="paper")]
    now = [record("a", at=100.0)]
    merged = {r["claim"]["id"]: r for r in merge_records(earlier, now)}
    assert sorted(merged) == ["a", "b", "c", "d"]
    assert merged["a"]["verdict"]["outcome"] == "reproduced" and "differs" not in merged["a"]["judged"]
    assert merged["b"]["judged"]["differs"] == []
    assert merged["c"]["judged"]["differs"] == ["store"]
    assert merged["d"]["judged"]["differs"] == ["profile", "commit"]
    assert differs_note(merged["a"]) == ""
    assert "another store than this run" in differs_note(merged["c"]) and "store /other" in differs_note(merged["c"])
    assert differs_note(merged["b"]).startswith("kept from a run of 1970-01-01T00:00:00Z")


def test_the_report_keeps_parts_across_runs_and_says_which_are_earlier(tmp_path):
    build_report([record("a"), record("b")], tmp_path)
    previous, problem = previous_records(tmp_path)
    assert problem is None and [r["claim"]["id"] for r in previous] == ["a", "b"]
    build_report(merge_records(previous, [record("b", store="/elsewhere", at=50.0)]), tmp_path)
    claims = {r["claim"]["id"]: r for r in json.loads((tmp_path / "report.json").read_text())["claims"]}
    assert sorted(claims) == ["a", "b"] and claims["a"]["judged"]["differs"] == ["store"]
    assert claims["b"]["judged"]["store"] == "/elsewhere"
    md = (tmp_path / "report.md").read_text()
    assert "reproduced (earlier run)" in md and "Judged: kept from a run of" in md


def test_an_unreadable_report_json_is_kept_aside_not_merged(tmp_path):
    (tmp_path / "report.json").write_text("{broken")
    previous, problem = previous_records(tmp_path)
    (aside,) = tmp_path.glob("report.json.unreadable-*")
    assert previous == [] and str(aside) in problem and aside.read_text() == "{broken"


def test_a_report_directory_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "reports").write_text("keep me")
    with pytest.raises(ReportDirError, match="report directory .*reports is a file; give --report a directory"):
        check_report_dir(tmp_path / "reports")
    with pytest.raises(ReportDirError, match="cannot be written"):
        check_report_dir(tmp_path / "reports" / "sub")
    assert (tmp_path / "reports").read_text() == "keep me"
    assert check_report_dir(tmp_path / "new" / "dir") == tmp_path / "new" / "dir"


def test_repro_report_judges_every_part_again_and_stamps_it(tmp_path, monkeypatch):
    """`repro report` rebuilds from a store: every claim part judged now, on that store (judging stubbed)."""
    import repro.judging
    from repro.provenance import git_commit
    from repro.cli.options import REPO
    from repro.report.rejudge import judge_from_store

    monkeypatch.setattr(repro.judging, "judge", lambda claim, engine: repro.judging.skipped(
        claim, "stand-in", profile="smoke", source="engine"))
    records = judge_from_store(tmp_path / "store", None, REPO / "claims")
    assert len(records) == len(list((REPO / "claims").glob("*.toml")))
    assert {r["judged"]["store"] for r in records} == {str(tmp_path / "store")}
    assert {(r["judged"]["profile"], r["judged"]["source"], r["judged"]["commit"]) for r in records} == \
        {("smoke", "engine", git_commit())}

"""Reports lose nothing: report.json is merged under a lock, a JSON object that is not a report is refused,
an unreadable or foreign report.json is kept aside, NaN never enters it, and `repro report`'s fixes name
options it has."""
import copy
import json
import math
import multiprocessing
import time

import pytest

from repro.cli import main
from repro.report import build_report, claim_record, dumps, read_report
from repro.report.schema import ReportSchemaError
from tests.report_outcomes import judged
from tests.test_report_judged import record


def _write_slowly(directory, claim_id, pause):
    """One selective run's end: merge its record into the report, reading slowly so the runs overlap."""
    import repro.pytest_plugin as plugin
    from repro.report import judged as module
    reader = module.previous_records

    def slow(path):
        found = reader(path)
        time.sleep(pause)
        return found
    plugin.previous_records = slow
    plugin.merge_into_report(directory, [record(claim_id)], None)


def test_two_runs_into_one_report_keep_both_records(tmp_path):
    context = multiprocessing.get_context("fork")
    runs = [context.Process(target=_write_slowly, args=(tmp_path, cid, 1.5)) for cid in ("a", "b")]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
    assert [run.exitcode for run in runs] == [0, 0]
    ids = sorted(r["claim"]["id"] for r in read_report(tmp_path / "report.json")["claims"])
    assert ids == ["a", "b"]  # without the lock, the later writer drops the other's record


@pytest.mark.parametrize("payload", [{}, {"foo": 1}, {"schema_version": 2}])
def test_a_json_object_that_is_not_a_report_is_refused(tmp_path, capsys, payload):
    path = tmp_path / "other.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ReportSchemaError, match="is not a report.json|missing field"):
        read_report(path)
    assert main(["report", "--from-json", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "repro report: " in capsys.readouterr().err
    good = tmp_path / "good"
    build_report([record("a")], good)
    assert main(["report", "--compare", str(path), str(good / "report.json")]) == 2
    assert not (tmp_path / "out" / "report.json").exists()


def test_a_foreign_report_json_is_kept_aside_before_it_is_replaced(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text('{"name": "my notes"}')
    source = tmp_path / "src"
    build_report([record("a")], source)
    assert main(["report", "--from-json", str(source / "report.json"), "--out", str(out)]) == 0
    assert "kept as" in capsys.readouterr().err
    (aside,) = out.glob("report.json.unreadable-*")
    assert json.loads(aside.read_text()) == {"name": "my notes"}
    assert [r["claim"]["id"] for r in read_report(out / "report.json")["claims"]] == ["a"]


def test_nan_never_enters_report_json(tmp_path):
    rec = copy.deepcopy(claim_record(judged("nan", kind="magnitude", expected=8.0, margin=2.0)))
    rec["verdict"]["estimate"] = float("nan")
    rec["verdict"]["ci95"] = [float("-inf"), 1.0]
    text = dumps({"claims": [rec]})
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["claims"][0]["verdict"]["estimate"] is None
    build_report([rec], tmp_path)
    written = (tmp_path / "report.json").read_text()
    assert "NaN" not in written and "Infinity" not in written
    json.loads(written, parse_constant=lambda name: pytest.fail(f"{name} in report.json"))
    assert not math.isnan(read_report(tmp_path / "report.json")["claims"][0]["verdict"]["estimate"] or 0.0)


def test_repro_report_names_its_own_options_for_a_missing_run(tmp_path, capsys):
    (tmp_path / "store").mkdir()
    assert main(["report", "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out"), "--claims",
                 str(tmp_path / "claims")]) == 2  # no claims directory: a usage error
    capsys.readouterr()
    from pathlib import Path
    claims = tmp_path / "claims"
    claims.mkdir()
    root = Path(__file__).resolve().parents[1] / "claims"
    (claims / "squad.toml").write_text((root / "squad-gain.toml").read_text())
    assert main(["report", "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out"),
                 "--claims", str(claims)]) == 0
    err = capsys.readouterr().err
    assert "skipped squad-gain: run " in err and "compute it with `repro run`" in err and "--no-compute" not in err

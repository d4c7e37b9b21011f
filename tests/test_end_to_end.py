"""`pytest -m claims` on the smoke profile, run inside pytest: verdicts, report, reuse of stored runs."""
import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


@pytest.mark.slow
def test_claims_on_smoke_then_reuse(pytester, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    (pytester.path / "claims").mkdir()
    for name in ("test_claims.py", "setup-xlmr-large.toml"):
        shutil.copy(ROOT / "claims" / name, pytester.path / "claims")
    xnli = (ROOT / "claims" / "xnli-no-benefit.toml").read_text()  # cut to one configuration: a cheap claim part
    (pytester.path / "claims" / "xnli-no-benefit.toml").write_text(
        re.sub(r"^configurations = .*$", 'configurations = [["mnli"]]', xnli, flags=re.M))
    pytester.makeconftest('pytest_plugins = ["repro.pytest_plugin"]')
    store, report = tmp_path / "store", tmp_path / "report"
    args = ["-m", "claims", "-p", "no:cacheprovider", "--store", str(store), "--report", str(report),
            "--seeds", "2", "-rx", "claims"]
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    first = pytester.runpytest_subprocess(*args)
    first.assert_outcomes(xfailed=1, passed=1)  # the setup claim checks the paper profile: evidence
    first.stdout.fnmatch_lines(["*claim verdicts*", "setup-xlmr-large*setup*reproduced", "xnli-no-benefit*smoke*",
                                "*tiny model on synthetic data, which is no evidence*"])
    runs = sorted(p.name for p in store.iterdir() if not p.name.startswith("."))
    # baseline and MNLI configurations x 2 chains: a phase-(ii) run per chain, one base model
    assert len(runs) == 7 and sum(r.startswith("intermediate-mnli") for r in runs) == 2
    stamps = {r: (store / r / "MANIFEST.json").stat().st_mtime_ns for r in runs}

    record = json.loads((report / "report.json").read_text())["claims"][1]
    assert record["claim"]["id"] == "xnli-no-benefit" and not record["is_evidence"]
    assert record["verdict"]["outcome"] in {"reproduced", "not_reproduced", "inconclusive"}
    assert record["verdict"]["ci95"][0] <= record["verdict"]["estimate"] <= record["verdict"]["ci95"][1]
    assert "no evidence" in (report / "report.md").read_text()

    again = pytester.runpytest_subprocess(*args, "--no-compute")
    again.assert_outcomes(xfailed=1, passed=1)
    assert {r: (store / r / "MANIFEST.json").stat().st_mtime_ns for r in runs} == stamps
    assert json.loads((report / "report.json").read_text())["claims"][1]["verdict"] == record["verdict"]


def test_a_malformed_claim_file_is_a_usage_error_naming_it(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    (pytester.path / "claims").mkdir()
    shutil.copy(ROOT / "claims" / "test_claims.py", pytester.path / "claims")
    (pytester.path / "claims" / "bad.toml").write_text('id = "x"\nkind = "vibes"\n')
    pytester.makeconftest('pytest_plugins = ["repro.pytest_plugin"]')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "claims")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: bad claim file: *bad.toml: missing field(s)*"])

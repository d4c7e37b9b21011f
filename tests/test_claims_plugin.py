"""`pytest -m claims` options: --source paper-v1, --inconclusive, the summary table and readable ids."""
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


def _project(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    shutil.copytree(ROOT / "claims", pytester.path / "claims")
    pytester.makeconftest('pytest_plugins = ["repro.pytest_plugin"]')


def test_collect_lists_every_claim_part_with_readable_ids(pytester, monkeypatch):
    _project(pytester, monkeypatch)
    result = pytester.runpytest_subprocess("-m", "claims", "--collect-only", "-q", "-p", "no:cacheprovider", "claims")
    ids = sorted(p.stem for p in (ROOT / "claims").glob("*.toml"))
    result.stdout.fnmatch_lines([f"claims/test_claims.py::test_claim[[]{i}[]]" for i in ids])
    squad = pytester.runpytest_subprocess("-m", "claims", "--collect-only", "-q", "-p", "no:cacheprovider",
                                          "-k", "squad", "claims")
    planted = len(list((ROOT / "claims" / "planted").glob("*.toml")))  # collected too, deselected by -m claims
    squad.stdout.fnmatch_lines(["*test_claim[[]squad-gain[]]", f"1/{14 + planted} tests collected*"])


def test_paper_v1_source_judges_or_skips_every_part(pytester, monkeypatch, tmp_path):
    _project(pytester, monkeypatch)
    args = ["-m", "claims", "-p", "no:cacheprovider", "--source", "paper-v1", "--report", str(tmp_path), "-rfs", "claims"]
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=11, skipped=3)
    result.stdout.fnmatch_lines([
        "*claim verdicts*",
        "mnli-gain*skipped: paper-v1 cannot speak to this part*",
        "squad-gain*magnitude*paper-v1*+8.27*point, no CI*reproduced",
        "v1 Table 2 (dev): row QQP + MLM prints avg +5.1, its own cells give +7.1",
    ])
    assert (tmp_path / "report.json").is_file()


def test_an_inconclusive_verdict_fails_unless_told_to_skip(pytester, monkeypatch):
    _project(pytester, monkeypatch)
    pytester.makeconftest(  # a setup check made undecided, to see how the plugin maps the outcome
        'pytest_plugins = ["repro.pytest_plugin"]\n'
        'import repro.setup_checks as s\n'
        'from repro.stats.verdicts import Outcome\n'
        's.CHECKS["phases"] = lambda value, profile=None: (Outcome.INCONCLUSIVE, "stand-in: undecided")\n')
    args = ["-m", "claims", "-p", "no:cacheprovider", "--source", "paper-v1", "-k", "setup", "-rfs", "claims"]
    strict = pytester.runpytest_subprocess(*args)
    strict.assert_outcomes(passed=2, failed=1)
    strict.stdout.fnmatch_lines(["*Failed: not verified, inconclusive: stand-in: undecided.*"])
    relaxed = pytester.runpytest_subprocess(*args, "--inconclusive", "skip")
    relaxed.assert_outcomes(passed=2, skipped=1)

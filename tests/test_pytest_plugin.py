"""The claim plugin as an installed pytest plugin (pytester): options with any path, a report that selective
runs keep whole, run-store healing made visible, JUnit properties, and bad input as one usage error."""
import importlib.metadata
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from repro.store import RunStore
from tests.test_store import spec, write_payload

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]
BASE = ["-p", "no:cacheprovider", "-p", "no:xdist", "-m", "claims", "--source", "paper-v1"]


def _project(pytester, monkeypatch, *, conftest=False):
    """A fresh checkout's claims; the plugin comes from its entry point unless `conftest` loads it too."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("REPRO_STORE", raising=False)
    shutil.copytree(ROOT / "claims", pytester.path / "claims")
    if conftest:
        pytester.makeconftest('pytest_plugins = ["repro.pytest_plugin"]')


def test_the_plugin_is_an_installed_pytest11_entry_point():
    found = [e for e in importlib.metadata.entry_points(group="pytest11") if e.value == "repro.pytest_plugin"]
    assert [e.name for e in found] == ["repro.pytest_plugin"], \
        "the pytest11 entry point is not installed: reinstall the project (pip install -e '.[test]')"


@pytest.mark.parametrize("conftest", [False, True], ids=["entry-point", "entry-point+conftest"])
def test_path_options_take_existing_directories_outside_the_checkout_in_both_forms(
        pytester, monkeypatch, tmp_path_factory, conftest):
    """`--store DIR` with an existing DIR outside the checkout keeps the checkout's rootdir and its
    configuration (here: addopts -rs, which lists the skipped part); `--store=DIR` does too."""
    _project(pytester, monkeypatch, conftest=conftest)
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\naddopts = "-rs"\n')
    outside = {name: tmp_path_factory.mktemp(name) for name in ("store", "data", "report")}
    select = ["-k", "squad or mnli-gain"]
    spaced = pytester.runpytest_subprocess(*BASE, *select, "--store", str(outside["store"]),
                                           "--data-dir", str(outside["data"]), "--report", str(outside["report"]))
    spaced.assert_outcomes(passed=1, skipped=1)
    spaced.stdout.fnmatch_lines([f"rootdir: {pytester.path}", "configfile: pyproject.toml",
                                 f"report: {outside['report']}*", "SKIPPED [[]1[]] claims/test_claims.py*"])
    joined = pytester.runpytest_subprocess(*BASE, *select, f"--store={outside['store']}",
                                           f"--data-dir={outside['data']}", f"--report={outside['report']}")
    joined.assert_outcomes(passed=1, skipped=1)
    joined.stdout.fnmatch_lines([f"rootdir: {pytester.path}", "configfile: pyproject.toml"])
    assert (outside["report"] / "report.json").is_file()


def test_a_selective_run_replaces_its_parts_and_keeps_and_marks_the_others(pytester, monkeypatch, tmp_path):
    _project(pytester, monkeypatch)
    pytester.runpytest_subprocess(*BASE, "--report", str(tmp_path)).assert_outcomes(passed=11, skipped=3)
    first = json.loads((tmp_path / "report.json").read_text())
    assert len(first["claims"]) == 14
    assert {r["judged"]["source"] for r in first["claims"]} == {"paper-v1"}
    for r in first["claims"]:  # as if judged earlier on another store
        r["judged"].update(store="/elsewhere/runs", at="2020-01-01T00:00:00Z")
    (tmp_path / "report.json").write_text(json.dumps(first))
    result = pytester.runpytest_subprocess(*BASE, "--report", str(tmp_path), "-k", "squad")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["tatoeba-gain: kept from a run of 2020-01-01T00:00:00Z (profile paper-v1, "
                                 "store /elsewhere/runs, commit *); another store than this run"])
    claims = {r["claim"]["id"]: r for r in json.loads((tmp_path / "report.json").read_text())["claims"]}
    assert len(claims) == 14
    assert claims["squad-gain"]["judged"]["at"] != "2020-01-01T00:00:00Z"
    assert "differs" not in claims["squad-gain"]["judged"]
    assert all(claims[i]["judged"]["differs"] == ["store"] for i in claims if i != "squad-gain")
    assert "Judged: kept from a run of 2020-01-01T00:00:00Z" in (tmp_path / "report.md").read_text()


def test_the_junit_xml_carries_estimate_interval_and_verdict(pytester, monkeypatch, tmp_path):
    _project(pytester, monkeypatch)
    xml = tmp_path / "junit.xml"
    pytester.runpytest_subprocess(*BASE, "-k", "squad or mnli-gain", "--report", str(tmp_path),
                                  f"--junitxml={xml}").assert_outcomes(passed=1, skipped=1)
    cases = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")}
             for c in ET.parse(xml).getroot().iter("testcase")}
    squad = cases["test_claim[squad-gain]"]
    assert squad["claim_id"] == "squad-gain" and squad["claim_verdict"] == "reproduced"
    assert float(squad["claim_estimate"]) == pytest.approx(8.27, abs=0.01)
    assert squad["claim_ci95_low"] == squad["claim_ci95_high"] == ""  # printed numbers: no interval
    assert cases["test_claim[mnli-gain]"]["claim_verdict"] == "skipped"


@pytest.mark.parametrize("workers", [["-p", "no:xdist"], ["-n", "2"]], ids=["one-process", "xdist"])
def test_the_summary_names_damaged_runs_and_counts_computed_and_reused(pytester, monkeypatch, tmp_path, workers):
    _project(pytester, monkeypatch)
    store = RunStore(tmp_path / "store")
    damaged, kept = spec(1), spec(2)
    for s in (damaged, kept):
        store.ensure(s, write_payload)
    (store.path(damaged) / "metrics.json").write_text("{}")
    pytester.makepyfile(test_runs="""
        from tests.test_store import spec, write_payload

        def test_runs(engine, record_claim):
            for seed in (1, 2, 3):
                engine.store.ensure(spec(seed), write_payload)
            engine.store.ensure(spec(3), write_payload)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *workers, "test_runs.py",
                                           "--store", str(store.root), "--report", str(tmp_path / "r"))
    result.assert_outcomes(passed=1)
    (aside,) = (store.root / ".corrupt").iterdir()
    result.stdout.fnmatch_lines(["*= run store =*", f"store {store.root}: 2 run(s) computed, 1 reused",
                                 f"damaged run {damaged.dirname}: moved to {aside} and recomputed (*metrics.json*)"])


def test_the_summary_counts_the_runs_of_every_test_not_only_the_first(pytester, monkeypatch, tmp_path):
    """The claims test reaches the engine through the session-scoped `claim_source`, which asks for it in the
    session's first test only; every later test's runs are counted all the same."""
    _project(pytester, monkeypatch)
    pytester.makepyfile(test_runs="""
        import pytest
        from tests.test_store import spec, write_payload

        @pytest.fixture(scope="session")
        def source(request):
            engine = request.getfixturevalue("engine")
            return lambda seed: engine.store.ensure(spec(seed), write_payload)

        @pytest.mark.parametrize("seed", [1, 2, 3])
        def test_runs(source, record_claim, seed):
            source(seed)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "test_runs.py",
                                           "--store", str(tmp_path / "store"), "--report", str(tmp_path / "r"))
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([f"store {tmp_path / 'store'}: 3 run(s) computed, 0 reused"])


def test_the_summary_names_a_computed_run_whose_training_stopped_at_a_non_finite_loss(tmp_path):
    from repro.pytest_plugin import run_summary
    for name, log in (("bad", {"non_finite_loss": {"step": 6, "loss": "nan", "last_finite_step": 4}}),
                      ("fine", {"steps": 8})):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train_log.json").write_text(json.dumps(log))
    (tmp_path / "retrieval").mkdir()  # no training phase: no train_log.json
    events = [{"event": "computed", "run": n} for n in ("bad", "fine", "retrieval")] + [{"event": "reused", "run": "x"}]
    assert run_summary(events, tmp_path) == [
        f"store {tmp_path}: 3 run(s) computed, 1 reused",
        "run bad: training stopped at a non-finite loss at step 6 (finite up to step 4); the best checkpoint is "
        "kept, the report lists it"]


def test_a_bad_claim_file_is_one_usage_error(pytester, monkeypatch):
    _project(pytester, monkeypatch)
    bad = pytester.path / "claims" / "squad-gain.toml"
    bad.write_text(re.sub(r'^targets = .*$', 'targets = ["xnli", "tatoebaa"]', bad.read_text(), flags=re.M))
    pytester.makepyfile(test_other="""  # another module that loads the claims at import, as tests/ do
        from pathlib import Path
        from repro.claims import load_claims
        CLAIMS = load_claims(Path(__file__).parent / "claims")

        def test_nothing():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-m", "claims")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: bad claim file: {bad}, line 8: unknown target task 'tatoebaa'; "
                                 "known tasks:*"])
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text and "error" not in result.stdout.str().lower()


def test_no_compute_reads_the_store_and_creates_nothing(pytester, monkeypatch, tmp_path):
    _project(pytester, monkeypatch)
    missing, empty = tmp_path / "no-store", tmp_path / "empty-store"
    args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-m", "claims", "-k", "mnli-gain", "--no-compute",
            "--report", str(tmp_path / "report")]
    result = pytester.runpytest_subprocess(*args, "--store", str(missing))
    assert result.ret == pytest.ExitCode.USAGE_ERROR and not missing.exists()
    result.stderr.fnmatch_lines([f"ERROR: no run store at {missing}; --no-compute judges from stored runs only*"])
    empty.mkdir()
    result = pytester.runpytest_subprocess(*args, "--store", str(empty))
    assert result.ret == pytest.ExitCode.TESTS_FAILED and list(empty.iterdir()) == []  # no .work, .locks, .corrupt
    result.stdout.fnmatch_lines(["*run pretrained-base-s0-* is not in the store*; compute it (drop --no-compute)*"])
    assert "Traceback" not in result.stdout.str() and "raise MissingRunError" not in result.stdout.str()


@pytest.mark.parametrize("problem", ["store is a file", "report is a file", "store unwritable"])
def test_a_bad_store_or_report_path_is_one_usage_error_and_loses_nothing(pytester, monkeypatch, tmp_path, problem):
    _project(pytester, monkeypatch)
    target = tmp_path / "target"
    target.write_text("precious")
    store, report, expected = tmp_path / "store", tmp_path / "report", ""
    if problem == "store is a file":
        store, expected = target, f"ERROR: run store {target} is a file, not a directory; give --store a directory*"
    elif problem == "report is a file":
        report, expected = target, f"ERROR: report directory {target} is a file; give --report a directory*"
    else:
        store = target / "runs"  # inside a file: no user can create it
        expected = f"ERROR: run store {store} is not writable (Not a directory); *give --store a writable directory"
    args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-m", "claims", "--store", str(store), "--report", str(report)]
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([expected])
    assert "Traceback" not in result.stderr.str()
    assert target.read_text() == "precious"

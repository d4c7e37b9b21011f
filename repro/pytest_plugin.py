"""The pytest plugin: options, the claim parametrisation, engine fixtures, verdict table, report.

Installed as the `pytest11` entry point "repro.pytest_plugin" (the project's
`conftest.py` loads it for a checkout that is not installed).  Claim outcomes
and what the store did with each run travel from xdist workers to the
controller as `user_properties`, where the terminal summary and the report are
produced once; JUnit XML carries each claim's estimate, interval and verdict.
"""
from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path

import pytest

from repro.claims import ClaimError, load_claims
from repro.cli.options import OPTIONS, add_options, check_not_empty, explicit, seeds_count, value
from repro.engine import Engine, build_engine
from repro.rounds import judge_rounds
from repro.models import with_tokenizer
from repro.profiles import get_profile
from repro.provenance import git_commit
from repro.pytest_rootdir import restore_rootdir
from repro.report import build_report, verdict_table
from repro.report.judged import (ReportDirError, check_report_dir, differs_note, judged_record, merge_records,
                                 previous_records, report_lock)
from repro.store import RunStore, StorePathError, check_store_path

CLAIM_PROPERTY = "repro_claim"
RUNS_PROPERTY = "repro_runs"
CLAIM_TEST_MODULE = "test_claims.py"
SOURCES = ("engine", "paper-v1")
PREFLIGHT = pytest.StashKey[str]()  # why the selected claims' data cannot be had (xdist workers)
ENGINE = pytest.StashKey[Engine]()  # the session's engine once built, whichever fixture asked for it


def pytest_addoption(parser):
    group = parser.getgroup("repro", "claim reproduction (Phang et al. 2020)")
    add_options(group, "profile", "store", "data_dir", "seeds", "tokenizer")
    group.addoption("--report", default=None, metavar="DIR",
                    help="write the verification report into DIR (default: reports/ in the rootdir)")
    group.addoption("--no-compute", action="store_true",
                    help="judge claims from stored runs only; a missing run is an error")
    group.addoption("--source", choices=SOURCES, default="engine",
                    help="where results come from: engine (runs from the store, computed when missing) or "
                         "paper-v1 (the numbers arXiv v1 prints: point estimates, no intervals)")
    group.addoption("--inconclusive", choices=("fail", "skip"), default="fail",
                    help="an inconclusive verdict fails (default: not verified) or, for exploratory runs, skips")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """`--store DIR` with an existing DIR: keep the checkout's rootdir and configuration (repro.pytest_rootdir)."""
    restore_rootdir(early_config, args)


def pytest_configure(config):
    config.addinivalue_line("markers", "claims: a claim of the paper, judged on the selected profile")
    config.addinivalue_line("markers", "planted: a claim about the planted world, whose truth is known (claims/planted/)")
    config.addinivalue_line("markers", "slow: statistical calibration and end-to-end tiers (still run in CI)")
    config.addinivalue_line("markers", "slurm: against a real one-node SLURM started by the test (skipped without sbatch; CI runs them)")
    try:  # a bad profile or seed count is a usage error, said once, before any test runs
        with_tokenizer(get_profile(config.getoption("--profile")), explicit(config.getoption("--tokenizer"), "tokenizer"))
        seeds_count(config.getoption("--seeds"))
        for name in ("store", "data_dir"):  # `--store=` would silently mean the working directory
            check_not_empty(config.getoption(OPTIONS[name].flag), name)
        if config.getoption("--report") is not None and not config.getoption("--report").strip():
            raise ValueError("--report is empty: give it a directory (e.g. --report=reports), or leave it out")
    except (KeyError, ValueError) as err:
        raise pytest.UsageError(err.args[0] if err.args else str(err)) from None
    if hasattr(config, "workerinput"):  # xdist workers: the controller checked and reports
        return
    _check_paths(config)
    _check_claim_files(config)
    config.pluginmanager.register(ClaimCollector(config), "repro-claim-collector")


def _check_paths(config) -> None:
    """A run store or report directory that cannot be used is a usage error before any run starts."""
    try:
        if config.getoption("--source") == "engine" and config.getoption("--no-compute"):
            store = _store_path(config)  # judged from stored runs only: read, never created
            RunStore(store, create=False)  # a file is refused
            if not store.is_dir():
                raise StorePathError(f"no run store at {store}; --no-compute judges from stored runs only: "
                                     "give --store (or $REPRO_STORE) an existing store, or drop --no-compute")
        elif _explicit_store(config) and config.getoption("--source") == "engine":
            check_store_path(_store_path(config))
        report = _report_dir(config)
        if config.getoption("--report") or report.exists():  # the default reports/ is made when needed
            check_report_dir(report)
    except (StorePathError, ReportDirError) as err:
        raise pytest.UsageError(str(err)) from None


def _claim_dirs(config) -> list[Path]:
    """The claim directories this run may collect: rootdir/claims and those the arguments name
    (a directory holding the claim test module, or the one it sits in)."""
    candidates = [config.rootpath / "claims"]
    for arg in config.args:
        path = Path(str(arg).split("::")[0])
        path = path if path.is_absolute() else Path(config.invocation_params.dir) / path
        candidates += [path, path / "claims"] if path.is_dir() else [path.parent]
    return [d for d in dict.fromkeys(c.resolve() for c in candidates) if (d / CLAIM_TEST_MODULE).is_file()]


def _check_claim_files(config) -> None:
    """A claim file that cannot be used is one usage error (file, line, the fix) before collection,
    instead of a traceback in every module that loads the claims."""
    for directory in _claim_dirs(config):
        try:
            load_claims(directory)
        except ClaimError as err:
            raise pytest.UsageError(f"bad claim file: {err}") from None


def pytest_collection_finish(session):
    """Before the first claim computes a run, every data read of the selected claims' runs is resolved
    (`repro.preflight`): data that cannot be had is one usage error, not a failure hours later."""
    config = session.config
    if config.getoption("--source") != "engine" or config.getoption("--no-compute"):
        return
    params = [getattr(getattr(item, "callspec", None), "params", {}) for item in session.items
              if Path(str(item.fspath)).name == CLAIM_TEST_MODULE]
    claims = {p["claim"].id: p["claim"] for p in params if "claim" in p}
    if not claims:
        return
    from repro.data import data_source
    from repro.plan import planned_runs
    from repro.preflight import PreflightError, check_reads
    chosen = get_profile(config.getoption("--profile"))
    seeds = config.getoption("--seeds")
    chosen = chosen.with_seeds(seeds) if seeds else chosen
    data = data_source(chosen, config.getoption("--data-dir"))
    try:
        check_reads(data, [run.spec for run in planned_runs(claims.values(), chosen, data,
                                                             seeds_chosen=seeds is not None)])
    except PreflightError as err:
        if not hasattr(config, "workerinput"):
            raise pytest.UsageError(str(err)) from None
        config.stash[PREFLIGHT] = str(err)  # an xdist worker: each claim fails at setup, before any run


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    problem = item.config.stash.get(PREFLIGHT, None)
    if problem and Path(str(item.fspath)).name == CLAIM_TEST_MODULE:
        pytest.fail(problem, pytrace=False)


def pytest_generate_tests(metafunc):
    if "claim" in metafunc.fixturenames:
        claims = load_claims(Path(metafunc.module.__file__).parent)
        metafunc.parametrize("claim", claims, ids=[c.id for c in claims])


@pytest.fixture(scope="session")
def profile(pytestconfig):
    """The selected profile, with the seed count of --seeds if given."""
    chosen = with_tokenizer(get_profile(pytestconfig.getoption("--profile")),
                            explicit(pytestconfig.getoption("--tokenizer"), "tokenizer"))
    seeds = pytestconfig.getoption("--seeds")
    return chosen.with_seeds(seeds) if seeds else chosen


def _explicit_store(config) -> str | None:
    return explicit(config.getoption("--store"), "store")


def _store_path(config) -> Path:
    """The run store: --store, else $REPRO_STORE, else runs/ in the rootdir."""
    return Path(value(config.getoption("--store"), "store", config.rootpath / "runs"))


def _report_dir(config) -> Path:
    """The report directory: --report, else reports/ in the rootdir."""
    return Path(config.getoption("--report") or config.rootpath / "reports")


@functools.cache
def _commit() -> str | None:
    return git_commit()


@pytest.fixture(scope="session")
def engine(pytestconfig, profile):
    """The engine over the shared run store, for the selected profile and data source."""
    built = build_engine(profile, _store_path(pytestconfig), pytestconfig.getoption("--data-dir"),
                         compute=not pytestconfig.getoption("--no-compute"))
    pytestconfig.stash[ENGINE] = built
    return built


@pytest.fixture(scope="session")
def claim_source(request):
    """claim -> ClaimOutcome from the selected --source."""
    if request.config.getoption("--source") == "paper-v1":
        from repro.replay import replay
        return replay
    engine = request.getfixturevalue("engine")
    chosen = request.config.getoption("--seeds") is not None
    return lambda claim: judge_rounds(claim, engine, seeds_chosen=chosen)  # at the look the store holds


def junit_properties(record: dict) -> list[tuple[str, str]]:
    """The claim's id, estimate, 95% interval and verdict as JUnit XML properties ("" when absent)."""
    verdict = record.get("verdict") or {}
    ci = verdict.get("ci95") or [None, None]
    text = lambda value: "" if value is None else str(value)  # noqa: E731
    return [("claim_id", record["claim"]["id"]), ("claim_estimate", text(verdict.get("estimate"))),
            ("claim_ci95_low", text(ci[0])), ("claim_ci95_high", text(ci[1])),
            ("claim_verdict", text(verdict.get("outcome"))), ("claim_profile", text(record.get("profile")))]


@pytest.fixture
def record_claim(request):
    """Attach a judged claim to the test report, for the summary table, the report and JUnit XML;
    after the test, what the run store did meanwhile (runs computed, reused, found damaged)."""
    config = request.config
    from_engine = config.getoption("--source") == "engine"

    def record(outcome):
        entry = judged_record(outcome, source=config.getoption("--source"),
                              store=_store_path(config) if from_engine else None, commit=_commit())
        request.node.user_properties.append((CLAIM_PROPERTY, json.dumps(entry)))
        request.node.user_properties.extend(junit_properties(entry))
    yield record
    # the engine is the session's, built by whichever fixture first asked (claim_source asks only in the
    # session's first test), so it is looked up in the stash, not in this test's fixtures
    built = config.stash.get(ENGINE, None)
    if from_engine and built is not None:
        request.node.user_properties.append((RUNS_PROPERTY, json.dumps(built.store.drain_events())))


class ClaimCollector:
    """Gathers judged claims and run-store events in the controller process and reports them at the end."""

    def __init__(self, config):
        self.config = config
        self.records: list[dict] = []
        self.run_events: list[dict] = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.records += [json.loads(v) for k, v in report.user_properties if k == CLAIM_PROPERTY]
        elif report.when == "teardown":
            for key, value in report.user_properties:
                if key == RUNS_PROPERTY:
                    self.run_events += json.loads(value)

    def pytest_terminal_summary(self, terminalreporter):
        if self.run_events:
            terminalreporter.section("run store")
            for line in run_summary(self.run_events, _store_path(self.config)):
                terminalreporter.write_line(line)
        if not self.records:
            return
        terminalreporter.section("claim verdicts")
        for line in verdict_table(self.records):
            terminalreporter.write_line(line)
        if any(r.get("source") == "paper-v1" for r in self.records):
            from repro.replay import average_inconsistencies
            for bad in average_inconsistencies():
                terminalreporter.write_line(f"{bad['table']}: row {bad['row']} prints avg {bad['printed']:+.1f}, "
                                            f"its own cells give {bad['from_cells']:+.1f}")
        self._write_report(terminalreporter)

    def _write_report(self, terminalreporter):
        """The report of this run's claim parts and those an earlier run judged (marked when they rest on
        another profile, store or commit); if it cannot be written, the records go to a temporary file."""
        directory = _report_dir(self.config)
        try:
            paths, notes = merge_into_report(directory, self.records, _store_path(self.config))
            for note in notes:
                terminalreporter.write_line(note, yellow=note.startswith("warning"))
        except OSError as err:
            fd, keep = tempfile.mkstemp(prefix="repro-claims-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.records, fh, indent=1)
            terminalreporter.write_line(f"error: the report could not be written to {directory} ({err}); "
                                        f"this run's claim records are kept in {keep}", red=True)
            return
        terminalreporter.write_line(f"report: {', '.join(str(p) for p in paths)}")


def merge_into_report(directory, records: list[dict], store) -> tuple[list[Path], list[str]]:
    """Write the report of `records` and of the parts an earlier run judged into `directory`, reading,
    merging and writing under the report's lock, so that runs finishing together keep each other's
    records; (paths written, lines to show: an unreadable report.json kept aside, parts kept)."""
    with report_lock(directory):
        previous, problem = previous_records(directory)
        notes = [f"warning: {problem}"] if problem else []
        merged = merge_records(previous, records)
        notes += [f"{r['claim']['id']}: {differs_note(r)}" for r in merged if differs_note(r)]
        return build_report(merged, directory, store=store), notes


def run_summary(events: list[dict], store: Path) -> list[str]:
    """Runs computed and reused (each counted once), then every damaged run: where its damaged copy
    went, why, and that it was recomputed; then every computed run whose training stopped at a
    non-finite loss (its train_log.json's `non_finite_loss`, repro/divergence.py)."""
    computed = {e["run"] for e in events if e["event"] == "computed"}
    reused = {e["run"] for e in events if e["event"] == "reused"} - computed
    lines = [f"store {store}: {len(computed)} run(s) computed, {len(reused)} reused"]
    for e in events:
        if e["event"] == "damaged":
            again = "recomputed" if e["run"] in computed else "recomputed by another process"
            lines.append(f"damaged run {e['run']}: moved to {e['moved_to']} and {again} ({e['reason']})")
    for name in sorted(computed):
        try:
            record = json.loads((Path(store) / name / "train_log.json").read_text()).get("non_finite_loss")
        except (OSError, ValueError, AttributeError):
            continue  # no training phase (retrieval), or a log the report will name as damaged
        if record:
            lines.append(f"run {name}: training stopped at a non-finite loss at step {record.get('step')} (finite "
                         f"up to step {record.get('last_finite_step')}); the best checkpoint is kept, the report "
                         "lists it")
    return lines

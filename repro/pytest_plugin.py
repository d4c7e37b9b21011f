"""The pytest plugin: options, the claim parametrisation, engine fixtures, verdict table, report.

Loaded by the project's `conftest.py`.  Claim outcomes travel from xdist
workers to the controller as `user_properties`, where the terminal summary and
the report are produced once.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from repro.claims import judge, load_claims
from repro.jobs import build_engine
from repro.profiles import PROFILE_ENV, get_profile
from repro.report import build_report, outcome_record, verdict_table

CLAIM_PROPERTY = "repro_claim"
SOURCES = ("engine", "paper-v1")


def pytest_addoption(parser):
    group = parser.getgroup("repro", "claim reproduction (Phang et al. 2020)")
    group.addoption("--profile", default=None,
                    help=f"profile to run: smoke (default) or paper; also ${PROFILE_ENV}")
    group.addoption("--store", default=None,
                    help="run store directory (default: $REPRO_STORE, else runs/ in the rootdir)")
    group.addoption("--data-dir", default=None,
                    help="local data as <task>/<lang>/<split>.jsonl: on paper what the hub lacks and "
                         "local copies, which win; on smoke every task; also $REPRO_DATA_DIR")
    group.addoption("--seeds", type=int, default=None, help="number of phase-(iii) seeds per configuration")
    group.addoption("--report", default=None, metavar="DIR",
                    help="write the verification report into DIR (default: reports/ in the rootdir)")
    group.addoption("--no-compute", action="store_true",
                    help="judge claims from stored runs only; a missing run is an error")
    group.addoption("--source", choices=SOURCES, default="engine",
                    help="where results come from: engine (runs from the store, computed when missing) or "
                         "paper-v1 (the numbers arXiv v1 prints: point estimates, no intervals)")
    group.addoption("--inconclusive", choices=("fail", "skip"), default="fail",
                    help="an inconclusive verdict fails (default: not verified) or, for exploratory runs, skips")


def pytest_configure(config):
    config.addinivalue_line("markers", "claims: a claim of the paper, judged on the selected profile")
    config.addinivalue_line("markers", "planted: a claim about the planted world, whose truth is known (claims/planted/)")
    config.addinivalue_line("markers", "slow: statistical calibration and end-to-end tiers (still run in CI)")
    try:  # a bad profile or seed count is a usage error, said once, before any test runs
        get_profile(config.getoption("--profile"))
        seeds = config.getoption("--seeds")
        if seeds is not None and seeds < 1:
            raise ValueError(f"--seeds {seeds}: need at least one seed")
    except (KeyError, ValueError) as err:
        raise pytest.UsageError(err.args[0] if err.args else str(err)) from None
    if not hasattr(config, "workerinput"):  # xdist workers send their reports to the controller
        config.pluginmanager.register(ClaimCollector(config), "repro-claim-collector")


def pytest_generate_tests(metafunc):
    if "claim" in metafunc.fixturenames:
        claims = load_claims(Path(metafunc.module.__file__).parent)
        metafunc.parametrize("claim", claims, ids=[c.id for c in claims])


@pytest.fixture(scope="session")
def profile(pytestconfig):
    """The selected profile, with the seed count of --seeds if given."""
    chosen = get_profile(pytestconfig.getoption("--profile"))
    seeds = pytestconfig.getoption("--seeds")
    return chosen.with_seeds(seeds) if seeds else chosen


def _store_path(config) -> Path:
    """The run store: --store, else $REPRO_STORE, else runs/ in the rootdir."""
    return Path(config.getoption("--store") or os.environ.get("REPRO_STORE") or config.rootpath / "runs")


@pytest.fixture(scope="session")
def engine(pytestconfig, profile):
    """The engine over the shared run store, for the selected profile and data source."""
    return build_engine(profile, _store_path(pytestconfig), pytestconfig.getoption("--data-dir"),
                        compute=not pytestconfig.getoption("--no-compute"))


@pytest.fixture(scope="session")
def claim_source(request):
    """claim -> ClaimOutcome from the selected --source."""
    if request.config.getoption("--source") == "paper-v1":
        from repro.paper.replay import replay
        return replay
    engine = request.getfixturevalue("engine")
    chosen = request.config.getoption("--seeds") is not None
    return lambda claim: judge(claim, engine, seeds_chosen=chosen)


@pytest.fixture
def record_claim(request):
    """Attach a judged claim to the test report, for the summary table and the report."""
    def record(outcome):
        request.node.user_properties.append((CLAIM_PROPERTY, json.dumps(outcome_record(outcome))))
    return record


class ClaimCollector:
    """Gathers judged claims in the controller process and reports them at the end."""

    def __init__(self, config):
        self.config = config
        self.records: list[dict] = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.records += [json.loads(v) for k, v in report.user_properties if k == CLAIM_PROPERTY]

    def pytest_terminal_summary(self, terminalreporter):
        if not self.records:
            return
        terminalreporter.section("claim verdicts")
        for line in verdict_table(self.records):
            terminalreporter.write_line(line)
        if any(r.get("source") == "paper-v1" for r in self.records):
            from repro.paper.replay import average_inconsistencies
            for bad in average_inconsistencies():
                terminalreporter.write_line(f"{bad['table']}: row {bad['row']} prints avg {bad['printed']:+.1f}, "
                                            f"its own cells give {bad['from_cells']:+.1f}")
        directory = Path(self.config.getoption("--report") or self.config.rootpath / "reports")
        paths = build_report(self.records, directory, store=_store_path(self.config))
        terminalreporter.write_line(f"report: {', '.join(str(p) for p in paths)}")

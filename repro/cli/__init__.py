"""The `repro` command line: one argparse subcommand per module of this package (score, plan, fetch,
run, report, submit, check-data), sharing the options of `repro.cli.options`."""
from __future__ import annotations

import argparse
import os
import sys

from repro.cli.check_data import add_check_data_parser
from repro.cli.fetch import add_fetch_parser
from repro.cli.plan import add_plan_parser
from repro.cli.report import add_report_parser
from repro.cli.run import add_run_parser
from repro.cli.score import add_score_parser
from repro.cli.submit import add_submit_parser
from repro.errors import ReproError


def main(argv: list[str] | None = None) -> int:
    """Run a `repro` subcommand and return its exit status."""
    parser = argparse.ArgumentParser(prog="repro", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_score_parser(subparsers)
    add_plan_parser(subparsers)
    add_fetch_parser(subparsers)
    add_run_parser(subparsers)
    add_report_parser(subparsers)
    add_submit_parser(subparsers)
    add_check_data_parser(subparsers)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ReproError, FileNotFoundError) as err:
        # bad input or state, named by the project's own errors (unknown profile, task or claim, malformed
        # file, missing or damaged run) or a file given that is absent: one line and exit 2; any other
        # exception is a fault and keeps its traceback.  REPRO_DEBUG=1 shows the traceback here too
        if os.environ.get("REPRO_DEBUG"):
            raise
        message = str(err)
        if isinstance(err, FileNotFoundError) and not isinstance(err, ReproError):  # (errno, text): name the file
            message = f"{err.filename}: {err.strerror}"
        print(f"repro {args.command}: {message} (REPRO_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

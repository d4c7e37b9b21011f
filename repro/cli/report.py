"""`repro report` (also `python -m repro.report`): rebuild the report from stored data, or compare two reports; no training."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from repro.cli.options import add_options, claims_dir, explicit, value
from repro.report.build import build_report
from repro.report.compare import compare_files
from repro.report.judged import check_report_dir, previous_records, report_lock
from repro.report.schema import claim_record, read_report


def add_report_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `report` subcommand to an argparse subparsers object; it runs `args.func(args)`."""
    p = subparsers.add_parser("report", help="rebuild the verification report from stored runs (no training)",
                              description="Rebuild report.md/.html/.json and figures from a run store or a "
                                          "report.json, or compare two report.json files.")
    add_options(p, "store", "profile", "claims", "data_dir", "tokenizer")
    p.add_argument("--out", default="reports", help="output directory (default: reports/)")
    p.add_argument("--from-json", default=None, metavar="REPORT_JSON",
                   help="take the judged claims from this report.json instead of judging them from the store")
    p.add_argument("--compare", nargs=2, metavar=("A_JSON", "B_JSON"),
                   help="print which verdicts changed from A to B, then exit")
    p.add_argument("--paper-dir", default=None, help="paper CSVs (default: $REPRO_PAPER_DIR, else packaged)")
    p.set_defaults(func=run_report)
    return p


def judge_from_store(store: Path, profile_name, claims: Path, data_dir=None, tokenizer=None) -> list[dict]:
    """Judge every claim from runs already in `store` (compute=False, nothing created); claims lacking
    runs are skipped, claims reading a damaged run are recorded as damaged with the reason."""
    from repro import judging
    from repro.claims import load_claims
    from repro.engine import build_engine
    from repro.profiles import get_profile
    from repro.provenance import git_commit
    from repro.report.judged import stamp
    from repro.store import CorruptRunError, MissingRunError

    from repro.models import with_tokenizer
    from repro.rounds import judge_rounds
    engine = build_engine(with_tokenizer(get_profile(profile_name), tokenizer), store, data_dir, compute=False)
    records, commit = [], git_commit()
    for claim in load_claims(claims):
        try:
            outcome = judge_rounds(claim, engine)  # at the look the store holds (repro.rounds)
        except MissingRunError as err:  # the store's own fix names pytest's --no-compute, which report lacks
            print(f"skipped {claim.id}: {str(err).split(';')[0]}; compute it with `repro run` (or pytest -m claims), "
                  "or point --store at a store that has it", file=sys.stderr)
            continue
        except CorruptRunError as err:
            print(f"damaged {claim.id}: {err}", file=sys.stderr)
            outcome = judging.skipped(claim, f"a run it reads is damaged: {err}", profile=engine.profile.name,
                              source="engine", is_evidence=engine.profile.is_evidence, outcome="damaged")
        records.append({**claim_record(outcome),
                        "judged": stamp(profile=outcome.profile, source="engine", store=store, commit=commit)})
    return records


def run_report(args) -> int:
    """Carry out `repro report` for parsed `args`; returns the exit status."""
    if args.compare:
        for line in compare_files(*args.compare):
            print(line)
        return 0
    check_report_dir(args.out, "--out")  # a file in the way is refused before any judging
    previous = None
    if args.from_json:  # a store is optional: without one the JSON supplies the tables
        previous = read_report(args.from_json)
        records = previous["claims"]
        store = explicit(args.store, "store")
    else:
        store = value(args.store, "store")
    if store is not None and not Path(store).is_dir():
        print(f"repro report: no run store at {store}; give --store DIR (or $REPRO_STORE), or --from-json "
              "report.json", file=sys.stderr)
        return 2
    if previous is None:
        records = judge_from_store(Path(store), args.profile, claims_dir(args.claims),
                                   args.data_dir, explicit(args.tokenizer, "tokenizer"))
    with report_lock(args.out):
        _, problem = previous_records(args.out)  # an unreadable or foreign report.json is kept aside first
        if problem:
            print(f"repro report: warning: {problem}", file=sys.stderr)
        paths = build_report(records, args.out, store=store, paper_dir=args.paper_dir, previous=previous)
    print("report: " + ", ".join(str(p) for p in paths))
    return 0


def main(argv=None) -> int:
    """Stand-alone entry point: `python -m repro.report ...` (same options as `repro report`)."""
    parser = argparse.ArgumentParser(prog="repro")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)

"""`repro check-data`: every target's own preprocessing over the real rows of a data directory in
XTREME's download layout, with a tokenizer, checked against its tolerances (`repro.datacheck`)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from repro.cli.options import add_options, explicit


def add_check_data_parser(subparsers) -> None:
    p = subparsers.add_parser("check-data", help="run every target's preprocessing over real rows and check it")
    add_options(p, "profile", "data_dir", "tokenizer")
    p.add_argument("-k", dest="select", default="", help="only tasks whose name contains this text")
    p.add_argument("--rows", type=int, default=1000,
                   help="rows checked per file, its first (default 1000; 0: every row, several minutes on 2 cores)")
    p.add_argument("--json", action="store_true", help="print one JSON object (every check) instead of the table")
    p.set_defaults(func=run_check_data)


def run_check_data(args) -> int:
    """Print the checks (table or JSON); 0 when every tolerance holds, 1 when one is broken, 2 on bad input."""
    from repro import xtreme_layout
    from repro.data import data_source
    from repro.datacheck import run_checks, table
    from repro.models import fixture_tokenizer, load_tokenizer
    from repro.profiles import get_profile

    from transformers.utils import logging
    logging.set_verbosity_error()  # long contexts are windowed, not fed whole: the length warning misleads
    started = time.time()
    data_dir = explicit(args.data_dir, "data_dir")
    if data_dir is None:
        print("repro check-data: give --data-dir DIR (or $REPRO_DATA_DIR), a folder in XTREME's download layout",
              file=sys.stderr)
        return 2
    profile = get_profile(args.profile or "paper")
    data = data_source(get_profile("paper"), data_dir)  # the hub source: real rows first, nothing synthesised
    if not xtreme_layout.detect(Path(data_dir)):
        print(f"repro check-data: {data_dir} holds no file of XTREME's download layout (xnli/dev-en.tsv, "
              "udpos/train-en.tsv, xquad/xquad.en.json, ...): point --data-dir at the folder download_data.sh "
              "wrote", file=sys.stderr)
        return 2
    folder = explicit(args.tokenizer, "tokenizer")
    tokenizer = load_tokenizer(folder) if folder else fixture_tokenizer()
    if args.rows < 0:
        print(f"repro check-data: --rows {args.rows}: give a count of rows per file, or 0 for all", file=sys.stderr)
        return 2
    checks = run_checks(data, tokenizer, profile, args.select, args.rows)
    problems = [p for c in checks for p in c.problems]
    if args.json:
        print(json.dumps({"data_dir": str(data_dir), "tokenizer": folder or "fixture", "profile": profile.name,
                          "rows": args.rows,
                          "seconds": round(time.time() - started, 1), "problems": problems,
                          "checks": [c.record() for c in checks]}, indent=1, sort_keys=True))
    else:
        print(table(checks))
        print(f"\n{len(checks)} checks of {len({c.task for c in checks})} tasks in {time.time() - started:.0f} s; "
              f"tokenizer {folder or 'fixture'}, max lengths of profile {profile.name}")
        for c in checks:
            for failure in c.failures:
                print(f"  {c.task} {c.lang} {c.split}: {failure}")
            for limit in c.tokenizer_limits:
                print(f"  {c.task} {c.lang} {c.split}: tokenizer-limited {limit}")
    for problem in problems:
        print(f"tolerance broken: {problem}", file=sys.stderr)
    return 1 if problems else 0

"""`repro score`: score an XTREME submission against gold labels, like XTREME's evaluate.py."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from repro.scoring import ScoringError, score, scored_tasks


def add_score_parser(subparsers) -> None:
    """Register the `score` subcommand on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "score",
        help="score an XTREME submission against gold labels",
        description="Score predictions like XTREME's evaluate.py and print JSON to stdout.",
    )
    parser.add_argument("task", metavar="TASK", help=f"one of {', '.join(scored_tasks())}")
    parser.add_argument("--predictions", required=True, type=Path, help="a test-LANG file or a directory of them")
    parser.add_argument("--labels", required=True, type=Path, help="the matching gold file or directory")
    parser.add_argument("--lang", help="the language of a single file, or the one language to score in directories")
    parser.add_argument("--unknown-labels", choices=("error", "wrong"), default="error",
                        help="a predicted label outside the task's label set: an error naming it and its line "
                             "(default), or scored as wrong, as XTREME's evaluate.py does")
    parser.set_defaults(func=run_score)


def run_score(args: argparse.Namespace) -> int:
    """Print the scores as JSON; on bad input print the reason to stderr and return 2."""
    try:
        result = score(args.task, args.predictions, args.labels, lang=args.lang,
                       unknown_labels=args.unknown_labels)
    except ScoringError as err:
        print(f"repro score: error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1, ensure_ascii=False))
    return 0

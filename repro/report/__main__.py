"""`python -m repro.report ...`: an entry point, the same as `repro report ...` (repro.cli)."""
import sys

from repro.cli import main

sys.exit(main(["report", *sys.argv[1:]]))

"""`python -m repro.report`: the `repro report` subcommand without the main CLI."""
import sys

from repro.report.cli import main

sys.exit(main())

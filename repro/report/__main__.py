"""`python -m repro.report`: the `repro report` subcommand without the main CLI."""
import sys

from repro.cli.report import main

sys.exit(main())

"""The options the commands share (store, profile, data directory, claims directory, seeds), with
their environment variables: one table used by `repro plan`, `run`, `report` and the pytest plugin."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from repro.errors import UsageError
from repro.profiles import PROFILE_ENV

REPO = Path(__file__).resolve().parents[2]
STORE_ENV, DATA_ENV = "REPRO_STORE", "REPRO_DATA_DIR"


@dataclass(frozen=True)
class Option:
    """One shared option: its flag, the environment variable it falls back to, and its default."""

    flag: str
    help: str
    env: str | None = None
    default: str | None = None
    type: type = str

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS = {
    "store": Option("--store", f"run store directory (default: ${STORE_ENV}, else {{default}}/)", STORE_ENV, "runs"),
    "profile": Option("--profile", f"profile: smoke (default), paper or rehearsal; also ${PROFILE_ENV}",
                      PROFILE_ENV),  # repro.profiles.get_profile reads the variable
    "data_dir": Option("--data-dir", "local data as <task>/<lang>/<split>.jsonl: on paper what the hub lacks and "
                                     f"local copies, which win; on smoke every task; also ${DATA_ENV}", DATA_ENV),
    "claims": Option("--claims", "directory of claim TOML files (default: ./claims if it exists, else the "
                                 "repository's claims/)", None),
    "tokenizer": Option("--tokenizer", "a tokenizer folder AutoTokenizer loads offline, for the tiny model of "
                                       "smoke and rehearsal (its embedding gets the tokenizer's size); also "
                                       "$REPRO_TOKENIZER", "REPRO_TOKENIZER"),
    "seeds": Option("--seeds", "number of phase-(iii) seeds per configuration", type=int),
}


def add_options(parser, *names: str, **defaults) -> None:
    """Add the shared options `names` to an argparse parser or a pytest option group (`defaults`
    overrides a default, e.g. claims=...); every value is None unless given, see `value`."""
    add = getattr(parser, "add_argument", None) or parser.addoption
    for name in names:
        opt = OPTIONS[name]
        text = opt.help.format(default=defaults.get(name, opt.default))
        add(opt.flag, dest=opt.dest, default=None, type=opt.type, help=text)


def explicit(given, name: str):
    """Shared option `name` as `given` on the command line, else its environment variable, else None;
    ValueError for an empty value (`--store=`), which would silently mean the working directory."""
    check_not_empty(given, name)
    env = OPTIONS[name].env
    return given if given is not None else (os.environ.get(env) or None) if env else None


def check_not_empty(given, name: str) -> None:
    """ValueError naming the option when it was given as an empty string."""
    if isinstance(given, str) and not given.strip():
        flag = OPTIONS[name].flag
        raise UsageError(f"{flag} is empty: give it a directory (e.g. {flag}=runs), or leave it out for the default")


def value(given, name: str, default=None):
    """Shared option `name`: `explicit`, else `default` (None: the option's own default)."""
    found = explicit(given, name)
    if found is not None:
        return found
    return OPTIONS[name].default if default is None else default


def claims_dir(given) -> Path:
    """--claims, else ./claims when it exists, else the claims/ of the checkout this package runs from."""
    if given is not None:
        return Path(given)
    here = Path("claims")
    return here if here.is_dir() else REPO / "claims"


def seeds_count(given) -> int | None:
    """--seeds as a count of at least one; ValueError naming the fix otherwise."""
    if given is not None and given < 1:
        raise UsageError(f"--seeds {given}: need at least one seed")
    return given

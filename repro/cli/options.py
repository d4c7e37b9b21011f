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
    "runs_file": Option("--runs-file", "only the runs this file names, one run folder name a line, as `repro plan "
                                       "--next-round --runs-file FILE` writes the sequential design's next round"),
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


def read_runs_file(path, runs) -> list:
    """The planned `runs` that the file at `path` names (one run folder name a line; blank lines and
    `#` comments skipped), in plan order; UsageError naming the file and the fix when it cannot be read
    or names a run the selected claims do not plan."""
    try:
        names = [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"--runs-file {path}: cannot read it ({err}); write it with "
                         "`repro plan --next-round --runs-file FILE`") from None
    names = [n for n in names if n and not n.startswith("#")]
    known = {run.name for run in runs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"--runs-file {path}: {len(unknown)} name(s) the selected claims do not plan, e.g. "
                         f"{unknown[0]!r}; select the claims it was written for (-k) and the same --profile, or "
                         "write it again with `repro plan --next-round --runs-file FILE`")
    wanted = set(names)
    return [run for run in runs if run.name in wanted]


def planned_with_runs_file(claims, profile, data, args) -> list:
    """`repro run`/`repro submit`'s planned runs: the claims' runs at the profile's seeds (`--seeds`), or with
    `--runs-file` the runs it names among those of every look of the sequential design."""
    from repro.plan import planned_runs
    path = explicit(getattr(args, "runs_file", None), "runs_file")
    if path is None:
        return planned_runs(claims, profile, data, seeds_chosen=bool(args.seeds))
    if profile.sequential is not None and not seeds_count(args.seeds):
        profile = profile.with_seeds(profile.sequential.looks[-1])
    return read_runs_file(path, planned_runs(claims, profile, data, seeds_chosen=True))

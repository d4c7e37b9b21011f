"""The one base of the project's errors: every error it raises on bad input or state is a `ReproError`,
whose message says what is wrong and how to fix it, so the command line shows it as one line.

Each subclass also keeps the built-in class it replaced (ValueError, KeyError, LookupError), so
code that caught those still does.  Registry lookups are `KeyError`s: `UnknownName`.
"""
from __future__ import annotations


class ReproError(Exception):
    """A problem with the input or the state the user can fix; the message names it and the fix."""

    def __str__(self) -> str:  # a KeyError subclass would otherwise show its message quoted
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class UnknownName(ReproError, KeyError):
    """A name a registry or table does not hold (a task, profile, configuration, sample, language)."""


class ClaimError(ReproError, ValueError):
    """A claim file that cannot be used."""


class UsageError(ReproError, ValueError):
    """A bad option, environment variable or setting: the message names it and what to give instead."""


class MissingFile(ReproError, FileNotFoundError):
    """A file the project ships or needs that is absent: the message says how to make it."""

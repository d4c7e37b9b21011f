"""A named registry with a read-only view, lookups that list what is known, and registration for a block.

Tasks (`repro.tasks`) and claim kinds (`repro.kinds`) each keep one; a test's toy task or kind is
registered for the length of its `with` block and removed after.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Generic, TypeVar

from repro.errors import ReproError, UnknownName

T = TypeVar("T")


class NameClash(ReproError, ValueError):
    """An entry registered under a name that is taken."""


class Registry(Generic[T]):
    """Entries of type `kind` by their `.name`; `what` names them in messages ("task", "claim kind")."""

    def __init__(self, what: str, kind: type, entries, unknown: type[UnknownName] = UnknownName,
                 clash: type[ReproError] = NameClash) -> None:
        self.what, self.kind, self.unknown, self.clash = what, kind, unknown, clash
        self._entries: dict[str, T] = {e.name: e for e in entries}
        self.view: Mapping[str, T] = MappingProxyType(self._entries)  # shows registered entries too

    def get(self, name: str) -> T:
        """The entry `name`; `unknown` listing the known names otherwise."""
        try:
            return self._entries[name]
        except KeyError:
            raise self.unknown(f"unknown {self.what} {name!r}; known {self.what}s: "
                               f"{', '.join(sorted(self._entries))}") from None

    @contextmanager
    def register(self, entry: T, check: Callable[[T], None] = lambda e: None) -> Iterator[T]:
        """Add `entry` for the `with` block and remove it after; `clash` if its name is taken. `check`
        raises on an entry this registry must refuse (before anything is added)."""
        if not isinstance(entry, self.kind) or not getattr(entry, "name", ""):
            raise TypeError(f"register takes a named {self.kind.__module__}.{self.kind.__name__}, "
                            f"got {type(entry).__name__}")
        name = entry.name  # type: ignore[attr-defined]
        if name in self._entries:
            raise self.clash(f"a {self.what} named {name!r} is registered already; "
                             f"give the new {self.what} another name")
        check(entry)
        self._entries[name] = entry
        try:
            yield entry
        finally:
            if self._entries.get(name) is entry:
                del self._entries[name]

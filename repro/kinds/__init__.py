"""The claim kinds: one object each (`repro.kinds.base.ClaimKind`), one module each, in one registry.

A claim file's `kind` names one; claims, judging, the `paper-v1` replay and the report ask it for
everything kind-specific.  `register(kind)` adds one for a `with` block (a toy kind in a test).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import MappingProxyType

from repro.claim_types import COMMON_FIELDS
from repro.errors import ReproError, UnknownName
from repro.kinds import beats, best, best_per_target, improves, magnitude, no_benefit, setup
from repro.kinds.base import BANDS, ClaimKind, DifferenceKind, Evidence, Judgement

_REGISTRY: dict[str, ClaimKind] = {k.name: k for k in (
    no_benefit.KIND, magnitude.KIND, improves.KIND, beats.KIND, best.KIND, best_per_target.KIND, setup.KIND)}
KINDS = MappingProxyType(_REGISTRY)  # a read-only view: it shows registered kinds too


class UnknownKind(UnknownName):
    """A claim kind the registry does not hold."""


class KindClash(ReproError, ValueError):
    """A kind registered under a name that is taken."""


def get_kind(name: str) -> ClaimKind:
    """The registered claim kind `name`; UnknownKind listing the known ones otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(f"unknown claim kind {name!r}; one of {', '.join(KINDS)}") from None


@contextmanager
def register(kind: ClaimKind) -> Iterator[ClaimKind]:
    """Register `kind` for the `with` block (`with register(toy): ...`) and remove it after;
    KindClash if a kind of that name is registered already."""
    if not isinstance(kind, ClaimKind) or not kind.name:
        raise TypeError(f"register takes a named repro.kinds.ClaimKind, got {type(kind).__name__}")
    if kind.name in _REGISTRY:
        raise KindClash(f"a claim kind named {kind.name!r} is registered already; give the new kind another name")
    shadowed = sorted(set(kind.own_fields) & set(COMMON_FIELDS))
    if shadowed:
        raise KindClash(f"claim kind {kind.name!r}: own field(s) {', '.join(shadowed)} are common claim fields; "
                        "use them as they are (list them in `fields` to require them) or choose other names")
    if kind.band not in BANDS:
        raise ValueError(f"claim kind {kind.name!r}: band {kind.band!r} is none of {', '.join(BANDS)}")
    _REGISTRY[kind.name] = kind
    try:
        yield kind
    finally:
        if _REGISTRY.get(kind.name) is kind:
            del _REGISTRY[kind.name]


__all__ = ["BANDS", "KINDS", "ClaimKind", "DifferenceKind", "Evidence", "Judgement", "KindClash", "UnknownKind",
           "get_kind", "register"]

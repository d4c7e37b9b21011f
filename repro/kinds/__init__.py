"""The claim kinds: one object each (`repro.kinds.base.ClaimKind`), one module each, in one registry.

A claim file's `kind` names one; claims, judging, the `paper-v1` replay and the report ask it for
everything kind-specific.  `register(kind)` adds one for a `with` block (a toy kind in a test).
"""
from __future__ import annotations

from repro.claim_types import COMMON_FIELDS
from repro.errors import UnknownName
from repro.kinds import beats, best, best_per_target, improves, magnitude, no_benefit, setup
from repro.kinds.base import BANDS, ClaimKind, DifferenceKind, Evidence, Judgement
from repro.registry import NameClash, Registry


class UnknownKind(UnknownName):
    """A claim kind the registry does not hold."""


class KindClash(NameClash):
    """A kind registered under a name that is taken, or whose own fields shadow common ones."""


_KINDS: Registry[ClaimKind] = Registry("claim kind", ClaimKind, (
    no_benefit.KIND, magnitude.KIND, improves.KIND, beats.KIND, best.KIND, best_per_target.KIND, setup.KIND),
    unknown=UnknownKind, clash=KindClash)
KINDS = _KINDS.view
get_kind = _KINDS.get


def _refuse(kind: ClaimKind) -> None:
    """KindClash for own fields that shadow common claim fields; ValueError for an unknown band."""
    shadowed = sorted(set(kind.own_fields) & set(COMMON_FIELDS))
    if shadowed:
        raise KindClash(f"claim kind {kind.name!r}: own field(s) {', '.join(shadowed)} are common claim fields; "
                        "use them as they are (list them in `fields` to require them) or choose other names")
    if kind.band not in BANDS:
        raise ValueError(f"claim kind {kind.name!r}: band {kind.band!r} is none of {', '.join(BANDS)}")


def register(kind: ClaimKind):
    """Register `kind` for the `with` block (`with register(toy): ...`) and remove it after;
    KindClash if a kind of that name is registered already."""
    return _KINDS.register(kind, _refuse)


__all__ = ["BANDS", "KINDS", "ClaimKind", "DifferenceKind", "Evidence", "Judgement", "KindClash", "UnknownKind",
           "get_kind", "register"]

"""repro.registry: lookups that list the known names, registration for a `with` block, refusals."""
from dataclasses import dataclass

import pytest

from repro.errors import ReproError, UnknownName
from repro.registry import NameClash, Registry


@dataclass(frozen=True)
class Entry:
    name: str


def test_lookup_registration_and_removal():
    reg = Registry("widget", Entry, (Entry("b"), Entry("a")))
    assert reg.get("a") == Entry("a") and list(reg.view) == ["b", "a"]
    with pytest.raises(UnknownName, match="unknown widget 'c'; known widgets: a, b"):
        reg.get("c")
    with reg.register(Entry("c")) as c:
        assert reg.get("c") is c and "c" in reg.view
        with pytest.raises(NameClash, match="widget named 'c' is registered already; give the new widget another"):
            with reg.register(Entry("c")):
                pass
    assert "c" not in reg.view
    with pytest.raises(TypeError, match="register takes a named .*Entry, got str"):
        with reg.register("d"):
            pass
    with pytest.raises(TypeError):
        with reg.register(Entry("")):
            pass


def test_a_refused_entry_is_never_added_and_an_error_inside_the_block_still_removes_it():
    reg = Registry("widget", Entry, ())

    def refuse(e):
        raise ReproError(f"{e.name} refused")

    with pytest.raises(ReproError, match="x refused"):
        with reg.register(Entry("x"), refuse):
            pass
    assert dict(reg.view) == {}
    with pytest.raises(RuntimeError):
        with reg.register(Entry("y")):
            raise RuntimeError("inside")
    assert dict(reg.view) == {}
    with pytest.raises(TypeError):
        reg.view["z"] = Entry("z")  # the view is read-only

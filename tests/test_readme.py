"""README.md is what a newcomer reads first: short, the two commands at the top and true, and a link to
every document in docs/ (each link to a local file resolves)."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINES = README.splitlines()
# [text](target) links, without the #anchor; external links and pure anchors are left out
LOCAL_LINKS = [m.split("#")[0] for m in re.findall(r"\]\(([^)\s]+)\)", README)
               if not re.match(r"[a-z]+://", m) and not m.startswith("#")]
INSTALL_AND_JUDGE = ("python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0 && "
                     "pip install -e '.[test]' && HF_HUB_OFFLINE=1 pytest -m claims -n auto")
TESTS = "bash .ci/run"


def test_readme_is_at_most_200_lines():
    assert len(LINES) <= 200, f"README.md has {len(LINES)} lines; move detail to docs/ and link it"


def test_the_two_commands_are_in_the_first_30_lines():
    assert INSTALL_AND_JUDGE in LINES[:30] and TESTS in LINES[:30]


def test_the_two_commands_are_true():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "test" in pyproject["project"]["optional-dependencies"]  # pip install -e '.[test]'
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q torch==2.13.0" in ci and "pip install -q -e '.[test]'" in ci  # CI installs the same way
    torch = next(d for d in pyproject["project"]["dependencies"] if d.startswith("torch"))
    assert torch == "torch>=2.3,<2.14"  # 2.13.0 within the declared range: change both together
    # `pytest -m claims -n auto` on an installed checkout: the plugin is an entry point, xdist a test extra
    assert pyproject["project"]["entry-points"]["pytest11"] == {"repro.pytest_plugin": "repro.pytest_plugin"}
    assert any(d.startswith("pytest-xdist") for d in pyproject["project"]["optional-dependencies"]["test"])


def test_every_document_in_docs_is_linked_from_the_readme():
    docs = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")}
    assert docs and docs <= set(LOCAL_LINKS), f"not linked from README.md: {sorted(docs - set(LOCAL_LINKS))}"


def test_every_local_link_resolves():
    missing = [link for link in LOCAL_LINKS if not (ROOT / link).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_every_local_link_between_the_docs_resolves():
    missing = []
    for doc in (ROOT / "docs").glob("*.md"):
        for link in re.findall(r"\]\(([^)\s]+)\)", doc.read_text(encoding="utf-8")):
            target = link.split("#")[0]
            if target and not re.match(r"[a-z]+://", target) and not (doc.parent / target).exists():
                missing.append(f"{doc.name}: {link}")
    assert not missing, missing

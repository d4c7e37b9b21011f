"""Data flows one way: no module of `repro` imports one from a higher layer (docs/architecture.md).

Imports are read with `ast` from the source, function-level ones included, so a lazy import that
climbs counts as one that does.  Every module must be placed in a layer: a new module is placed here
(and in docs/architecture.md) when it is added.
"""
import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# lowest first; a module's layer is that of the longest prefix listed (a package covers its modules;
# "repro" alone is the package's own __init__)
LAYERS = (
    ("foundation", ("repro.errors", "repro.registry")),
    ("data and registry", (
        "repro.profiles", "repro.spec", "repro.tasks", "repro.metrics", "repro.fixtures", "repro.paper",
        "repro.hub_schemas", "repro.fingerprint", "repro.xtreme_layout", "repro.data", "repro.data_requests",
        "repro.lengths", "repro.models", "repro.protocol", "repro.provenance", "repro.batching",
        "repro.distributed", "repro.interrupt", "repro.early_stopping", "repro.divergence", "repro.schedule",
        "repro.claim_types", "repro.scoring", "repro.evaluate_metrics", "repro.mixture", "repro.stats.sequential")),
    ("stats and store", ("repro.stats", "repro.store", "repro.checkpoints", "repro.outcomes", "repro.results")),
    ("plan and engine", ("repro.plan", "repro.cost", "repro.engine", "repro.eval_cache", "repro.multitask",
                         "repro.preflight", "repro.datacheck", "repro.planted")),
    ("judging", ("repro.kinds", "repro.claims", "repro.comparators", "repro.setup_checks", "repro.judging",
                 "repro.replay", "repro.rounds")),
    ("report", ("repro.report",)),
    # entry points (`python -m ...`) sit with the command line they start
    ("CLI and plugin", ("repro", "repro.cli", "repro.pytest_plugin", "repro.pytest_rootdir", "repro.__main__",
                        "repro.report.__main__", "repro.cluster", "repro.metric_cards")),
)


def modules(root: Path) -> dict[str, Path]:
    """Every module under the package folder `root`, by dotted name."""
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(path: Path, known: dict) -> set[str]:
    """The package's modules that `path` imports, anywhere in it (the longest known prefix of each name)."""
    def resolve(name):
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {resolve(a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {resolve(f"{node.module}.{a.name}") for a in node.names}
    return names - {None}


def layer(module: str) -> int | None:
    """The index of `module`'s layer in LAYERS (the longest listed prefix decides); None if unplaced."""
    best, index = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            covers = module == prefix or (prefix != "repro" and module.startswith(prefix + "."))
            if covers and len(prefix) > best:
                best, index = len(prefix), i
    return index


def violations(root: Path) -> list[str]:
    """One line per import that climbs to a higher layer, and per module no layer holds."""
    known = modules(root)
    lines = [f"{m}: in no layer; place it in tests/test_layers.py LAYERS and docs/architecture.md"
             for m in sorted(known) if layer(m) is None]
    for module, path in sorted(known.items()):
        own = layer(module)
        for dep in sorted(imported(path, known)):
            theirs = layer(dep)
            if own is not None and theirs is not None and theirs > own and dep != module:
                lines.append(f"{module} ({LAYERS[own][0]}) imports {dep} ({LAYERS[theirs][0]})")
    return lines


def test_no_module_imports_one_from_a_higher_layer():
    assert violations(REPO / "repro") == []


def test_a_planted_climbing_import_is_found(tmp_path):
    package = tmp_path / "repro"
    for folder in ("stats", "report"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "stats" / "sneaky.py").write_text("def f():\n    from repro.report import build\n")
    (package / "report" / "build.py").write_text("from repro.stats import sneaky\n")  # downward: fine
    (package / "unplaced_module.py").write_text("")
    found = violations(package)
    assert found == ["repro.unplaced_module: in no layer; place it in tests/test_layers.py LAYERS and "
                     "docs/architecture.md",
                     "repro.stats.sneaky (stats and store) imports repro.report.build (report)"]


def test_the_documented_layers_are_the_tested_ones():
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name, prefixes in LAYERS:
        assert name in text and all(f"`{p}`" in text for p in prefixes), name


def test_plan_and_cost_never_import_transformers():
    code = ("import sys, repro.plan, repro.cost, repro.claims; "
            "print(sorted(m for m in ('transformers', 'torch', 'datasets') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"

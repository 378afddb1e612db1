"""The package's shape: data flows one way, and the public API is what the docs say.

The layers below are the rule in ``docs/architecture.md``: a module may import only from
its own unit or from units of a lower layer. A new top-level module must be placed here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import geoplan

PACKAGE = Path(geoplan.__file__).resolve().parent

#: Bottom to top. Units in one layer do not import each other.
LAYERS: list[set[str]] = [
    {"_errors", "settings"},
    {"_common"},  # atomic writes, text decoding, dates, planners' words, cell escaping
    {"catalogue", "crs", "styles"},  # layer kinds; coordinate systems; how kinds are drawn
    {"io", "plan"},  # reading files; the plan register
    {"store"},  # the database: stores plan, layers, records, snapshots; computes nothing
    {"layers"},  # reading and validating layers (from files or the store)
    {"records", "raster"},  # the progress log (joined to layers); rasters
    {"datasets"},  # the bundled sample and "None means the sample"
    {"metrics"},  # figures, scorecard, history
    {"maps"},
    {"report"},
    {"demo"},
    {"cli"},
    {"__main__"},
]
LEVEL = {unit: i for i, units in enumerate(LAYERS) for unit in units}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports() -> list[tuple[str, str, str]]:
    """(importing module, imported module, where) for every geoplan import at run time."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        module = ".".join(parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.lineno in skip:
                continue
            if node.level:
                base = parts if is_pkg else parts[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("geoplan"):
                continue
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            found += [(module, name, f"{rel}.py:{node.lineno}") for name in names]
    return found


def test_every_top_level_module_has_a_place_in_the_layers():
    units = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()
    }
    unplaced = sorted(units - set(LEVEL) - {"__init__"})
    assert unplaced == [], f"place these in tests/test_architecture.py LAYERS: {unplaced}"


def test_imports_flow_one_way():
    wrong = []
    for module, target, where in _imports():
        a, b = _unit(module), _unit(target)
        if a == b or b in ("", "__version__"):  # the package root (its version) is fine
            continue
        if a not in LEVEL or b not in LEVEL:
            continue  # reported by the test above
        if LEVEL[b] >= LEVEL[a]:
            wrong.append(f"{where}: {a} imports {b}")
    assert wrong == [], "upstream imports downstream:\n" + "\n".join(wrong)


def test_the_import_reader_sees_the_real_edges():
    # the rule is not vacuous: known imports are found, the cycles of old are gone
    edges = {(_unit(m), _unit(t)) for m, t, _ in _imports()}
    assert {("report", "metrics"), ("maps", "metrics"), ("layers", "store")} <= edges
    assert {("metrics", "report"), ("store", "metrics"), ("raster", "metrics")}.isdisjoint(edges)
    assert {("maps", "report"), ("layers", "records")}.isdisjoint(edges)


def test_lazy_names_match_the_typed_imports():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    typed = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in node.body
        if isinstance(child, ast.ImportFrom)
        for alias in child.names
    }
    assert typed == set(geoplan._LAZY)


def test_documented_names_are_exported():
    for name in ("PlanWarning", "OutputError", "CheckReport", "Issue", "datasets", "settings"):
        assert name in geoplan.__all__
        assert getattr(geoplan, name) is not None
    assert issubclass(geoplan.PlanWarning, UserWarning)

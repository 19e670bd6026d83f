"""The package's shape (ARCHITECTURE.md): layers that import one way, no import loops, small modules.

Imports are read with `ast` from the source, lazy ones inside functions included, so the shape cannot
decay silently. `python tests/test_architecture.py` prints the import graph, layer by layer.
"""

import ast
from pathlib import Path

import pytest

from helpers import loaded_by

PACKAGE = Path(__file__).resolve().parent.parent / "shoefit"

# Which layers each layer may import (itself always). shoefit/__init__.py is the package's face.
MAY_IMPORT = {
    "core": set(),
    "batch": {"core"},
    "store": {"core"},
    "calibrate": {"core"},
    "config": {"core"},
    "web": {"core", "batch", "store", "config"},
    "cli": {"core", "batch", "store", "config", "web", "calibrate"},
    "face": {"web"},
}
# Libraries only some layers may use: the web framework belongs to the web layer alone, and the core
# (one runner) touches no database, batch file format or cluster.
ONLY_IN = {
    "flask": {"web"},
    "flask_smorest": {"web"},
    "flask_cors": {"web"},
    "flask_limiter": {"web"},
    "werkzeug": {"web"},
    # flask-limiter's parser of limits: the service's, and config's check of SHOEFIT_RATE_LIMIT.
    "limits": {"web", "config"},
    "sqlalchemy": {"store", "web", "cli"},
    "alembic": {"store"},
    "pyarrow": {"batch"},
    "dask": {"batch"},
    "distributed": {"batch"},
}
MAX_LINES = 300


def layer_of(module):
    parts = module.split(".")
    if parts == ["shoefit"]:
        return "face"
    return parts[1] if parts[1] in MAY_IMPORT else None


def modules(package):
    """{dotted module name: path} of every Python file under `package`."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(module, path, known):
    """[(imported name, line)] of `module`: shoefit modules resolved to their dotted names, libraries by top name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                found.append((submodule if submodule in known else origin, node.lineno))
    return [(name if name.split(".")[0] == "shoefit" else name.split(".")[0], line) for name, line in found]


def graph(package):
    """{module: {imported shoefit module: first line}}, and [(module, library, line)]."""
    known = modules(package)
    edges, libraries = {}, []
    for module, path in known.items():
        edges[module] = {}
        for name, line in imports(module, path, known):
            if name.startswith("shoefit"):
                if name != module:
                    edges[module].setdefault(name, line)
            else:
                libraries.append((module, name, line))
    return edges, libraries


def forbidden_edges(package):
    edges, libraries = graph(package)
    found = []
    for module, targets in edges.items():
        mine = layer_of(module)
        for target, line in targets.items():
            theirs = layer_of(target)
            if theirs != mine and theirs not in MAY_IMPORT.get(mine, set()):
                found.append(f"{module}:{line} ({mine}) imports {target} ({theirs})")
    for module, library, line in libraries:
        if library in ONLY_IN and layer_of(module) not in ONLY_IN[library]:
            found.append(f"{module}:{line} ({layer_of(module)}) imports {library}, which only {ONLY_IN[library]} may")
    return found


def loops(package):
    """Every import loop between modules, each as the list of modules it runs through."""
    edges, _ = graph(package)
    found, state = [], {}

    def visit(module, trail):
        state[module] = "open"
        for target in edges.get(module, {}):
            if state.get(target) == "open":
                found.append(trail[trail.index(target) :] + [target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in edges:
        if module not in state:
            visit(module, [module])
    return found


def test_layers_import_one_way():
    assert forbidden_edges(PACKAGE) == []


def test_no_import_loops():
    assert loops(PACKAGE) == []


def test_every_module_belongs_to_a_layer():
    assert [m for m in modules(PACKAGE) if layer_of(m) is None] == []


def test_no_module_is_over_the_size_limit():
    sizes = {module: len(path.read_text().splitlines()) for module, path in modules(PACKAGE).items()}
    assert {module: n for module, n in sizes.items() if n > MAX_LINES} == {}


def test_importing_the_core_the_batch_engine_the_store_and_the_cli_does_not_load_flask():
    modules = (
        "shoefit",
        "shoefit.core.recommender",
        "shoefit.batch.score_file",
        "shoefit.store.fittings",
        "shoefit.cli",
    )
    assert loaded_by(modules, ("flask", "flask_smorest", "werkzeug")) == []


# ------------------------------------------------------------------ the checker itself can fail


def write_tree(root, files):
    for name, text in files.items():
        path = root / "shoefit" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "shoefit"


@pytest.mark.parametrize(
    ("files", "wanted"),
    [
        (
            {"core/a.py": "from ..web import app\n", "web/app.py": ""},
            "shoefit.core.a:1 (core) imports shoefit.web.app (web)",
        ),
        ({"batch/a.py": "def f():\n    from ..store import s\n", "store/s.py": ""}, "imports shoefit.store.s (store)"),
        (
            {"store/a.py": "from shoefit.batch.engine import x\n", "batch/engine.py": ""},
            "(store) imports shoefit.batch",
        ),
        ({"core/a.py": "import flask\n"}, "shoefit.core.a:1 (core) imports flask"),
        ({"batch/a.py": "from werkzeug.http import quote_etag\n"}, "(batch) imports werkzeug"),
        ({"core/a.py": "import pyarrow.csv\n"}, "(core) imports pyarrow"),
    ],
)
def test_a_forbidden_import_is_caught(tmp_path, files, wanted):
    found = forbidden_edges(write_tree(tmp_path, {"__init__.py": "", **files}))
    assert any(wanted in line for line in found), found


def test_an_import_loop_is_caught_also_through_a_lazy_import(tmp_path):
    package = write_tree(
        tmp_path,
        {
            "__init__.py": "",
            "batch/__init__.py": "",
            "batch/a.py": "from . import b\n",
            "batch/b.py": "def f():\n    from .a import g\n",
        },
    )
    assert loops(package) == [["shoefit.batch.a", "shoefit.batch.b", "shoefit.batch.a"]]


def test_allowed_imports_pass(tmp_path):
    package = write_tree(
        tmp_path,
        {
            "__init__.py": "def __getattr__(name):\n    from .web.app import create_app\n",
            "web/app.py": "import flask\nfrom ..batch import engine\nfrom ..core.x import y\n",
            "batch/engine.py": "from ..core import x\n",
            "core/x.py": "import numpy\n",
        },
    )
    assert forbidden_edges(package) == [] and loops(package) == []


def main():
    edges, _ = graph(PACKAGE)
    order = ["face", "cli", "web", "config", "batch", "calibrate", "store", "core"]
    for layer in order:
        members = [m for m in edges if layer_of(m) == layer]
        print(f"{layer} ({len(members)} modules)")
        for module in members:
            targets = ", ".join(t.removeprefix("shoefit.") for t in sorted(edges[module])) or "-"
            print(f"  {module.removeprefix('shoefit.') or 'shoefit'} -> {targets}")
    between = {}
    for module, targets in edges.items():
        for target in targets:
            pair = (layer_of(module), layer_of(target))
            if pair[0] != pair[1]:
                between[pair] = between.get(pair, 0) + 1
    print("between layers:", ", ".join(f"{a} -> {b}: {n}" for (a, b), n in sorted(between.items())))
    print("forbidden:", forbidden_edges(PACKAGE) or "none", "| loops:", loops(PACKAGE) or "none")


if __name__ == "__main__":
    main()

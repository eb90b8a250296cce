"""The CLI installs on any CI image: Python 3.9+, no dependencies, standard library only."""

import ast
import sys
import tomllib
from pathlib import Path

import dorahub_cli

PACKAGE = Path(dorahub_cli.__file__).parent
PYPROJECT = PACKAGE.parents[1] / "pyproject.toml"


def imported_top_level_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_cli_imports_nothing_but_the_standard_library():
    imported = set().union(*(imported_top_level_modules(p) for p in PACKAGE.glob("*.py")))

    outside = imported - set(sys.stdlib_module_names) - {"__future__", "dorahub_cli"}

    assert outside == set()


def test_the_package_declares_no_dependencies_and_python_3_9():
    project = tomllib.loads(PYPROJECT.read_text())["project"]

    assert project["dependencies"] == []
    assert project["requires-python"] == ">=3.9"
    assert project["scripts"] == {"dorahub": "dorahub_cli.main:main"}


def test_every_module_postpones_annotations_so_3_9_can_import_it():
    # `X | None` in a signature is evaluated at import time on 3.9 unless postponed.
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        has_annotations = any(
            isinstance(node, ast.FunctionDef) and (node.returns or node.args.args)
            for node in ast.walk(tree)
        )
        if has_annotations:
            assert "from __future__ import annotations" in path.read_text(), path.name

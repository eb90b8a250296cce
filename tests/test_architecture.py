"""The apps import only downwards (docs/architecture.md, "Layers").

Every module under apps/ belongs to one unit (an app, or a package of one); every unit sits in
one layer. A module may import its own unit and the units of the layers below its own: never a
layer above (the next cycle) and never another unit of its own layer (units of one layer do not
know each other). Imports inside functions and under TYPE_CHECKING count like any other, and
so do `importlib.import_module("apps...")` calls with a literal name. There is no exceptions
list: an import that breaks the rule is moved to the right layer.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. Keep docs/architecture.md ("Layers") drawing exactly this.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("apps.core",)),
    ("foundation", ("apps.connections",)),
    ("teams", ("apps.teams",)),
    ("leaves", ("apps.marks", "apps.events")),
    ("deployments", ("apps.deployments",)),
    ("writers", ("apps.issues", "apps.ci")),
    ("derive", ("apps.derive",)),
    ("read model", ("apps.metrics",)),
    ("inbox", ("apps.ingest",)),
    ("adapters", ("apps.integrations",)),
    ("operations", ("apps.operations",)),
    ("pages", ("apps.dashboards",)),
]
LAYER_OF = {unit: index for index, (_, units) in enumerate(LAYERS) for unit in units}


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    target: str
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target} ({self.why})"


def unit_of(module: str) -> str | None:
    """The unit a dotted module name belongs to: the longest unit that prefixes it."""
    matches = [unit for unit in LAYER_OF if module == unit or module.startswith(unit + ".")]
    return max(matches, key=len) if matches else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(tree: ast.AST, *, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in the tree, at any depth, relative ones resolved.
    `from a import b` yields `a.b`: b may be a module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            found.extend(
                (node.lineno, base if alias.name == "*" else f"{base}.{alias.name}")
                for alias in node.names
            )
        elif (
            isinstance(node, ast.Call)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def violations_in(source: str, *, module: str, is_package: bool = False) -> list[Violation]:
    own = unit_of(module)
    if own is None and module != "apps":  # the namespace package itself sits below everything
        return [Violation(module, 0, module, "the module belongs to no layer: classify its app")]
    problems = []
    tree = ast.parse(source)
    for line, name in imported_names(tree, module=module, is_package=is_package):
        if name != "apps" and not name.startswith("apps."):
            if name == "config" or name.startswith("config."):
                problems.append(Violation(module, line, name, "config is the composition root"))
            continue
        target = unit_of(name)
        if target is None or target == own:
            if target is None and name != "apps":
                problems.append(Violation(module, line, name, "belongs to no layer"))
            continue
        mine, theirs = LAYER_OF.get(own or "", -1), LAYER_OF[target]
        if theirs > mine:
            below = LAYERS[mine][0] if mine >= 0 else "the apps package"
            why = f"upwards: {below} -> {LAYERS[theirs][0]}"
            problems.append(Violation(module, line, name, why))
        elif theirs == mine:
            why = f"across the {LAYERS[mine][0]} layer: {own} -> {target}"
            problems.append(Violation(module, line, name, why))
    return problems


def application_modules() -> list[Path]:
    return sorted((ROOT / "apps").rglob("*.py"))


def test_every_app_module_imports_only_its_own_unit_and_the_layers_below():
    problems = [
        str(violation)
        for path in application_modules()
        for violation in violations_in(
            path.read_text(), module=module_name(path), is_package=path.name == "__init__.py"
        )
    ]
    assert problems == [], "imports against the layers:\n" + "\n".join(problems)


def test_every_package_under_apps_is_in_a_layer():
    packages = {path.parent.name for path in (ROOT / "apps").glob("*/__init__.py")}
    assert {f"apps.{name}" for name in packages} <= set(LAYER_OF)


@pytest.mark.parametrize(
    ("module", "source", "why"),
    [
        (
            "apps.deployments.services",
            "from apps.metrics.services import rebuild_days",
            "upwards",
        ),
        (
            "apps.connections.services",
            "def purge():\n    from apps.issues import models\n",
            "upwards",
        ),
        ("apps.issues.services", "import apps.ci.services", "across"),
        ("apps.marks.services", "from apps import events", "across"),
        (
            "apps.core.tasks",
            "import importlib\nimportlib.import_module('apps.ingest.tasks')",
            "upwards",
        ),
        ("apps.core.health", "from config.celery_app import app", "composition root"),
        ("apps", "from apps.core import time", "upwards"),
    ],
)
def test_the_check_catches_imports_against_the_layers(module, source, why):
    (violation,) = violations_in(source, module=module)
    assert why in violation.why


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("apps.metrics.services", "from apps.deployments.models import Deployment"),
        ("apps.derive.linking", "from ..issues.services import close_issue"),
        ("apps.ingest.tasks", "from apps.ingest import services"),
        ("apps.ingest.tasks", "from . import services"),
        ("apps.dashboards.views", "from django.db import models"),
    ],
)
def test_the_check_lets_imports_downwards_and_within_a_unit_through(module, source):
    assert violations_in(source, module=module) == []


def test_docs_draw_the_layers_of_this_test_top_first():
    text = (ROOT / "docs" / "architecture.md").read_text()
    drawing = text[text.index("## Layers") :]
    drawing = drawing[: drawing.index("\n## ", 1)]
    tops = [min(drawing.index(f"`{unit}`") for unit in units) for _, units in LAYERS]
    assert tops == sorted(tops, reverse=True)

"""The house: the packages' layers, imported in one direction only, with no cycle.

Every import counts: at module level, inside functions, and under ``TYPE_CHECKING``. A module
may import its own layer and the layers below it; a cycle inside a layer fails too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"streamscope.core": ROOT / "core", "streamscope.widgets": ROOT / "widgets"}

LAYERS: list[tuple[str, ...]] = [
    # streamscope.core, bottom to top
    ("streamscope.core.json",),
    ("streamscope.core.schema",),
    ("streamscope.core.tools",),
    ("streamscope.core.wire",),
    ("streamscope.core.stream",),
    ("streamscope.core.pricing",),
    ("streamscope.core.figures",),
    ("streamscope.core.io",),
    ("streamscope.core.loop",),
    ("streamscope.core.comparison",),
    ("streamscope.core.letta",),
    ("streamscope.core",),  # the package itself: the public surface
    # streamscope.widgets: state the renderer reads, the renderer, the widget, the views
    ("streamscope.widgets._static", "streamscope.widgets._hosts", "streamscope.widgets.inspector"),
    ("streamscope.widgets.render",),
    ("streamscope.widgets.surface",),
    (
        "streamscope.widgets.view",
        "streamscope.widgets.loop_view",
        "streamscope.widgets.comparison",
        "streamscope.widgets.runner",
        "streamscope.widgets.shortcuts",
        "streamscope.widgets.bench",
        "streamscope.widgets.magic",
    ),
    ("streamscope.widgets",),
]
"""Read top to bottom; a layer imports only itself and the layers above it in this list."""


def module_names() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = module_names()


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = number, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def imports_of(module: str) -> set[str]:
    """The project's modules that ``module`` imports, wherever the import statement stands."""
    tree = ast.parse(MODULES[module].read_text())
    is_package = MODULES[module].name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - node.level + 1]
                base = ".".join([*here, base] if base else here)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                out.add(name)
    return out


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_no_import_cycle() -> None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_check_sees_function_level_and_type_checking_imports() -> None:
    """The graph is not blind where the old cycles hid (``TYPE_CHECKING`` and lazy imports)."""
    source = "if TYPE_CHECKING:\n    from streamscope.core.loop.tool_loop import ToolLoop\n"
    source += "def f():\n    from streamscope.core.io import gallery\n"
    tree = ast.parse(source)
    seen = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert seen == {"streamscope.core.loop.tool_loop", "streamscope.core.io"}


TAG = re.compile(
    r"<(?:/?)(?:a|b|br|button|code|details|div|em|h[1-6]|i|input|label|li|mark|ol|"
    r"option|p|pre|section|select|span|strong|summary|svg|table|td|th|tr|ul)[\s>/]"
)


@pytest.mark.parametrize(
    "module",
    sorted(m for m in MODULES if not m.startswith("streamscope.widgets.render")),
)
def test_only_the_renderer_writes_markup(module: str) -> None:
    source = MODULES[module].read_text()
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    tags = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and TAG.search(node.value)
    ]
    assert tags == [], f"{module} writes markup: {tags[:3]}"

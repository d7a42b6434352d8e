"""The public surface: what each package exports, that each name has help, and no shadowing."""

from __future__ import annotations

import importlib.util
import inspect
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

import streamscope.core
import streamscope.widgets

PACKAGES = [streamscope.core, streamscope.widgets]


def test_the_core_surface_is_what_a_notebook_user_types() -> None:
    assert 20 <= len(streamscope.core.__all__) <= 30
    for package in PACKAGES:
        namespace: dict[str, object] = {}
        exec(f"from {package.__name__} import *", namespace)
        assert set(package.__all__) <= set(namespace)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        streamscope.core.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(streamscope.widgets, "snapshot")


def submodules(package: ModuleType) -> set[str]:
    return {info.name for info in pkgutil.iter_modules(package.__path__)}


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_no_public_name_shadows_a_submodule(package: ModuleType) -> None:
    for name in set(package.__all__) & submodules(package):
        value = getattr(package, name)
        assert isinstance(value, ModuleType) and value.__name__ == f"{package.__name__}.{name}"


def test_one_name_one_meaning_across_the_two_packages() -> None:
    """A name both packages export would mean two things (``replay`` once did)."""
    assert not set(streamscope.core.__all__) & set(streamscope.widgets.__all__)
    assert not set(streamscope.widgets.__all__) & submodules(streamscope.core)


@pytest.mark.parametrize(
    "qualname",
    [f"{p.__name__}.{n}" for p in PACKAGES for n in p.__all__],
)
def test_help_shows_a_docstring_for_every_public_name(qualname: str) -> None:
    module, _, name = qualname.rpartition(".")
    value = getattr(sys.modules[module], name)
    doc = inspect.getdoc(value)
    assert doc and len(doc.strip()) > 10, f"{qualname} has no docstring for help()"
    if inspect.isclass(value):
        assert value.__doc__, f"{qualname}.__doc__ is empty (help() shows nothing)"


def test_every_module_says_in_a_few_lines_what_it_owns() -> None:
    for package in PACKAGES:
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            spec = importlib.util.find_spec(info.name)
            assert spec is not None and spec.origin is not None
            source = Path(spec.origin).read_text()
            module_doc = inspect.cleandoc(eval_docstring(source) or "")
            assert module_doc, f"{info.name} has no module docstring"
            assert len(module_doc.splitlines()) <= 12, f"{info.name}'s docstring is a manual"


def eval_docstring(source: str) -> str | None:
    import ast

    return ast.get_docstring(ast.parse(source))

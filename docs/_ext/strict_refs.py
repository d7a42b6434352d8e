"""Strict cross-references that still let a docstring name what ``__all__`` leaves out.

The build runs nitpicky (``-n -W``): a reference nothing answers fails it. Docstrings name
three kinds of targets: documented API objects by a short name (``StreamState`` in another
module's docstring), finer public modules and names outside ``__all__``
(``streamscope.core.schema.validation``, ``Cassette``), and the standard library. The first is
linked to its page; the second is shown as code without a link once it is checked to
exist (importable); the standard library is shown as code too (no intersphinx: the build
needs no network). A name that does not exist anywhere, a typo or a rename the docstring
missed, still fails the build.
"""

from __future__ import annotations

import importlib
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

STDLIB_PREFIXES = (
    "collections.",
    "os.",
    "asyncio.",
    "typing.",
    "importlib.",
    "pathlib.",
    "concurrent.",
    "types.",
    "enum.",
    "datetime.",
    "decimal.",
    "json.",
    "io.",
)
STDLIB_NAMES = {"importlib.resources", "asyncio", "typing", "os", "json"}


def _exists(dotted: str) -> bool:
    """True when ``dotted`` names a module or an attribute reachable from one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return False
        return True
    return False


def _candidates(node: pending_xref, target: str) -> list[str]:
    module = node.get("py:module") or ""
    cls = node.get("py:class") or ""
    found = [target]
    if module:
        found.append(f"{module}.{target}")
        if cls:
            found.append(f"{module}.{cls}.{target}")
        package = module.rsplit(".", 1)[0]
        found.append(f"{package}.{target}")
    # the module the docstring was written in: "...: docstring of streamscope.x.y.Name"
    source = str(node.source or "")
    if "docstring of " in source:
        owner = source.split("docstring of ", 1)[1].split(":", 1)[0].split(".")
        found += [".".join([*owner[:cut], target]) for cut in range(len(owner), 1, -1)]
    return found


def missing_reference(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.Element
) -> nodes.Element | None:
    if node.get("refdomain") != "py":
        return None
    target = str(node["reftarget"]).lstrip(".~")
    domain: Any = env.get_domain("py")
    short = target.rsplit(".", 1)[-1] if target.startswith("streamscope.") else target
    documented = [
        name
        for name in domain.objects
        if name.startswith("streamscope.")
        and not domain.objects[name].aliased
        and (name.endswith("." + short) or name == target)
    ]
    if len(documented) == 1 or (documented and target in documented):
        name = target if target in documented else documented[0]
        return domain.resolve_xref(
            env, node.get("refdoc", ""), app.builder, node["reftype"], name, node, contnode
        )
    if target.startswith(STDLIB_PREFIXES) or target in STDLIB_NAMES:
        return contnode
    if any(c.startswith("streamscope.") and _exists(c) for c in _candidates(node, target)):
        return contnode
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("missing-reference", missing_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

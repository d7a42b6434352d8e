"""The documentation pages made from the code, written before Sphinx reads the sources.

Nothing here is typed by hand, so the pages follow the code: the API reference lists
``__all__`` of ``streamscope.core`` and ``streamscope.widgets`` (a rename or a new export
shows up at the next build), the gallery renders every recording of
``streamscope.core.gallery`` with the one renderer, and the example notebooks are copied
from ``examples/`` to be executed by MyST-NB. The written files are not committed
(``.gitignore``).
"""

from __future__ import annotations

import importlib
import inspect
import shutil
from pathlib import Path
from types import ModuleType

API_MODULES = ("streamscope.core", "streamscope.widgets", "streamscope.widgets.render")
"""The public packages whose ``__all__`` the API reference documents."""


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless the file holds it already (Sphinx rebuilds changed files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _directive(module: ModuleType, name: str) -> str:
    obj = getattr(module, name)
    target = f"{module.__name__}.{name}"
    if inspect.ismodule(obj):
        rst = f".. automodule:: {obj.__name__}\n   :members:\n"
    elif inspect.isclass(obj):
        rst = f".. autoclass:: {target}\n   :members:\n"
    elif callable(obj):
        rst = f".. autofunction:: {target}\n"
    else:
        rst = f".. autodata:: {target}\n   :no-value:\n"
    return f"```{{eval-rst}}\n{rst}```\n"


def api_page(module_name: str) -> str:
    """One page: the module's docstring, then every name of its ``__all__`` in order."""
    module = importlib.import_module(module_name)
    parts = [
        f"# `{module_name}`\n",
        f"```{{eval-rst}}\n.. automodule:: {module_name}\n   :no-members:\n\n"
        f".. currentmodule:: {module_name}\n```\n",
    ]
    for name in module.__all__:
        parts.append(f"## `{name}`\n\n{_directive(module, name)}")
    return "\n".join(parts)


def gallery_page() -> str:
    """Every recording's picture (the renderer's static HTML) with what it teaches."""
    from streamscope.core import StreamState, gallery
    from streamscope.widgets.render import render_stream_html

    conversations = {c.name: c for c in gallery.list_conversations()}
    parts = [
        "# Gallery\n",
        "Every recording that ships in `streamscope.core.gallery`, as its finished view "
        "looks, with what it shows and what it teaches. Replay one in a notebook with "
        '`await replay(gallery.path("name"))`; a conversation turn by turn with '
        '`AsyncReplayClient(gallery.conversation("name"))`. This page is generated from '
        "the gallery's index at each documentation build.\n",
    ]
    seen: set[str] = set()
    for info in gallery.list_recordings():
        if info.conversation and info.conversation not in seen:
            seen.add(info.conversation)
            conv = conversations[info.conversation]
            parts.append(
                f"## {conv.title} (`{conv.name}`, {len(conv.turns)} turns)\n\n"
                f"{conv.description}\n\n**What it teaches:** {conv.teaches}\n"
            )
        level = "###" if info.conversation else "##"
        cassette = gallery.load(info.name)
        state = StreamState(request=cassette.request)
        if cassette.request_at is not None:
            state.set_request_time(cassette.request_at)
        at = 0.0
        for at, event in cassette.timed_events():  # at the recorded times, as replays do
            state.apply(event, at=at)
        state.finish(at=at)
        picture = render_stream_html(state, title=info.name)
        parts.append(
            f"{level} {info.title} (`{info.name}`)\n\n{info.description}\n\n"
            f"**What it teaches:** {info.teaches}\n\n"
            f'```{{raw}} html\n<div class="ss-gallery-item" data-recording="{info.name}">'
            f"{picture}</div>\n```\n"
        )
    return "\n".join(parts)


def copy_notebooks(examples: Path, target: Path) -> list[str]:
    """The example notebooks (committed without outputs) copied to ``target``."""
    names = []
    for source in sorted(examples.glob("*.ipynb")):
        write_if_changed(target / source.name, source.read_text(encoding="utf-8"))
        names.append(source.stem)
    for stale in target.glob("*.ipynb"):
        if stale.stem not in names:
            stale.unlink()
    return names


def generate(docs: Path) -> None:
    """Write the API pages, the gallery page and the notebooks' copies under ``docs``."""
    for name in API_MODULES:
        write_if_changed(docs / "api" / f"{name.rsplit('.', 1)[-1]}.md", api_page(name))
    write_if_changed(docs / "gallery.md", gallery_page())
    copy_notebooks(docs.parent / "examples", docs / "examples")
    shutil.rmtree(docs / "examples" / ".ipynb_checkpoints", ignore_errors=True)

"""streamscope: watch an Anthropic Messages API stream live in a Jupyter notebook.

``streamscope.core`` reduces a stream to its state (no Jupyter imports);
``streamscope.widgets`` shows it. ``%load_ext streamscope`` adds the ``%%claude`` cell
magic (``%claude?`` for its help). ``__version__`` is the one place the version is written
(``pyproject.toml`` reads it from here).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext streamscope``: register the ``%%claude`` cell magic."""
    from streamscope.widgets.magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext streamscope``: ``%%claude`` cells are no longer rewritten."""
    from streamscope.widgets.magic import unload_ipython_extension as unload

    unload(ipython)

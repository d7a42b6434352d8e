"""streamscope: watch Anthropic Messages API streams live in Jupyter.

``streamscope.core`` reduces streams without Jupyter; ``streamscope.widgets`` shows them.
``%load_ext streamscope`` adds the ``%%claude`` cell magic (``%claude?`` for its help).
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext streamscope``: register the ``%%claude`` cell magic."""
    from streamscope.widgets.magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext streamscope``: ``%%claude`` cells are no longer rewritten."""
    from streamscope.widgets.magic import unload_ipython_extension as unload

    unload(ipython)

"""Packaging: the repo folders install as streamscope.core / streamscope.widgets only."""

from __future__ import annotations

import importlib.util

import streamscope.core


def test_no_top_level_core_or_widgets_module() -> None:
    assert importlib.util.find_spec("core") is None
    assert importlib.util.find_spec("widgets") is None


def test_core_has_no_jupyter_imports() -> None:
    import subprocess
    import sys

    code = (
        "import sys, streamscope.core\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('ipywidgets', 'anywidget', 'IPython', 'ipykernel', 'traitlets')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    assert streamscope.core.__name__ == "streamscope.core"

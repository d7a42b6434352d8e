"""Packaging: the repo folders install as streamscope.core / streamscope.widgets only, the core
imports no Jupyter, and the renderer imports without a widget library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_python(code: str, cwd: Path) -> str:
    """``code`` in a fresh interpreter started outside the checkout, as a user's script is."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_no_top_level_core_or_widgets_module(tmp_path: Path) -> None:
    code = (
        "import importlib.util as u, streamscope.core, streamscope.widgets\n"
        "print(u.find_spec('core'), u.find_spec('widgets'))\n"
    )
    assert run_python(code, tmp_path) == "None None"


JUPYTER = ("ipywidgets", "anywidget", "IPython", "ipykernel", "traitlets")


def test_core_has_no_jupyter_imports(tmp_path: Path) -> None:
    code = (
        "import sys, streamscope.core\n"
        f"print(','.join(m for m in sys.modules if m.split('.')[0] in {JUPYTER!r}))\n"
    )
    assert run_python(code, tmp_path) == ""


def test_the_renderer_imports_and_draws_without_widget_libraries(tmp_path: Path) -> None:
    """``export_html`` in a script or CI: no anywidget, ipywidgets or IPython needed."""
    code = (
        "import sys\n"
        f"for name in {JUPYTER!r}: sys.modules[name] = None  # importing one now fails\n"
        "from streamscope.core import StreamState, gallery, read_events\n"
        "from streamscope.widgets.render import render_stream_html\n"
        "state = StreamState()\n"
        "for event in read_events(gallery.path('parallel_tools')): state.apply(event)\n"
        "html = render_stream_html(state)\n"
        "print(len(html) > 1000, 'ss-lane' in html)\n"
    )
    assert run_python(code, tmp_path) == "True True"

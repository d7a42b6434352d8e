"""The harness itself: JupyterLab and Notebook 7 open a notebook and run its cells."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_harness
from conftest import require_browser
from ui_harness import UI, NotebookSession

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_runs_a_notebook(notebooks: NotebookSession, ui: UI) -> None:
    marker = f"streamscope-smoke-{ui}"
    cells = [
        "import streamscope.core, sys\nprint(sys.executable)",
        f"print('{marker}', 6 * 7)",
    ]
    output = notebooks.run(
        f"smoke_{ui}.ipynb", cells, ui=ui, wait_for=f".jp-OutputArea-output:has-text('{marker}')"
    )
    assert f"{marker} 42" in output.inner_text()
    assert ".venv" in notebooks.outputs_text()
    assert notebooks.page.evaluate("() => typeof window.jupyterapp.commands.execute") == "function"
    assert notebooks.dialogs == []


@pytest.mark.parametrize(("ci", "outcome"), [("", "skip"), ("true", "fail"), ("0", "skip")])
def test_missing_chromium_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str, outcome: str
) -> None:
    monkeypatch.setattr(ui_harness, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="no-chromium"):
        require_browser()

"""The pictures a notebook keeps: live and static are one HTML, and they survive a reload.

- For every gallery recording, in JupyterLab 4: the live view's DOM after the stream ends
  equals its static picture (one renderer makes both).
- Persistence, in JupyterLab 4 and Notebook 7 with default settings: run, save, shut the
  kernel down, reload the page, reopen: every picture is there, no "Error displaying
  widget". ``jupyter nbconvert --to html`` of the saved notebook shows them too.
- An untrusted notebook (edited elsewhere) shows outputs without styles: the picture still
  reads as words, figures and units, one block per line.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest
from ui_harness import (
    TWIN_CELL,
    UI,
    UI_TIMEOUT_MS,
    NotebookSession,
    assert_same_html,
    jupyter_executable,
    static_and_twin,
)

from streamscope.core.io import gallery

pytestmark = pytest.mark.browser

NAMES = [r.name for r in gallery.list_recordings()]
DONE = "pictures-cells-done"


def test_every_recording_live_equals_static(notebooks: NotebookSession) -> None:
    cells = [
        "from streamscope.widgets import StreamView\nfrom streamscope.core.io import gallery\n"
        + TWIN_CELL
    ]
    cells += [
        f"v = StreamView()\ndisplay(v)\nlive_twin(v)\n"
        f"_ = await v.play(gallery.path({name!r}), speed=None)"
        for name in NAMES
    ]
    cells.append(f"print('{DONE}')")
    notebooks.run("every.ipynb", cells, wait_for=f".jp-OutputArea-output:has-text('{DONE}')")
    page = notebooks.page
    for k, name in enumerate(NAMES, 1):
        cell = page.locator(".jp-Notebook .jp-Cell").nth(k)
        cell.locator(".ss-static > .ss-view").wait_for()
        _, static, live = static_and_twin(page, cell)
        try:
            assert_same_html(static, live)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


PERSIST_CELLS = [
    "from streamscope.widgets import replay\nfrom streamscope.core.io import gallery",
    "v = await replay(gallery.path('parallel_tools'), speed=None)",
    "w = await replay(gallery.path('thinking_redacted'), speed=None)",
    f"print('{DONE}')",
]


def _save(page: Any) -> None:
    page.evaluate(
        """async () => {
          const w = window.jupyterapp.shell.currentWidget;
          await w.context.save();
        }"""
    )


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_a_saved_notebook_reopens_with_its_pictures(
    notebooks: NotebookSession, ui: UI, tmp_path: Path
) -> None:
    name = f"persist_{ui}.ipynb"
    notebooks.run(name, PERSIST_CELLS, ui=ui, wait_for=f".jp-OutputArea-output:has-text('{DONE}')")
    notebooks.wait_idle()
    page = notebooks.page
    page.locator(".ss-static > .ss-view[data-status='done']").nth(1).wait_for()
    _save(page)
    notebooks.close()  # the kernel is gone
    page.reload(wait_until="domcontentloaded")
    views = page.locator(".ss-static > .ss-view")
    page.wait_for_function(
        "() => document.querySelectorAll('.ss-static > .ss-view').length === 2",
        timeout=UI_TIMEOUT_MS,
    )
    assert "Error displaying widget" not in page.locator(".jp-Notebook").inner_text()
    first = views.nth(0)
    assert first.locator(".ss-tool-row > .ss-lane").count() == 4
    assert first.locator(".ss-status").inner_text().lower() == "done"
    # what a user does with a finished picture works without scripts
    thinking = views.nth(1).locator("details.ss-thinking")
    thinking.locator("summary").click()
    assert thinking.evaluate("(d) => d.open") is False

    # nbconvert writes the same pictures
    saved = notebooks.server.root / name
    nb = nbformat.read(str(saved), as_version=4)  # type: ignore[no-untyped-call]
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    out = tmp_path / "out.html"
    subprocess.run(
        [str(jupyter_executable()), "nbconvert", "--to", "html", str(saved), "--output",
         str(out.with_suffix(""))],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    html = out.read_text(encoding="utf-8")
    assert html.count('class="ss-view ') == 2
    assert "get_exchange_rate" in html and "Redacted thinking" in html


def test_an_untrusted_notebook_reads_well_without_styles(notebooks: NotebookSession) -> None:
    root = notebooks.server.root
    name = "untrusted.ipynb"
    notebooks.run(name, PERSIST_CELLS, wait_for=f".jp-OutputArea-output:has-text('{DONE}')")
    notebooks.wait_idle()
    page = notebooks.page
    page.locator(".ss-static > .ss-view").nth(1).wait_for()
    _save(page)
    notebooks.close()
    # edited elsewhere: the signature no longer matches, so the notebook is not trusted
    data = json.loads((root / name).read_text())
    data["metadata"]["edited_elsewhere"] = True
    (root / name).write_text(json.dumps(data))
    page.goto(notebooks.server.url(f"lab/tree/{name}?reset"), wait_until="domcontentloaded")
    output = page.locator(".jp-OutputArea-output").first
    output.wait_for()
    page.wait_for_function(
        "() => (document.querySelector('.jp-OutputArea-output') || {}).innerText"
        " && document.querySelector('.jp-OutputArea-output').innerText.includes('streamscope')"
    )
    assert page.locator(".jp-OutputArea-output style").count() == 0  # sanitized: no styles
    lines = [line.strip() for line in output.inner_text().split("\n") if line.strip()]
    assert lines[0] == "streamscope claude-sonnet-5-5 done"
    assert any(line.startswith("#2 tool_use get_weather · done · ") for line in lines), lines
    assert 'location: "Lisbon, Portugal"' in lines
    label = "input (uncached)"  # the usage words of one meaning
    assert any(line.startswith(label) and line[len(label):].strip().replace(",", "").isdigit()
               for line in lines), lines  # fmt: skip

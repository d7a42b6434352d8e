"""The views in a real marimo server, in Chromium.

``marimo run`` serves a notebook as an app on 127.0.0.1 with a token (no update check, no
sandbox); Chromium opens it through Playwright. The example ``examples/marimo_quickstart.py``
must show its StreamView live (streaming, lanes filling in) and finished (done), and its
ConversationView through to the end, where nobody could approve. A probe notebook measures
what the views rely on: a click made while a cell awaits reaches the kernel only after the
cell has finished (marimo 0.25), which is why the views disable their controls there.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import marimo  # noqa: F401  (installed by the test extra: missing, it fails, never skips)
import pytest
from ui_harness import REPO, UI_TIMEOUT_MS, free_port, stop_process

EXAMPLE = REPO / "examples" / "marimo_quickstart.py"
MARIMO = REPO / ".venv" / "bin" / "marimo"
STATUSES = """els => els.map(e => [e.className.split(' ')[0], e.getAttribute('data-status'),
  e.querySelectorAll('.ss-lane').length])"""


@contextmanager
def marimo_run(notebook: Path, workdir: Path) -> Iterator[str]:
    """``marimo run notebook`` on a free 127.0.0.1 port; yields the page's URL (with token)."""
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "MARIMO_SKIP_UPDATE_CHECK": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("ANTHROPIC_API_KEY", None)
    log_path = workdir / "marimo.log"
    command = [
        str(MARIMO if MARIMO.exists() else "marimo"),
        "-y",
        "run",
        str(notebook),
        "--headless",
        "--host",
        "127.0.0.1",
        "-p",
        str(port),
        "--token-password",
        token,
        "--no-sandbox",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"marimo exited:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"marimo did not start:\n{log_path.read_text(errors='replace')}")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/?access_token={token}"
    finally:
        stop_process(process)


def views(page: Any) -> list[tuple[str, str, int]]:
    """(kind, status, lanes) of every view in the page (marimo renders them in shadow DOM,
    which Playwright's locators pierce)."""
    found = page.locator(".ss-view, .ss-conv").evaluate_all(STATUSES)
    return [tuple(view) for view in found]


def test_marimo_quickstart_live_and_finished(page: Any, tmp_path: Path) -> None:
    with marimo_run(EXAMPLE, tmp_path) as url:
        page.goto(url)
        first = page.locator(".ss-view").first
        first.wait_for(state="attached", timeout=UI_TIMEOUT_MS)
        seen: list[tuple[str, str, int]] = []
        stop_titles: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            now = views(page)
            seen.extend(now)
            # read in one step: the button goes when its view finishes, and a count then a
            # get_attribute could wait for one that went in between
            stops = page.locator('.ss-view button[data-ss-action="stop"]').evaluate_all(
                "els => els.map(el => [el.getAttribute('title') || '', el.disabled])"
            )
            if stops:
                title, disabled = stops[0]
                stop_titles.append(title)
                assert disabled  # nobody could hear it while the cell runs
            kinds = {(kind, status) for kind, status, _ in now}
            if ("ss-conv", "done") in kinds and now[0][1] == "done":
                break
            time.sleep(0.25)
        else:
            pytest.fail(f"the views did not finish: {views(page)}")

        # Live: the replay was seen streaming with lanes, before it was done.
        assert any(v[0] == "ss-view" and v[1] == "streaming" and v[2] >= 1 for v in seen), seen
        assert any("only after the running cell has finished" in t for t in stop_titles)
        # Finished: the widget itself is the final picture.
        final = views(page)
        assert final[0] == ("ss-view", "done", 6)
        assert ("ss-conv", "done", 13) in final  # four turns: 2 + 4 + 4 + 3 lanes
        assert all(status == "done" for _, status, _ in final), final
        body = page.locator("body").inner_text()
        assert "The view is done: 6 blocks, 4 tool calls" in body
        assert "Stop reason of the loop: end_turn" in body
        assert "send_email (denied)" in body  # the view's policy decided: nobody could click


PROBE = textwrap.dedent(
    '''
    import marimo

    app = marimo.App()


    @app.cell
    def _():
        import asyncio
        import time

        import anywidget
        import marimo as mo

        class Probe(anywidget.AnyWidget):
            """A button whose clicks the kernel answers with when it heard them."""

            _esm = """
            export default { render({ model, el }) {
              const b = document.createElement("button");
              b.className = "probe"; b.textContent = "probe";
              b.onclick = () => model.send({ type: "click" });
              model.on("msg:custom", (m) => { b.textContent = "heard " + m.during; });
              el.appendChild(b);
            } };
            """

            def __init__(self):
                super().__init__()
                self.awaiting = False
                self.on_msg(self._heard)

            def _heard(self, widget, content, buffers):
                self.send({"during": "while awaiting" if self.awaiting else "after the cell"})

        probe = Probe()
        probe
        return asyncio, mo, probe, time


    @app.cell
    async def _(asyncio, mo, probe, time):
        probe.awaiting = True
        mo.output.replace(mo.md("awaiting"))
        await asyncio.sleep(8)
        probe.awaiting = False
        mo.md("the cell ended")
        return
    '''
)


def test_a_click_while_a_cell_awaits_reaches_the_kernel_after_the_cell(
    page: Any, tmp_path: Path
) -> None:
    notebook = tmp_path / "probe.py"
    notebook.write_text(PROBE, encoding="utf-8")
    with marimo_run(notebook, tmp_path) as url:
        page.goto(url)
        page.get_by_text("awaiting", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        button = page.locator("button.probe")
        button.click()
        clicked = time.monotonic()
        time.sleep(2)
        assert button.inner_text() == "probe"  # not heard while the cell awaits
        page.get_by_text("the cell ended").wait_for(timeout=UI_TIMEOUT_MS)
        page.get_by_text("heard after the cell").wait_for(timeout=UI_TIMEOUT_MS)
        assert time.monotonic() - clicked > 4  # the cell's await outlasted the click by ~6 s

"""Why a cache missed, in a real JupyterLab 4 driven by Chromium, light and dark.

One notebook runs the gallery's four-turn ``tool_loop`` through a ToolLoop whose last tool
carries ``cache_control`` (every turn after the first reads the cache), shown in a
ConversationView; then replays the ``cache_timestamp`` pair's second request in a
``StreamView(previous=<the first>)``. In the page the test opens turn 2's cache line and
the StreamView's "The difference", checks what they say and that the changed characters
are marked, and photographs both in the light and the dark theme (into pytest's temporary
folder; with ``STREAMSCOPE_DOCS=1`` into docs/, as ``conversation-cache[-dark].png`` and
``cache-explanation[-dark].png``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from ui_harness import NotebookSession

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
DONE = "cache-cells-done"

CELLS = [
    """
from IPython.display import display
from streamscope.core.io import gallery
from streamscope.core.loop.tool_loop import ToolLoop
from streamscope.core.io.replay_client import AsyncReplayClient
from streamscope.widgets import ConversationView, replay

def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict:
    \"\"\"Failed runs of a pipeline.\"\"\"
    return {"runs": [{"id": 4812}, {"id": 4815}, {"id": 4819}]}

def get_team(team: str) -> dict:
    \"\"\"A team's contact details.\"\"\"
    return {"team": team, "email": "platform-team@acme.example"}

def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
    \"\"\"The end of a job's log.\"\"\"
    return f"run {run_id} {job}: exit code 1"

def send_email(to: list[str], subject: str, body: str) -> dict:
    \"\"\"Send an email.\"\"\"
    return {"status": "sent"}

loop = ToolLoop(
    AsyncReplayClient(gallery.conversation("tool_loop"), speed=None),
    model="claude-sonnet-4-5", max_tokens=8192,
    tools=[list_ci_runs, get_team, get_job_log, send_email],
    require_approval=["send_email"], approve=lambda call: True,
)
loop.tool_params[-1] = {**loop.tool_params[-1], "cache_control": {"type": "ephemeral"}}
""",
    "view = ConversationView(loop)\ndisplay(view)\n"
    "_ = await loop.arun('Why did the nightly build fail?')",
    "first, second = gallery.conversation('cache_timestamp')\n"
    "sv = await replay(second, speed=None, previous=first)",
    f"print('{DONE}')",
]


def _shots(tmp_path: Path) -> Path:
    return DOCS if os.environ.get("STREAMSCOPE_DOCS") == "1" else tmp_path


def _clip(page: Any, locators: list[Any], margin: int = 8) -> dict[str, float]:
    boxes = [loc.bounding_box() for loc in locators]
    found = [b for b in boxes if b is not None]
    assert found, "nothing to photograph"
    left = min(b["x"] for b in found) - margin
    top = min(b["y"] for b in found) - margin
    right = max(b["x"] + b["width"] for b in found) + margin
    bottom = max(b["y"] + b["height"] for b in found) + margin
    return {"x": max(0, left), "y": max(0, top), "width": right - left, "height": bottom - top}


def _dark(page: Any) -> None:
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Dark'})"
    )
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")


def test_cache_lines_and_the_explanation_light_and_dark(
    notebooks: NotebookSession, tmp_path: Path
) -> None:
    notebooks.run("cache.ipynb", CELLS, wait_for=f".jp-OutputArea-output:has-text('{DONE}')")
    page = notebooks.page
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    out = _shots(tmp_path)

    conv = page.locator(".ss-static > .ss-conv").first
    conv.wait_for()
    turns = conv.locator(".ss-conv-turn")
    assert turns.count() == 4
    assert turns.nth(0).locator(".ss-cache-line").count() == 0
    lines = conv.locator(".ss-conv-cache > .ss-cache-line")
    assert lines.count() == 3
    assert [lines.nth(k).get_attribute("data-cache") for k in range(3)] == ["hit"] * 3
    line = turns.nth(1).locator(".ss-conv-cache > .ss-cache-line")
    summary = line.locator(":scope > summary")
    assert (summary.text_content() or "").strip() == "cache: hit"
    explanation = line.locator(".ss-cache-summary")
    assert not explanation.is_visible()  # one click away
    summary.click()
    explanation.wait_for(state="visible")
    assert (explanation.text_content() or "").startswith(
        "Cache hit: nothing changed up to breakpoint 1"
    )

    view = page.locator(".ss-static > .ss-view").last
    view.wait_for()
    section = view.locator(".ss-cache")
    assert section.get_attribute("data-cache") == "miss"
    usage = view.locator(".ss-usage")
    assert section.bounding_box()["y"] > usage.bounding_box()["y"]  # under the cache figures
    # JupyterLab skips drawing cells out of view: read text_content, not inner_text
    assert (section.locator(".ss-cache-summary").text_content() or "").startswith(
        "The system prompt changed at character 97"
    )
    marks = section.locator("mark")
    assert not marks.first.is_visible()
    section.locator(".ss-cache-difference > summary").click()
    marks.first.wait_for(state="visible")
    assert [(marks.nth(k).text_content() or "") for k in range(marks.count())] == ["2", "4"]
    light_color = section.locator(".ss-cache-summary").evaluate("e => getComputedStyle(e).color")
    light_mark = marks.first.evaluate("e => getComputedStyle(e).backgroundColor")

    def photograph(suffix: str) -> None:
        line.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.screenshot(
            path=str(out / f"conversation-cache{suffix}.png"),
            animations="disabled",
            clip=_clip(page, [turns.nth(1).locator(".ss-conv-grid"), line]),
        )
        section.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.screenshot(
            path=str(out / f"cache-explanation{suffix}.png"),
            animations="disabled",
            clip=_clip(page, [usage, section]),
        )

    photograph("")
    _dark(page)
    dark_color = section.locator(".ss-cache-summary").evaluate("e => getComputedStyle(e).color")
    assert dark_color != light_color  # the theme's colours, not fixed ones
    assert marks.first.is_visible() and explanation.is_visible()  # still open
    assert marks.first.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert light_mark != "rgba(0, 0, 0, 0)"
    photograph("-dark")
    for name in ("conversation-cache", "cache-explanation"):
        for suffix in ("", "-dark"):
            assert (out / f"{name}{suffix}.png").stat().st_size > 5_000

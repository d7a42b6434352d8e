"""The views as their users meet them, in Chromium: accessible, usable by keyboard, laid out
for a narrow output.

- axe-core finds no serious or critical violation in a finished StreamView, a live replay
  with its controls, and a ConversationView waiting for an approval.
- The approval is made from the keyboard alone (focus Approve, press Enter), with a visible
  focus ring; the waiting count is announced (a ``role="status"`` region).
- At 800 px in Notebook 7: timeline text stays at 11 px or more, four parallel tool calls
  sit two by two (never three and one), and long JSON strings break only as whole tokens.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from ui_harness import UI_TIMEOUT_MS, NotebookSession

pytestmark = pytest.mark.browser

LOOP = """
from streamscope.core import AsyncReplayClient, ToolLoop, gallery
from streamscope.widgets import ConversationView, StreamView, replay

def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict:
    \"\"\"Runs of a CI pipeline.\"\"\"
    return {"runs": [{"id": 4812}]}

def get_team(team: str) -> dict:
    \"\"\"A team's contact details.\"\"\"
    return {"team": team, "email": "platform-team@acme.example"}

def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
    \"\"\"The end of a job's log.\"\"\"
    return "exit code 1"

sent = []
def send_email(to: list[str], subject: str, body: str) -> dict:
    \"\"\"Send an email.\"\"\"
    sent.append(subject)
    return {"status": "sent"}
"""
CELLS = [
    LOOP,
    "done_view = await replay(gallery.path('parallel_tools'), speed=None)",
    "paused = StreamView()\ndisplay(paused)\n"
    "import asyncio\n"
    "task = asyncio.ensure_future(paused.play(gallery.path('thinking_summarized'), paused=True))",
    "loop = ToolLoop(AsyncReplayClient(gallery.conversation('tool_loop'), speed=20),\n"
    "    model='claude-sonnet-4-5', max_tokens=8192,\n"
    "    tools=[list_ci_runs, get_team, get_job_log, send_email],\n"
    "    require_approval=['send_email'])\n"
    "view = ConversationView(loop)\ndisplay(view)\n"
    "messages = await loop.arun('Why did the nightly build fail?')\n"
    "print('KEYBOARD-OUTCOME', sent)",
]
SERIOUS = ("serious", "critical")


def _violations(page: Any, selector: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    results = Axe().run(page, context={"include": [[selector]]})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} nodes"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def test_accessible_and_usable_by_keyboard(notebooks: NotebookSession) -> None:
    session = notebooks
    page = session.page
    session.open("ux.ipynb", CELLS)
    session.run_all()
    form = page.locator(".ss-conv-approval")
    form.wait_for(timeout=UI_TIMEOUT_MS)
    page.locator(".ss-mount .ss-view [data-ss-action='step']").first.wait_for()

    for selector in (".ss-static .ss-view", ".ss-mount .ss-view", ".ss-mount .ss-conv"):
        assert _violations(page, selector) == [], selector

    # the email body is text in a <pre>: JupyterLab breaks an output's <pre> anywhere
    # ("cau|ses"); ours break long tokens only
    breaks = form.locator("pre").evaluate_all(
        "(els) => els.map((e) => getComputedStyle(e).wordBreak)"
    )
    assert breaks and set(breaks) == {"normal"}, breaks
    # announced: the waiting count lives in a role="status" region of the header
    live = page.locator(".ss-conv-live[role='status']")
    expect(live).to_contain_text("1 approval waiting")
    # decided from the keyboard alone, with a visible focus ring
    approve = form.locator(".ss-btn-approve")
    approve.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")  # keyboard focus: :focus-visible applies
    assert approve.evaluate("(b) => document.activeElement === b")
    outline = approve.evaluate("(b) => getComputedStyle(b).outlineStyle")
    assert outline not in ("", "none"), outline
    page.keyboard.press("Enter")
    sent = page.locator(".jp-OutputArea-output:has-text('KEYBOARD-OUTCOME')")
    sent.wait_for(timeout=UI_TIMEOUT_MS)
    assert "['Nightly" in sent.inner_text()  # the keyboard's Approve ran the tool
    # the paused replay's Step works from the keyboard too
    step = page.locator(".ss-mount .ss-view [data-ss-action='step']").first
    step.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".ss-mount .ss-view .ss-position").first).to_contain_text("event 1 of")


def test_narrow_output_in_notebook_7(notebooks: NotebookSession) -> None:
    page = notebooks.page
    page.set_viewport_size({"width": 800, "height": 1000})
    cells = [
        "from streamscope.widgets import replay\nfrom streamscope.core.io import gallery\n"
        "v = await replay(gallery.path('parallel_tools'), speed=None)\nprint('NARROW')"
    ]
    notebooks.run("narrow.ipynb", cells, ui="notebook", wait_for=".ss-static .ss-view")
    view = page.locator(".ss-static .ss-view").first
    sizes = view.locator(".ss-tl-label, .ss-tl-tick").evaluate_all(
        "(els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 11, sizes
    lanes = view.locator(".ss-tool-row > .ss-lane")
    expect(lanes).to_have_count(4)
    tops = sorted({round(lanes.nth(k).bounding_box()["y"]) for k in range(4)})
    lefts = sorted({round(lanes.nth(k).bounding_box()["x"]) for k in range(4)})
    assert (len(tops), len(lefts)) in ((2, 2), (1, 4)), (tops, lefts)  # never 3 + 1
    wrap = view.locator(".ss-lane").first.evaluate("(e) => getComputedStyle(e).overflowWrap")
    assert wrap == "break-word"  # a long token may break, a word never in its middle
    breaks = view.locator("pre, code").evaluate_all(
        "(els) => els.map((e) => getComputedStyle(e).wordBreak)"
    )
    assert breaks and set(breaks) == {"normal"}, breaks  # in the static picture too


def test_a_scroll_box_shows_there_is_more(notebooks: NotebookSession) -> None:
    cells = [
        "from streamscope.widgets import StreamView\nfrom streamscope.core.io import gallery\n"
        "v = StreamView()\ndisplay(v)\n"
        "v.consume(gallery.path('write_file_200kb'))\nprint('SCROLL-READY')"
    ]
    notebooks.run("scroll.ipynb", cells, wait_for=".jp-OutputArea-output:has-text('SCROLL-READY')")
    page = notebooks.page
    box = page.locator(".ss-static .ss-t").first  # the 200 KB file, as lines
    mask = "(e) => getComputedStyle(e).maskImage || getComputedStyle(e).webkitMaskImage"
    assert box.evaluate("(e) => e.scrollHeight > e.clientHeight")  # it does scroll
    assert box.evaluate(mask) != "none"  # more below: the bottom edge fades
    box.evaluate("(e) => { e.scrollTop = e.scrollHeight; }")
    page.wait_for_function(f"(e) => ({mask})(e) === 'none'", arg=box.element_handle())
    short = page.locator(".ss-static .ss-text").first
    if not short.evaluate("(e) => e.scrollHeight > e.clientHeight"):
        assert short.evaluate(mask) == "none"  # nothing more: nothing fades

"""StreamView in a real JupyterLab 4 and Notebook 7, driven by Chromium.

One notebook per UI replays two cassettes written into the server's root: a rich stream
(thinking, text, three parallel tool calls, prompt-cache usage) and a hostile one whose
every model-controlled string carries markup that would set ``window.__pwned`` if it ever
ran; a last cell shows the static ``text/html`` fallback of the hostile stream too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect
from streams import HOSTILE_IMG, HOSTILE_TEXT, RICH_CALLS, hostile_stream, paced, rich_stream
from ui_harness import UI, UI_TIMEOUT_MS, JupyterServer, NotebookSession

from streamscope.core.cassette import write_cassette

pytestmark = pytest.mark.browser

DONE_MARKER = "streamview-cells-done"
CELLS = [
    "from IPython.display import HTML, display\n"
    "from streamscope.widgets import StreamView, snapshot\n"
    "from streamscope.widgets.html import render_html",
    "rich = StreamView()\ndisplay(rich)\n_ = await rich.play('rich.jsonl', speed=None)",
    "hostile = StreamView()\n"
    "display(hostile)\n"
    "try:\n"
    "    hostile.consume(__import__('pathlib').Path('hostile.jsonl'))\n"
    "except Exception as exc:\n"
    "    print('hostile stream raised', type(exc).__name__)",
    "display(HTML(render_html(snapshot(hostile.state))))",
    f"print('{DONE_MARKER}')",
]
LIVE = ".ss-view:not(.ss-static)"

# Every element of a view with an on* attribute, and every href that is not http(s)/mailto.
_UNSAFE_ATTRIBUTES = """
(root) => {
  const bad = [];
  for (const el of root.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) bad.push(`${el.tagName} ${a.name}`);
      const url = /^(href|src|xlink:href|action|formaction)$/i.test(a.name);
      if (url && !/^(https?:|mailto:)/i.test(a.value.trim())) bad.push(`${el.tagName} ${a.value}`);
    }
  }
  return bad;
}
"""
# Resolves once an image that fails to load has fired onerror: hostile <img onerror> added
# earlier would have fired by then too (a wait, not a sleep).
_CANARY = """
() => new Promise((resolve) => {
  const img = document.createElement('img');
  img.onerror = () => { img.remove(); resolve(true); };
  img.src = 'streamscope-canary-' + Date.now() + '.png';
  document.body.appendChild(img);
})
"""


@dataclass
class Rendered:
    ui: UI
    page: Any
    session: NotebookSession

    def live_view(self, tool_name: str) -> Any:
        page = self.page
        return page.locator(LIVE).filter(has=page.locator(".ss-tool-name", has_text=tool_name))


@pytest.fixture(scope="module")
def cassettes(jupyter_server: JupyterServer) -> None:
    rich = rich_stream()
    write_cassette(jupyter_server.root / "rich.jsonl", rich, paced(rich))
    hostile = hostile_stream()
    write_cassette(jupyter_server.root / "hostile.jsonl", hostile, paced(hostile))


@pytest.fixture(scope="module", params=["lab", "notebook"])
def rendered(
    request: pytest.FixtureRequest, browser: Any, jupyter_server: JupyterServer, cassettes: None
) -> Iterator[Rendered]:
    ui: UI = request.param
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    session = NotebookSession(jupyter_server, page)

    def on_dialog(dialog: Any) -> None:
        session.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        session.run(
            f"streamview_{ui}.ipynb",
            CELLS,
            ui=ui,
            wait_for=f".jp-OutputArea-output:has-text('{DONE_MARKER}')",
        )
        page.locator(f"{LIVE}[data-status='done']").first.wait_for()
        page.locator(f"{LIVE}[data-status='failed']").first.wait_for()
        page.locator(".ss-view.ss-static").first.wait_for()
        yield Rendered(ui, page, session)
    finally:
        session.close()
        context.close()


def test_parallel_tool_lanes_sit_side_by_side(rendered: Rendered) -> None:
    view = rendered.live_view("get_weather")
    row = view.locator(".ss-tool-row")
    assert row.count() == 1
    row.scroll_into_view_if_needed()
    lanes = row.locator(":scope > .ss-lane")
    assert lanes.count() == len(RICH_CALLS)
    boxes = [lanes.nth(k).bounding_box() for k in range(lanes.count())]
    assert all(box is not None for box in boxes)
    tops = [box["y"] for box in boxes]
    assert max(tops) - min(tops) < 2, tops  # one row
    for left, right in itertools.pairwise(boxes):
        assert left["x"] + left["width"] <= right["x"] + 1, (left, right)  # side by side
    names = [lanes.nth(k).locator(".ss-tool-name").text_content() for k in range(lanes.count())]
    assert names == [name for name, _ in RICH_CALLS]


def test_arguments_signature_and_cache_figures(rendered: Rendered) -> None:
    view = rendered.live_view("get_weather")
    hotel = view.locator(".ss-lane[data-index='4'] .ss-tool-tree")
    hotel.scroll_into_view_if_needed()
    city = hotel.locator("[data-path='/city']")
    expect(city).to_be_visible()
    expect(city).to_contain_text("Paris", use_inner_text=True)
    expect(hotel.locator("[data-path='/guests/adults']")).to_contain_text("2")
    expect(hotel.locator("[data-path='/tags/0']")).to_contain_text("quiet")
    assert hotel.locator(".ss-field[data-state='streaming']").count() == 0
    badge = view.locator(".ss-lane[data-kind='thinking'] .ss-signature[data-present='true']")
    badge.scroll_into_view_if_needed()
    expect(badge).to_be_visible()
    usage = {
        key: re.sub(r"\D", "", view.locator(f"[data-usage={key}]").text_content() or "")
        for key in ("cache_read_input_tokens", "cache_creation_input_tokens", "input_tokens")
    }
    assert usage == {
        "cache_read_input_tokens": "2048",
        "cache_creation_input_tokens": "1024",
        "input_tokens": "312",
    }
    assert view.locator(".ss-timeline svg .ss-timeline-row").count() == 5
    text = view.locator(".ss-lane[data-kind='text'] .ss-text")
    expect(text.locator("strong")).to_have_text("weather")
    expect(text.locator("code")).to_have_text("flights")
    expect(text.locator("del")).to_have_text("one by one")


def _assert_inert_view(page: Any, view: Any) -> None:
    assert view.locator("script, iframe, img, object, embed").count() == 0
    assert view.locator("svg").count() == view.locator(".ss-timeline svg").count()
    assert view.evaluate(_UNSAFE_ATTRIBUTES) == []


def test_hostile_stream_stays_inert(rendered: Rendered) -> None:
    page = rendered.page
    assert page.evaluate(_CANARY) is True
    assert page.evaluate("() => window.__pwned") is None
    assert rendered.session.dialogs == []
    view = page.locator(f"{LIVE}[data-status='failed']")
    assert view.count() == 1
    _assert_inert_view(page, view)
    name = view.locator(".ss-tool-name").first
    name.scroll_into_view_if_needed()
    expect(name).to_have_text(f"tool{HOSTILE_TEXT}", use_inner_text=True)
    for cls in (".ss-thinking-text", ".ss-text"):
        expect(view.locator(cls)).to_contain_text(HOSTILE_IMG, use_inner_text=True)
    assert "hostile stream raised StreamAPIError" in rendered.session.outputs_text()


def test_static_fallback_stays_inert_in_the_page(rendered: Rendered) -> None:
    page = rendered.page
    static = page.locator(".ss-view.ss-static")
    assert static.count() == 1
    assert page.evaluate(_CANARY) is True
    assert page.evaluate("() => window.__pwned") is None
    _assert_inert_view(page, static)
    # innerText (what is rendered as text), polled: an output scrolled into view renders
    # on a later frame.
    name = static.locator(".ss-tool-name").first
    name.scroll_into_view_if_needed()
    expect(name).to_be_visible()
    expect(name).to_have_text(f"tool{HOSTILE_TEXT}", use_inner_text=True)
    error = static.locator(".ss-error-text")
    error.scroll_into_view_if_needed()
    expect(error).to_contain_text(HOSTILE_TEXT, use_inner_text=True)

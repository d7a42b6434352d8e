"""StreamView in a real JupyterLab 4 and Notebook 7, driven by Chromium.

One notebook per UI replays two cassettes written into the server's root: a rich stream
(thinking, text, three parallel tool calls, prompt-cache usage) and a hostile one whose
every model-controlled string carries markup that would set ``window.__pwned`` if it ever
ran. Each view is also shown a second time as a bare widget (its "live twin"), which stays
live after the view's own output has become its static picture: the two must be the same
HTML, since one renderer makes both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect
from streams import HOSTILE_IMG, HOSTILE_TEXT, RICH_CALLS, hostile_stream, paced, rich_stream
from ui_harness import (
    TWIN_CELL,
    UI,
    UI_TIMEOUT_MS,
    JupyterServer,
    NotebookSession,
    assert_same_html,
    static_and_twin,
)

from streamscope.core.io.cassette import write_cassette

pytestmark = pytest.mark.browser

DONE_MARKER = "streamview-cells-done"
CELLS = [
    "from streamscope.widgets import StreamView\n" + TWIN_CELL,
    "rich = StreamView()\ndisplay(rich)\nlive_twin(rich)\n"
    "_ = await rich.play('rich.jsonl', speed=None)",
    "hostile = StreamView()\n"
    "display(hostile)\n"
    "live_twin(hostile)\n"
    "try:\n"
    "    hostile.consume(__import__('pathlib').Path('hostile.jsonl'))\n"
    "except Exception as exc:\n"
    "    print('hostile stream raised', type(exc).__name__)",
    f"print('{DONE_MARKER}')",
]
LIVE = ".ss-mount > .ss-view"
STATIC = ".ss-static > .ss-view"

# Every element with an on* attribute, and every href that is not http(s)/mailto/#.
_UNSAFE_ATTRIBUTES = """
(root) => {
  const bad = [];
  for (const el of root.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) bad.push(`${el.tagName} ${a.name}`);
      const url = /^(href|src|xlink:href|action|formaction)$/i.test(a.name);
      const ok = /^(https?:|mailto:|#)/i.test(a.value.trim());
      if (url && !ok) bad.push(`${el.tagName} ${a.value}`);
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

    def cell(self, index: int) -> Any:
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)


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
        page.locator(f"{STATIC}[data-status='done']").first.wait_for()
        page.locator(f"{STATIC}[data-status='failed']").first.wait_for()
        page.locator(f"{LIVE}[data-status='failed']").first.wait_for()
        yield Rendered(ui, page, session)
    finally:
        session.close()
        context.close()


def test_a_finished_view_is_its_static_picture_and_its_twin_is_the_same(
    rendered: Rendered,
) -> None:
    for index in (1, 2):
        cell = rendered.cell(index)
        assert cell.locator(".jp-OutputArea-output").first.locator(STATIC).count() == 1
        lazy, static, live = static_and_twin(rendered.page, cell)
        assert lazy >= (3 if index == 1 else 1)
        assert_same_html(static, live)


@pytest.mark.parametrize("where", [LIVE, STATIC])
def test_parallel_tool_lanes_sit_side_by_side(rendered: Rendered, where: str) -> None:
    view = rendered.cell(1).locator(where)
    lanes = view.locator(".ss-tool-row > .ss-lane")
    expect(lanes).to_have_count(3)
    boxes = [lanes.nth(k).bounding_box() for k in range(3)]
    assert all(b is not None for b in boxes)
    tops = {round(b["y"]) for b in boxes if b}
    lefts = [b["x"] for b in boxes if b]
    assert len(tops) == 1 and lefts == sorted(lefts) and len(set(lefts)) == 3
    names = [lanes.nth(k).locator(".ss-lane-name").inner_text() for k in range(3)]
    assert names == [name for name, _ in RICH_CALLS]


def test_arguments_signature_and_cache_figures(rendered: Rendered) -> None:
    view = rendered.cell(1).locator(LIVE)
    hotel = view.locator(".ss-lane[data-index='4']")
    expect(hotel.locator("li[data-path='/city']")).to_have_text('city: "Paris"')
    expect(hotel.locator("li[data-path='/guests']")).to_contain_text("adults: 2")
    expect(view.locator(".ss-signature[data-present='true']")).to_contain_text("20 characters")
    usage = view.locator(".ss-usage")
    expect(usage.locator("td[data-usage='cache_creation_input_tokens']")).to_have_text("1,024")
    expect(usage.locator("td[data-usage='cache_read_input_tokens']")).to_have_text("2,048")
    expect(usage.locator("td[data-usage='cache_hit_rate']")).to_have_text("60.5%")
    expect(view.locator(".ss-cost-source")).to_contain_text("genai-prices")


def test_a_timeline_bar_scrolls_to_its_lane(rendered: Rendered) -> None:
    view = rendered.cell(1).locator(LIVE)
    bar = view.locator(".ss-tl-row[data-index='4'] .ss-tl-bar")
    bar.click()
    lane = view.locator(".ss-lane[data-index='4']")
    expect(lane).to_have_class("ss-lane ss-flash")
    expect(lane).to_be_in_viewport()


def test_hostile_stream_stays_inert(rendered: Rendered) -> None:
    page = rendered.page
    assert page.evaluate(_CANARY) is True
    assert page.evaluate("() => window.__pwned") is None
    assert rendered.session.dialogs == []
    for where in (LIVE, STATIC):
        view = rendered.cell(2).locator(where)
        assert view.locator("script, iframe, img, object, embed").count() == 0
        assert view.element_handle().evaluate(_UNSAFE_ATTRIBUTES) == []
        text = view.inner_text()
        assert HOSTILE_IMG in text  # shown as text
        expect(view.locator(".ss-model")).to_have_text(f"model{HOSTILE_TEXT} → to{HOSTILE_TEXT}")
        # today's pictures: stdout, a fallback's models, a fetched page stay text
        expect(view.locator(".ss-stdout")).to_have_text(f"stdout {HOSTILE_TEXT}")
        assert f"to{HOSTILE_TEXT} continued" in view.locator(".ss-fallback").inner_text()
        assert view.locator(".ss-fetch a").count() == 0  # its javascript: URL is no link
        assert view.locator(".ss-status").inner_text().lower() == "failed"

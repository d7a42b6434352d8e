"""Looking inside a live stream, in JupyterLab 4 and Chromium: the wire inspector, the marks
on tool arguments that break their schema, and the request box.

Each notebook replays a gallery recording *held* (``streams.held_recording``): its events up
to a point come with their recorded timing, the rest an hour later. The view therefore stays
live (streaming, its buttons heard) where the test acts on it, without racing the replay's
end; the test ends the stream by choosing "instant" in the replay's speed menu. The replay
runs as a task (``asyncio.ensure_future``) so that its cell ends: the kernel hears a click
only while no cell blocks it.

The page's websocket traffic is read as text (:class:`Traffic`), to check that the page asks
for a lazy region (``want``) only once it is opened, and that the kernel sends it only then.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from streams import held_recording
from ui_harness import (
    TWIN_CELL,
    UI_TIMEOUT_MS,
    JupyterServer,
    NotebookSession,
    assert_same_html,
    static_and_twin,
)

from streamscope.core.io import gallery
from streamscope.core.stream.event_log import PAGE

pytestmark = pytest.mark.browser

LIVE = ".ss-mount > .ss-view"
STATIC = ".ss-static > .ss-view"
WIRE_HELD_AT = 80
"""parallel_tools (100 events) is held after its 80th: blocks 0-3 done, block 4 streaming."""
BAD_HELD_AT = 24
"""invalid_tool_arguments (27 events) is held before its 25th, the tool's content_block_stop."""
BIG_HELD_AT = 900
"""write_file_200kb (923 events) is held after its 900th."""
KEY_PARTS = ("sk-ant-api03-", f"streamscope-canary-{secrets.token_hex(8)}")
"""A fake key, set in the kernel's environment in two pieces: the cell's source (shown on
the page, and kept in IPython's history, which JupyterLab reads back) never holds it whole,
and no earlier run's does either."""
KEY_CANARY = "".join(KEY_PARTS)


def play_cells(path: str, speed: float, *, twin: bool = False, setup: str = "") -> list[str]:
    """A notebook that shows a view (and its live twin) and replays ``path`` as a task."""
    show = "view = StreamView()\ndisplay(view)\n" + ("live_twin(view)\n" if twin else "")
    return [
        "import asyncio\nfrom streamscope.widgets import StreamView\n" + TWIN_CELL + setup,
        show + f"task = asyncio.ensure_future(view.play({path!r}, speed={speed!r}))",
    ]


class Traffic:
    """What the page and its kernel said to each other over websockets, as text."""

    def __init__(self, page: Any) -> None:
        self.received: list[str] = []
        self.sent: list[str] = []
        page.on("websocket", self._socket)

    def _socket(self, socket: Any) -> None:
        socket.on("framereceived", lambda payload: self.received.append(_text(payload)))
        socket.on("framesent", lambda payload: self.sent.append(_text(payload)))

    def wants(self) -> list[str]:
        """The lazy regions the page asked for, in order."""
        pattern = re.compile(r'"type"\s*:\s*"want"\s*,\s*"region"\s*:\s*"([^"]+)"')
        return [m.group(1) for frame in self.sent for m in pattern.finditer(frame)]

    def op_counts(self, region: str) -> list[int]:
        """The part counts of every op the kernel sent for ``region`` (one per patch that
        touched it); an op is ``[region, count, ...]``."""
        pattern = re.compile(r'\[\s*"' + re.escape(region) + r'"\s*,\s*(\d+)')
        return [int(m.group(1)) for frame in self.received for m in pattern.finditer(frame)]


def _text(payload: str | bytes) -> str:
    return payload if isinstance(payload, str) else payload.decode("utf-8", "replace")


def open_live(session: NotebookSession, name: str, cells: list[str], events: int) -> Any:
    """Run ``cells``; the live view once it shows ``events`` events and its cell is done."""
    session.open(name, cells)
    session.run_all()
    view = session.page.locator(LIVE).first
    position = view.locator(".ss-controls .ss-position")
    expect(position).to_contain_text(f"event {events} of", timeout=UI_TIMEOUT_MS)
    session.wait_idle()  # the cell has ended: clicks are heard
    expect(view).to_have_attribute("data-status", "streaming")
    return view


def release(page: Any) -> Any:
    """Play the rest at once (the speed menu's "instant"); the static picture once done."""
    page.locator(f"{LIVE} .ss-controls select[data-ss-action='speed']").first.select_option("")
    static = page.locator(f"{STATIC}[data-status='done']").first
    static.wait_for()
    return static


@pytest.fixture(scope="module")
def held(jupyter_server: JupyterServer) -> None:
    root = jupyter_server.root
    held_recording("parallel_tools", WIRE_HELD_AT, root / "wire_held.jsonl")
    held_recording("invalid_tool_arguments", BAD_HELD_AT, root / "bad_held.jsonl")
    held_recording("write_file_200kb", BIG_HELD_AT, root / "big_held.jsonl")


@pytest.fixture
def traffic(page: Any) -> Traffic:
    return Traffic(page)


@pytest.fixture
def session(notebooks: NotebookSession, traffic: Traffic, held: None) -> Iterator[NotebookSession]:
    yield notebooks


# --------------------------------------------------------------------------- the wire


def test_the_wire_inspector_pages_filters_and_marks_while_live(
    session: NotebookSession, traffic: Traffic
) -> None:
    page = session.page
    cells = play_cells("wire_held.jsonl", 4.0, twin=True)
    view = open_live(session, "wire.ipynb", cells, WIRE_HELD_AT)
    wire = view.locator("details.ss-wire")
    rows = view.locator("li.ss-wire-event")
    expect(wire.locator("summary")).to_have_text(f"Events on the wire · {WIRE_HELD_AT} events")
    # closed: the page holds no list and never asked for one, and the kernel sent none
    assert rows.count() == 0
    assert traffic.wants() == []
    assert traffic.op_counts("lazy:wire/list") == []

    wire.locator("summary").click()
    expect(rows.first).to_be_visible()
    # live, the list follows the newest page: events 51-80
    expect(rows).to_have_count(WIRE_HELD_AT - PAGE)
    numbers = rows.locator("button[data-ss-action='wire-mark']")
    expect(numbers.first).to_have_text(f"#{PAGE + 1}")
    controls = wire.locator(".ss-wire-controls")
    expect(controls.locator(".ss-position")).to_have_text("page 2 of 2")
    # opening asked for exactly the inspector's two regions (no raw JSON, no request code)
    assert sorted(traffic.wants()) == ["lazy:ctl:wire-ctl", "lazy:wire/list"]
    controls.locator("button", has_text="earlier").click()
    expect(numbers.first).to_have_text("#1")
    expect(rows).to_have_count(PAGE)
    expect(controls.locator(".ss-position")).to_have_text("page 1 of 2")

    # a block chosen in the menu: its events only, every one of them
    events = gallery.load_events("parallel_tools")[:WIRE_HELD_AT]
    of_block = {i: sum(1 for e in events if e.get("index") == i) for i in range(6)}
    wire.locator("select[data-ss-action='wire-block']").select_option("2")
    expect(rows).to_have_count(of_block[2])
    assert set(rows.evaluate_all("(els) => els.map((e) => e.dataset.index)")) == {"2"}

    # a click on a timeline bar: that block's events, and the menu says so
    view.locator(".ss-tl-row[data-index='4'] rect[data-ss-action='wire-block']").click()
    expect(rows).to_have_count(of_block[4])
    assert set(rows.evaluate_all("(els) => els.map((e) => e.dataset.index)")) == {"4"}
    expect(wire.locator("select[data-ss-action='wire-block']")).to_have_value("4")

    # a click on an event's number: its moment on the timeline, and its lane comes into view
    lane = view.locator(".ss-lane[data-index='4']")
    row = rows.nth(5)
    number = row.locator("button[data-ss-action='wire-mark']")
    number.evaluate("(e) => e.scrollIntoView({block: 'start'})")  # the lane is far above
    expect(lane).not_to_be_in_viewport()  # else scrolling to it would prove nothing
    assert view.locator(".ss-tl-mark").count() == 0
    number.click()
    expect(lane).to_have_class(re.compile(r"\bss-flash\b"))
    expect(lane).to_be_in_viewport()
    tracks = view.locator(".ss-tl-track")
    expect(view.locator(".ss-tl-mark")).to_have_count(tracks.count())  # one line across rows
    expect(row).to_have_attribute("data-marked", "")
    # the mark stands within block 4's bar, and every row is on one axis
    mark = view.locator(".ss-tl-row[data-index='4'] .ss-tl-mark")
    bar = view.locator(".ss-tl-row[data-index='4'] .ss-tl-bar")
    x = float(mark.get_attribute("x") or "nan")
    start, width = float(bar.get_attribute("x") or "nan"), float(bar.get_attribute("width") or "0")
    assert start <= x <= start + width, (start, x, width)
    boxes = tracks.evaluate_all("(els) => els.map((e) => e.getAttribute('viewBox'))")
    assert len(set(boxes)) == 1, boxes

    # what the page was sent of the list: a page at a time, never more
    assert max(traffic.op_counts("lazy:wire/list")) <= PAGE

    static = release(page)
    # the static picture: the inspector closed, its first page as text, no controls
    box = static.locator("details.ss-wire")
    assert box.get_attribute("open") is None
    assert box.locator("summary").inner_text() == "Events on the wire · 100 events"
    frozen = box.locator("li.ss-wire-event")
    expect(frozen).to_have_count(PAGE)
    assert (frozen.first.text_content() or "").startswith("#1 · ")
    assert box.locator("button, select").count() == 0
    # and it is what the live twin shows, now that the stream is over
    cell = page.locator(".jp-Notebook .jp-Cell").nth(1)
    lazy, static_html, live_html = static_and_twin(page, cell)
    assert lazy >= 3  # the wire's two regions and a raw JSON box at least
    assert_same_html(static_html, live_html)


def test_the_inspector_of_a_200_kb_stream_holds_one_page(
    session: NotebookSession, traffic: Traffic
) -> None:
    view = open_live(session, "big.ipynb", play_cells("big_held.jsonl", 200.0), BIG_HELD_AT)
    wire = view.locator("details.ss-wire")
    expect(wire.locator("summary")).to_contain_text(f"{BIG_HELD_AT} events")
    assert traffic.op_counts("lazy:wire/list") == []
    wire.locator("summary").click()
    rows = view.locator("li.ss-wire-event")
    expect(rows).to_have_count(PAGE)  # 900 events: the newest of 18 pages
    expect(wire.locator(".ss-wire-controls .ss-position")).to_have_text("page 18 of 18")
    expect(rows.first.locator("button")).to_have_text(f"#{BIG_HELD_AT - PAGE + 1}")
    counts = traffic.op_counts("lazy:wire/list")
    assert counts and max(counts) <= PAGE
    # the tool call's raw JSON (200 KB, a closed box) was neither asked for nor sent
    assert not any(want.startswith("lazy:raw/") for want in traffic.wants())
    assert traffic.op_counts("lazy:raw/1") == []


# --------------------------------------------------------------------------- violations

# Records, for the view's tool lane, each mark as it first appears: the field's path (the
# whole call's for a missing field), the lane's status then, and the note's text.
_WATCH_MARKS = """
() => {
  window.__marks = [];
  const seen = new Set();
  const look = () => {
    const lane = document.querySelector('.ss-mount > .ss-view .ss-lane[data-index="1"]');
    if (!lane) return;
    for (const li of lane.querySelectorAll('.ss-args li[data-bad]')) {
      const key = li.getAttribute('data-path') ?? '(arguments)';
      if (seen.has(key)) continue;
      seen.add(key);
      const note = li.querySelector(':scope > .ss-bad');
      window.__marks.push([key, lane.getAttribute('data-status'), note && note.textContent]);
    }
  };
  new MutationObserver(look).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
}
"""
BROKEN = {
    "/time": "⚠ must match the pattern",
    "/party_size": '⚠ expected integer, got string "4"',
    "/seating": '⚠ must be one of "indoor", "terrace", "bar" (got "window")',
    "/notes": '⚠ unexpected property "notes"',
    "(arguments)": '⚠ missing required property "date"',
}
"""What invalid_tool_arguments breaks, in the order its JSON comes."""


def test_broken_arguments_are_marked_while_they_stream(session: NotebookSession) -> None:
    page = session.page
    session.open("bad.ipynb", play_cells("bad_held.jsonl", 0.2, twin=True))
    page.evaluate(_WATCH_MARKS)
    session.run_all()
    view = page.locator(LIVE).first
    position = view.locator(".ss-controls .ss-position")
    expect(position).to_contain_text(f"event {BAD_HELD_AT} of", timeout=UI_TIMEOUT_MS)
    session.wait_idle()
    lane = view.locator(".ss-lane[data-index='1']")
    marked = lane.locator(".ss-args li[data-bad]")
    expect(marked).to_have_count(len(BROKEN))
    # each mark came as its field completed, while the call was still streaming
    seen = page.evaluate("() => window.__marks")
    assert [key for key, _, _ in seen] == list(BROKEN)
    assert {status for _, status, _ in seen} == {"streaming"}
    for key, _, note in seen:
        assert note.startswith(BROKEN[key]), (key, note)
    expect(lane).to_have_attribute("data-status", "streaming")
    for k in range(len(BROKEN)):  # said in words beside the value, not by colour alone
        note = marked.nth(k).locator(":scope > .ss-bad")
        expect(note).to_be_visible()
        expect(note).to_have_text(re.compile(r"^⚠ \S"))

    static = release(page)
    expect(lane).to_have_attribute("data-status", "done")  # now the live twin's lane
    calls = static.locator("ul.ss-call-violations > li")
    expect(calls).to_have_count(len(BROKEN))
    texts = calls.all_text_contents()
    assert all(text.startswith("⚠ ") for text in texts)
    for text, (key, note) in zip(texts, BROKEN.items(), strict=True):
        assert text.startswith(f"⚠ {key.lstrip('/')}: {note.removeprefix('⚠ ')}"), text
    # the static picture marks the same fields with the same words
    frozen = static.locator(".ss-lane[data-index='1'] .ss-args li[data-bad] > .ss-bad")
    assert frozen.all_text_contents() == [note for _, _, note in seen]
    cell = page.locator(".jp-Notebook .jp-Cell").nth(1)
    _, static_html, live_html = static_and_twin(page, cell)
    assert_same_html(static_html, live_html)


# --------------------------------------------------------------------------- the request


def test_the_request_box_copies_code_to_send_it_again(
    session: NotebookSession, traffic: Traffic, jupyter_server: JupyterServer
) -> None:
    page = session.page
    page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=jupyter_server.base
    )
    # a key in the kernel's environment, which must never reach the page
    first, second = KEY_PARTS
    setup = f"\nimport os\nos.environ['ANTHROPIC_API_KEY'] = {first!r} + {second!r}\n"
    cells = play_cells("wire_held.jsonl", 4.0, setup=setup)
    view = open_live(session, "request.ipynb", cells, WIRE_HELD_AT)
    box = view.locator("details.ss-request")
    expect(box.locator("summary")).to_have_text("The request · send it again")
    codes = box.locator("pre.ss-code")
    assert codes.count() == 0
    assert "lazy:request/code" not in traffic.wants()

    box.locator("summary").click()
    expect(codes).to_have_count(2)
    assert traffic.wants() == ["lazy:request/code"]
    titles = box.locator(".ss-copyable .ss-col-title").all_text_contents()
    assert [t.replace("Copy", "").strip() for t in titles] == ["Python (the anthropic SDK)", "curl"]
    python, curl = (codes.nth(k).text_content() or "" for k in range(2))
    assert "anthropic.Anthropic()" in python and "ANTHROPIC_API_KEY" in python
    assert "search_flights" in python  # the recorded request's tools
    compile(python, "<request>", "exec")
    assert '"x-api-key: $ANTHROPIC_API_KEY"' in curl

    buttons = box.locator("button[data-ss-copy]")
    expect(buttons).to_have_count(2)
    for button, code in ((buttons.nth(0), python), (buttons.nth(1), curl)):
        button.click()
        expect(button).to_have_text("Copied ✓")
        assert page.evaluate("() => navigator.clipboard.readText()") == code
    expect(buttons.nth(0)).to_have_text("Copy")  # and back, once said

    static = release(page)
    frozen = static.locator("details.ss-request")
    assert frozen.get_attribute("open") is None
    expect(frozen.locator("pre.ss-code")).to_have_count(2)
    assert frozen.locator("pre.ss-code").all_text_contents() == [python, curl]
    assert frozen.locator("button").count() == 0 and "Copy" not in (frozen.text_content() or "")
    # the key is nowhere: not on the page, not in what the kernel sent it
    assert KEY_CANARY not in page.content()
    assert not any(KEY_CANARY in frame for frame in traffic.received)

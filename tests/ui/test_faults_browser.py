"""A request that was rate limited, retried, then reset mid-stream, as Chromium draws it.

The real ``anthropic`` client sends to a server on 127.0.0.1 (tests/socket_api.py) that
answers 429 (``retry-after: 0``), then streams a thinking block and the start of an answer
and resets the connection. A StreamView with the client's AttemptLog consumes it; its
exported page, opened in Chromium 800 px wide in the light theme, must say in words what
happened: "failed: connection reset after N bytes" in the header, a row per HTTP attempt
on the timeline (the 429 retried, the 200 reset), the same words in the panel. It is
photographed into pytest's temporary folder (with ``STREAMSCOPE_DOCS=1`` into
docs/faults.png, the picture of docs/howto/faults.md).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import anthropic
import pytest
from mock_api import sse_body
from socket_api import Answer, SocketAPI
from streams import message_end, message_start, text_events, thinking_events

from streamscope.core.wire.attempts import AttemptLog
from streamscope.widgets import StreamView

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
THINKING = (
    "The user wants the failing stage of last night's build. The log shows the integration "
    "stage exiting with code 1 after the database migration step timed out."
)
ANSWER = (
    "Last night's build failed in the **integration** stage: the database migration timed "
    "out after 300 s, so every test after it was skipped. The same migration passed on "
    "Tuesday, which points to the new index on `orders`."
)
EVENTS = [
    message_start("claude-sonnet-4-5"),
    *thinking_events(0, THINKING, chunk=18),
    *text_events(1, ANSWER, chunk=14),
    *message_end(output_tokens=160),
]
KEPT = 22
"""Events that arrive before the reset (the thinking, and part of the answer)."""
CUT = len(sse_body(EVENTS[:KEPT]))


def _view() -> StreamView:
    hold = threading.Event()
    answers = [
        Answer(429, {"retry-after": "0"}),
        Answer(events=EVENTS, cut=CUT, reset=True, hold=hold, pace=0.03),
    ]
    log = AttemptLog()
    view = StreamView(flush_timer=False, attempts=log, title="streamscope")
    apply = view.apply

    def applied(event: Any, at: float | None = None) -> Any:
        change = apply(event, at)
        if view.state.event_count >= KEPT:
            hold.set()  # everything before the reset has arrived
        return change

    view.apply = applied  # type: ignore[method-assign]
    with SocketAPI(answers) as api:
        client = anthropic.Anthropic(
            api_key="sk-test", base_url=api.base_url, max_retries=1, timeout=10, middleware=[log]
        )
        with pytest.raises(anthropic.APIConnectionError):
            view.consume(
                client.messages.stream(
                    model="claude-sonnet-4-5",
                    max_tokens=1024,
                    messages=[{"role": "user", "content": "Why did the nightly build fail?"}],
                )
            )
    assert view.state.event_count == KEPT
    return view


def test_a_retried_429_and_a_reset_mid_stream_in_words(page: Any, tmp_path: Path) -> None:
    view = _view()
    html = view.export_html(tmp_path / "faults.html")
    page.set_viewport_size({"width": 800, "height": 1000})
    page.emulate_media(color_scheme="light")
    page.goto(html.as_uri())
    shown = page.locator(".ss-view").first
    shown.wait_for()

    head = shown.locator(".ss-header")
    assert (head.locator(".ss-status").text_content() or "") == "failed"
    words = f": connection reset after {CUT:,} bytes"
    assert (head.locator(".ss-failure-words").text_content() or "") == words
    assert head.locator(".ss-failure-words").is_visible()

    rows = shown.locator(".ss-tl-row[data-kind=attempt]")
    assert rows.count() == 2
    assert [rows.nth(k).get_attribute("data-outcome") for k in range(2)] == ["retried", "failed"]
    said = [rows.nth(k).locator(".ss-tl-words").text_content() or "" for k in range(2)]
    assert said[0].startswith("429 rate limited, retried after ")
    assert said[1] == f"200 ok, connection reset after {CUT:,} bytes"
    assert all(rows.nth(k).locator(".ss-tl-words").is_visible() for k in range(2))
    # the attempts come first on the timeline, above the blocks, on the same axis
    first_block = shown.locator(".ss-tl-row[data-kind=thinking]")
    assert rows.nth(1).bounding_box()["y"] < first_block.bounding_box()["y"]
    wait = rows.nth(0).locator(".ss-tl-wait")
    assert wait.count() == 1
    lines = shown.locator(".ss-attempts li")
    assert [(lines.nth(k).text_content() or "") for k in range(2)] == [
        f"attempt {k + 1}: {said[k]}" for k in range(2)
    ]
    # the words of a failure read in the error colour, a retry's in the warning colour
    error = head.locator(".ss-status").evaluate("e => getComputedStyle(e).color")
    assert head.locator(".ss-failure-words").evaluate("e => getComputedStyle(e).color") == error
    assert rows.nth(1).locator(".ss-tl-words").evaluate("e => getComputedStyle(e).color") == error
    assert rows.nth(0).locator(".ss-tl-words").evaluate("e => getComputedStyle(e).color") != error

    out = DOCS if os.environ.get("STREAMSCOPE_DOCS") == "1" else tmp_path
    shown.screenshot(path=str(out / "faults.png"), animations="disabled")
    assert (out / "faults.png").stat().st_size > 10_000

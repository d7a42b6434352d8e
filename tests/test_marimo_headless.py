"""The views in a marimo kernel, without marimo: what they do differently there.

Measured with marimo 0.25.2 (tests/ui/test_marimo_browser.py drives a real server): a page's
messages reach the kernel only after the running cell ends. So in marimo a view (made
there: ``in_marimo()`` at construction) offers its whole picture unasked until a page says
hello, disables the controls nobody can hear, never updates a display (marimo's
``update_display`` would replace the running cell's output), and a ConversationView lets
its ``approve=`` policy decide at once instead of waiting for a click that cannot come.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from streams import rich_stream, text_stream
from test_conversation_headless import Tools, make_loop
from view_harness import FakeClock, Recorder, deliver, page_parts

import streamscope.widgets.surface
from streamscope.widgets import ConversationView, StreamView
from streamscope.widgets._hosts import MARIMO_CLICKS, in_marimo
from streamscope.widgets.loop_view import NOBODY

TIMEOUT = 20.0


@pytest.fixture
def marimo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Views made from now on believe they are in a marimo kernel."""
    monkeypatch.setattr(streamscope.widgets.surface, "in_marimo", lambda: True)


def pictures_sent(rec: Recorder) -> list[dict[str, Any]]:
    return [
        m["state"]["picture"]
        for m in rec.messages
        if m.get("method") == "update" and "picture" in m.get("state", {})
    ]


def test_not_in_marimo_here() -> None:
    assert in_marimo() is False  # marimo may be installed; no marimo kernel runs the tests
    assert StreamView().in_marimo is False


def test_the_picture_is_offered_unasked_until_a_page_says_hello(marimo: None) -> None:
    clock = FakeClock()
    view = StreamView(clock=clock, flush_timer=False)
    rec = Recorder(view)
    assert view.in_marimo
    events = rich_stream()
    for event in events[:40]:  # 4 s of frames, 0.1 s apart
        clock.advance(0.1)
        view.apply(event)
    offered = pictures_sent(rec)
    assert 3 <= len(offered) <= 5  # about once a second, not once a frame
    assert rec.patches, "patches still carry every frame"
    assert offered[-1]["seq"] <= view._seq

    deliver(view, {"type": "hello", "have": 0})  # a page was heard: it can ask from now on
    count = len(pictures_sent(rec))
    for event in events[40:]:
        clock.advance(0.1)
        view.apply(event)
    assert len(pictures_sent(rec)) == count


def test_a_final_view_offers_its_last_picture(marimo: None) -> None:
    clock = FakeClock()
    view = StreamView(clock=clock, flush_timer=False)
    rec = Recorder(view)
    for event in text_stream("hello"):
        view.apply(event)  # all in one frame interval: the clock does not move
    view.finish()
    final = pictures_sent(rec)[-1]
    assert final["seq"] == view._seq
    assert 'data-status="done"' in "".join(final["regions"]["view"])


def test_controls_are_disabled_and_say_why(marimo: None) -> None:
    clock = FakeClock()
    view = StreamView(clock=clock, flush_timer=False)
    rec = Recorder(view)
    initial = json.loads(json.dumps(view.picture))
    asyncio.run(view.play([(0.0, e) for e in text_stream("hi")], speed=None))
    controls = [
        "".join(page_parts(initial, rec.patches[:k]).get("ctl:controls", []))
        for k in range(1, len(rec.patches) + 1)
    ]
    shown = next(c for c in controls if 'data-ss-action="pause"' in c)
    for action in ("pause", "step", "stop"):
        tag = shown[shown.index(f'data-ss-action="{action}"') :]
        assert " disabled" in tag[: tag.index(">")], action
    select = shown[shown.index('data-ss-action="speed"') :]
    assert " disabled" in select[: select.index(">")]
    assert MARIMO_CLICKS.split(",")[0] in shown


def test_a_finished_view_never_updates_a_display(
    marimo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython.display

    calls: list[str] = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: calls.append("display"))
    monkeypatch.setattr(IPython.display, "update_display", lambda *a, **k: calls.append("update"))
    view = StreamView(flush_timer=False)
    view._ipython_display_()
    for event in text_stream("hi"):
        view.apply(event)
    view.finish()
    assert calls == ["display"]


def test_conversation_lets_its_policy_decide_at_once(marimo: None) -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    view.front_ends = 1  # a page said hello before this run: still, no click can come
    messages = asyncio.run(asyncio.wait_for(view.arun("Why did the nightly build fail?"), TIMEOUT))
    assert "send_email" not in tools.names()  # denied by the policy, not waited for
    (email,) = [run for run in loop.executions if run.name == "send_email"]
    assert email.status == "denied" and email.content is not None and NOBODY in str(email.content)
    assert view.status == "done" and messages[-1]["role"] == "assistant"
    html = view.static_html()
    assert "marimo hands a click to the kernel only after the running cell" in html
    assert json.dumps(view.picture)  # plain JSON for the trait

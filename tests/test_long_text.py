"""A text too long to show whole (issue 19): the page shows a folded excerpt, the state and
the exports keep every character, and a view of a very long line stays linear."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from html_checks import tree
from streams import block_delta, block_start, message_end, message_start, thinking_events
from view_harness import Recorder, page_parts

from streamscope.core.stream.blocks import TextBlock
from streamscope.widgets import StreamView
from streamscope.widgets.render.fold import FOLD_AT, HEAD, TAIL

PIECE = 16 * 1024


def long_text(chars: int) -> list[str]:
    """Distinct pieces, no line break, each starting with its number."""
    count = chars // PIECE
    return [(f"Q{i:06d}Q " + "word " * PIECE)[:PIECE] for i in range(count)]


def feed(view: StreamView, pieces: list[str]) -> None:
    view.apply(message_start())
    view.apply(block_start(0, {"type": "text", "text": ""}))
    for piece in pieces:
        view.apply(block_delta(0, {"type": "text_delta", "text": piece}))
    view.apply({"type": "content_block_stop", "index": 0})
    for event in message_end():
        view.apply(event)
    view.finish()


def test_excerpt_reads_the_ends_without_joining() -> None:
    block = TextBlock(0, {"type": "text", "text": "ab"}, None)
    for piece in ("cde", "", "fgh", "ij"):
        block.append_text(piece)
    assert block.length == 10
    assert block.excerpt(4, 3) == ("abcd", "hij")
    assert block.excerpt(20, 20) == ("abcdefghij", "abcdefghij")
    assert block.excerpt(0, 0) == ("", "")


def test_a_long_text_is_folded_on_the_page_and_whole_in_the_exports(tmp_path: Path) -> None:
    pieces = long_text(FOLD_AT + 4 * PIECE)
    text = "".join(pieces)
    view = StreamView(flush_timer=False)
    rec = Recorder(view)
    initial = json.loads(json.dumps(view.picture))
    feed(view, pieces)
    parts = page_parts(initial, rec.patches)
    [page] = ["".join(v) for v in parts.values() if "ss-fold" in "".join(v)]  # the text's
    static = view.static_html()
    box = tree(static).one("ss-text")
    whole = box.one("ss-fulltext-text").text()  # "Show all": past a notebook's budget, a note
    assert "the whole text is in view.export_html(...)" in whole
    lane = box.text().replace(whole, "")
    for shown in (page, lane):
        assert f"{len(text) - HEAD - TAIL:,} characters" in shown
        assert pieces[0][:8] in shown and pieces[-1][:8] in shown  # the start, the end
        assert pieces[len(pieces) // 2][:8] not in shown  # the middle: folded away
    assert len(static) < 2 * (HEAD + TAIL) + 200_000
    assert rec.bytes < 4 * (HEAD + TAIL) + 500_000  # what went to the page
    view.export_json(tmp_path / "m.json")
    message = json.loads((tmp_path / "m.json").read_text("utf-8"))
    assert message["content"][0]["text"] == text  # every character
    block = view.state.blocks[0]
    assert isinstance(block, TextBlock) and block.text == text


def test_a_short_text_is_not_folded() -> None:
    view = StreamView(flush_timer=False)
    feed(view, long_text(FOLD_AT - PIECE))
    assert 'class="ss-fold"' not in view.static_html()


def test_long_thinking_is_folded_too() -> None:
    thinking = "".join(long_text(FOLD_AT + 2 * PIECE))
    view = StreamView(flush_timer=False)
    for event in [message_start(), *thinking_events(0, thinking, chunk=PIECE), *message_end()]:
        view.apply(event)
    view.finish()
    static = view.static_html()
    assert 'class="ss-fold"' in static and f"{len(thinking):,} characters" in static
    assert view.state.to_message()["content"][0]["thinking"] == thinking


def test_a_very_long_line_stays_linear() -> None:
    """The hang of issue 19: every frame joined and re-rendered the whole line, so once a
    frame took longer than the frame interval each event re-rendered it (40 MB: 106 s).
    80 MB must finish well within the timeout, in bounded memory."""
    code = textwrap.dedent(
        """
        import json, sys
        from streams import block_delta, block_start, message_end, message_start
        from streamscope.widgets import StreamView
        view = StreamView(flush_timer=False)
        sent = [0]
        view.comm.send = lambda data=None, metadata=None, buffers=None: sent.__setitem__(
            0, sent[0] + len(json.dumps(data)))
        view.apply(message_start())
        view.apply(block_start(0, {"type": "text", "text": ""}))
        piece = 64 * 1024
        for i in range(80 * 16):
            view.apply(block_delta(0, {"type": "text_delta",
                                       "text": (f"{i:08d}" + "abcdefgh" * 8192)[:piece]}))
        view.apply({"type": "content_block_stop", "index": 0})
        for event in message_end():
            view.apply(event)
        view.finish()
        # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec)
        hwm = next(int(line.split()[1]) for line in open("/proc/self/status")
                   if line.startswith("VmHWM:"))
        print(len(view.static_html()), sent[0], hwm * 1024)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={  # a clean environment: what earlier tests set in os.environ must not count
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "scripts"),
        },
    )
    assert result.returncode == 0, result.stderr
    picture, sent, peak = (int(x) for x in result.stdout.split())
    text = 80 * 1024 * 1024
    assert picture < 2_000_000 and sent < 5_000_000, (picture, sent)
    assert peak < 6 * text, peak
    print("PEAK", peak)  # the state, the wire's events, one rendering: a small multiple

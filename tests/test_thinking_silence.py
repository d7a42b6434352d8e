"""Issue 18: an omitted thinking display is explained as soon as the silence starts, with
the API's running estimate while it lasts, not only once the signature ends it."""

from __future__ import annotations

from html_checks import tree

from streamscope.core import gallery
from streamscope.core.io.playback import Replay
from streamscope.core.stream.state import StreamState
from streamscope.widgets.render.lanes import OMITTED_LIVE, SUMMARIZED_HINT
from streamscope.widgets.render.regions import RegionStore
from streamscope.widgets.render.stream import StreamPicture


def _frames(name: str, with_request: bool) -> list[tuple[int, str]]:
    """The thinking lane's text after each event: (events applied, text)."""
    replay = Replay(gallery.path(name))
    state = StreamState()
    if with_request:
        state.set_request(replay.request)
    picture = StreamPicture(state)
    store = RegionStore()
    out = []
    for count, (at, event) in enumerate(replay.timed, 1):
        picture.note(state.apply(event, at=at))
        picture.render(store, now=at)
        lanes = tree(store.expand(picture.root_id)).select("ss-lane", data_kind="thinking")
        if lanes:
            out.append((count, lanes[0].text()))
    return out


def test_the_silence_is_explained_from_the_block_s_start() -> None:
    """thinking_omitted: the request asked for display "omitted"; the block starts, a 13 s
    silence follows, then the signature. The note is there at the first frame of the block."""
    frames = _frames("thinking_omitted", with_request=True)
    first, text = frames[0]
    replay = Replay(gallery.path("thinking_omitted"))
    assert replay.timed[first - 1][1]["type"] == "content_block_start"
    assert OMITTED_LIVE in text  # at once: the frame of the block's start, in the silence
    last = frames[-1][1]
    assert SUMMARIZED_HINT in last and OMITTED_LIVE not in last  # the settled note after


def test_the_running_estimate_says_it_without_the_request() -> None:
    """thinking_estimate: empty thinking_deltas carry estimated_tokens; with no request
    known, the estimate alone says the display is omitted, and the count runs live."""
    frames = _frames("thinking_estimate", with_request=False)
    live = [text for _, text in frames if OMITTED_LIVE in text]
    assert live, frames[:3]
    counts = [text for text in live if "thinking tokens so far" in text]
    assert len(counts) >= 2 and len(set(counts)) >= 2  # the count moves during the silence


def test_an_unknown_display_waits_silently() -> None:
    """Without the request and without an estimate, an empty open block may be summarized
    thinking about to start: no claim about omission."""
    frames = _frames("thinking_omitted", with_request=False)
    assert all(OMITTED_LIVE not in text for _, text in frames)

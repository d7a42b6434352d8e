"""One call from a notebook cell: show a live stream, or replay a recording, in a StreamView.

``show`` / ``ashow`` display a view, consume the stream and hand back the final message, so
a cell can watch a request and still use its result::

    message = show(client.messages.stream(model=..., max_tokens=..., messages=...))
    message = await ashow(async_client.messages.stream(...))   # Stop button works
    view = await replay("recording.jsonl", speed=2)            # play/pause/step/speed
"""

from __future__ import annotations

import inspect
from typing import Any

from streamscope.core.io.playback import ReplaySource
from streamscope.widgets.view import StreamView

__all__ = ["ashow", "replay", "show"]


def _display(view: StreamView) -> None:
    from IPython.display import display

    display(view)  # type: ignore[no-untyped-call]


def _final_message(view: StreamView) -> Any:
    stream = view.message_stream
    if stream is not None and not view.stopped:
        return stream.get_final_message()
    return view.to_message()


def show(source: Any, **options: Any) -> Any:
    """Display a :class:`StreamView` of ``source`` and return the final message.

    The SDK's own ``get_final_message()`` for a ``MessageStream`` (or the manager
    ``client.messages.stream(...)`` returns), else ``view.state.to_message()`` (a dict).
    ``options`` go to :class:`StreamView` (``prices=``...). This blocks the cell, so the
    Stop button cannot be heard: use ``await ashow(...)`` for that. Failures re-raise,
    with what arrived still on screen.
    """
    view = StreamView(**options)
    _display(view)
    view.consume(source)
    return _final_message(view)


async def ashow(source: Any, **options: Any) -> Any:
    """Async :func:`show` (``await ashow(stream)``): the Stop button works meanwhile."""
    view = StreamView(**options)
    _display(view)
    await view.consume_async(source)
    message = _final_message(view)
    if inspect.isawaitable(message):
        message = await message
    return message


async def replay(
    source: ReplaySource,
    speed: float | None = 1.0,
    *,
    paused: bool = False,
    **options: Any,
) -> StreamView:
    """Display a :class:`StreamView` and replay a recording in it (``await replay(path)``).

    ``source``: a ``.jsonl`` cassette or SSE file path, a ``Cassette`` or a list of events.
    Uses the recorded times divided by ``speed`` (None: instant); the header's play /
    pause / step / speed / stop controls work while the cell awaits. Returns the view.
    """
    view = StreamView(**options)
    _display(view)
    await view.play(source, speed, paused=paused)
    return view

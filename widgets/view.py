"""StreamView: the live Jupyter view of one streamed Messages API response.

Events go through :class:`~streamscope.core.state.StreamState`; what each one added (the
``Change.chunk`` strings) is batched into delta frames sent as custom messages at most
every ``frame_interval`` seconds (50 ms: ~20 per second), because, measured in a real
JupyterLab, setting a widget value per delta costs the square of the text length and
unbatched traffic makes Jupyter drop messages (iopub's high-water mark is 1,000). The
whole state lives in the synced ``snapshot`` trait, set when a stream ends, stops or
fails and when a front end asks (a late render, a reload, a lost frame); never per block.

The display bundle also carries a static ``text/html`` picture (refreshed when the stream
ends), for GitHub, nbviewer and notebooks opened without a kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from streamscope.core.changes import Change
from streamscope.core.errors import StreamAPIError
from streamscope.core.playback import Replay, ReplaySource
from streamscope.core.pricing import PriceTable
from streamscope.core.sources import AsyncEventIterator, aiter_events, iter_events
from streamscope.core.state import StreamState
from streamscope.widgets._display import StaticFallbackDisplay
from streamscope.widgets._snapshot import message_fields, snapshot
from streamscope.widgets._static import STATIC, read_css
from streamscope.widgets._wire import FrameBuilder, pack_snapshot
from streamscope.widgets.html import export_html, render_html

__all__ = ["StreamView"]

_IMMEDIATE = frozenset({"message_stop", "error"})


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class StreamView(StaticFallbackDisplay, anywidget.AnyWidget):
    """Watch a Claude stream live: one lane per content block, a final panel, a timeline.

    Displays itself when it is a cell's value or passed to ``display()``::

        view = StreamView()
        view                                  # or display(view)
        view.consume(client.messages.stream(...))        # sync (Stop cannot be heard)
        await view.consume_async(client.messages.stream(...))  # Stop works
        await view.play("recording.jsonl", speed=2)      # replay with controls

    Parameters
    ----------
    state:
        The state to show and feed (a new :class:`StreamState` by default).
    prices:
        Price table for the cost estimate (``streamscope.core.pricing.DEFAULT_PRICES``
        by default; see ``PriceTable.with_overrides``).
    clock:
        Seconds, monotonic; drives frame batching and the new state's timings.
    frame_interval:
        Minimum seconds between two delta frames (0.05: at most ~20 frames per second).
    flush_timer:
        Send what is pending ``frame_interval`` after the last event when a stream pauses
        (a daemon timer thread); tests with a fake clock turn it off.
    """

    _esm = STATIC / "view.js"
    _css = read_css("theme.css", "view.css")

    snapshot = traitlets.Dict().tag(sync=True, to_json=pack_snapshot)
    """dict: the whole state as :func:`streamscope.widgets.snapshot` builds it.

    Set when a stream ends, stops or fails and when a front end asks; sent packed (complete
    tool inputs travel once, as raw JSON)."""

    controls = traitlets.Dict().tag(sync=True)
    """dict: what the header's controls show: ``mode`` (``idle``, ``live``, ``replay``),
    ``stop`` (``on``, or ``blocked`` while a sync ``consume`` holds the kernel),
    ``playing``, ``speed`` (None: instant) and ``total`` events of a replay."""

    _store_key = traitlets.Unicode().tag(sync=True)
    """str: identifies this view's state store in the front end (one per model)."""

    def __init__(
        self,
        state: StreamState | None = None,
        *,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.monotonic,
        frame_interval: float = 0.05,
        flush_timer: bool = True,
        **kwargs: Any,
    ) -> None:
        self._clock = clock
        self._state = state if state is not None else StreamState(clock=clock)
        self._prices = prices
        self._interval = frame_interval
        self._flush_timer = flush_timer
        self._frames = FrameBuilder(self._state)
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None
        self._last_frame = float("-inf")
        self._stopped = False
        self._failure: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._consuming = False
        self._replay: Replay | None = None
        self._step_pending = False
        self._speed_after_step: float | None = None
        self.message_stream: Any = None
        """The SDK ``MessageStream`` the last consumption read, if any (for its
        ``get_final_message()``)."""
        super().__init__(
            snapshot=self._build_snapshot(),
            controls={"mode": "idle", "stop": "on"},
            _store_key=uuid.uuid4().hex,
            **kwargs,
        )
        self.on_msg(self._on_front_end_msg)

    # ------------------------------------------------------------------ reading

    @property
    def state(self) -> StreamState:
        """The :class:`StreamState` underneath (what the view shows, exactly)."""
        return self._state

    @property
    def stopped(self) -> bool:
        """True when the user (Stop, or a kernel interrupt) ended consumption early."""
        return self._stopped

    @property
    def failure(self) -> str | None:
        """Why consumption failed (the exception, as text), or None."""
        return self._failure

    def to_message(self) -> dict[str, Any]:
        """The message as a plain dict in the API's JSON shape (``StreamState.to_message``)."""
        return self._state.to_message()

    # ------------------------------------------------------------------ feeding

    def apply(self, event: Any, at: float | None = None) -> Change:
        """Apply one event (SDK model or dict); a frame goes out when one is due.

        When you drive the view yourself, call :meth:`finish` after the last event if the
        stream may have ended without ``message_stop``.
        """
        with self._lock:
            change = self._state.apply(event, at)
            self._frames.add(change)
            if change.kind in _IMMEDIATE and not self._consuming:
                self._settle()  # a consumption settles once, when its source ends
            elif self._clock() - self._last_frame >= self._interval:
                self._flush()
            else:
                self._arm_timer()
            return change

    def finish(self, *, stopped: bool = False, failure: str | None = None) -> None:
        """The source has no more events: send what is pending and set the final snapshot.

        ``stopped``: the user stopped it (shown as stopped, not done); ``failure``: why the
        source failed, shown with everything received.
        """
        self._end(stopped=stopped, failure=failure)

    def consume(self, source: Any) -> StreamState:
        """Show every event of ``source`` as it arrives; returns the state at the end.

        ``source``: an SDK ``Stream`` or ``MessageStream`` (beta or not, or the manager
        ``client.messages.stream(...)`` returns), any iterable of event dicts or SDK events
        (``read_events(path)``), or a recording's ``pathlib.Path``.

        This blocks the cell, and a blocked cell cannot hear button clicks: the Stop button
        is disabled meanwhile (interrupt the kernel instead). To be able to stop, use
        ``await view.consume_async(source)``.

        A stream that fails keeps what arrived on screen, marks the view failed and
        re-raises; an ``error`` event raises :class:`~streamscope.core.errors.StreamAPIError`.
        """
        events = iter_events(source)
        self._begin("live", blocking=True)
        try:
            with events:  # closes the source (and exits a manager it entered) on any exit
                for event in events:
                    self.apply(event)
                    if self._state.error is not None:
                        break
        except KeyboardInterrupt:  # the kernel was interrupted: that is the Stop of a sync cell
            self._end(stopped=True)
            raise
        except BaseException as exc:
            self._end(failure=_describe(exc))
            raise
        self.message_stream = events.message_stream
        self._end()
        self._raise_for_error()
        return self._state

    async def consume_async(self, source: Any) -> StreamState:
        """Async twin of :meth:`consume`; the Stop button works while the cell awaits this.

        Takes everything :meth:`consume` takes, plus async streams (``AsyncAnthropic``).
        Stopping returns normally with :attr:`stopped` set; a failure re-raises.
        """
        events = aiter_events(source)
        self._begin("live", blocking=False)
        return await self._run(self._pump(events), events)

    async def play(
        self,
        source: ReplaySource,
        speed: float | None = 1.0,
        *,
        interval: float = 0.02,
        paused: bool = False,
    ) -> StreamState:
        """Replay a recording with its recorded timing and the header's replay controls.

        ``source``: a recording's path (``.jsonl`` cassette or SSE text), a ``Cassette``, a
        list of events or of ``(t, event)`` pairs. ``speed``: 2.0 is twice as fast, None
        instant. Events without a recorded time come ``interval`` recorded seconds apart.
        Play / pause / step / speed / stop work while the cell awaits this. ``paused``
        starts paused (step through a stream one event at a time).
        """
        replay = Replay(source, speed, default_interval=interval, tick=self._interval)
        replay.paused = paused
        self._replay = replay
        self._begin(
            "replay", blocking=False, total=len(replay), playing=not paused, speed=replay.speed
        )
        try:
            return await self._run(self._play(replay, interval), None)
        finally:
            self._replay = None

    # ------------------------------------------------------------------ consumption

    def _begin(self, mode: str, *, blocking: bool, **extra: Any) -> None:
        with self._lock:
            self._stopped = False
            self._failure = None
            self._consuming = True
            self.message_stream = None
            if self._state.event_count == 0 and self._state.started_at is None and mode == "live":
                self._state.started_at = self._clock()
            self.controls = {"mode": mode, "stop": "blocked" if blocking else "on", **extra}

    async def _run(self, work: Any, events: AsyncEventIterator | None) -> StreamState:
        loop = asyncio.get_running_loop()
        task: asyncio.Task[None] = loop.create_task(work)
        self._task, self._loop = task, loop
        try:
            await asyncio.wait({task})
        except BaseException:  # the caller was cancelled or interrupted: stop, keep, re-raise
            task.cancel()
            await asyncio.wait({task})
            await self._aclose(events)
            self._end(stopped=True)
            raise
        finally:
            self._task = self._loop = None
        if task.cancelled():  # Stop
            await self._aclose(events)
            self._end(stopped=True)
            return self._state
        exc = task.exception()
        if exc is not None:
            await self._aclose(events)
            self._end(failure=_describe(exc))
            raise exc
        if events is not None:
            self.message_stream = events.message_stream
        self._end()
        self._raise_for_error()
        return self._state

    @staticmethod
    async def _aclose(events: AsyncEventIterator | None) -> None:
        if events is not None:
            with contextlib.suppress(Exception):  # closing a failed source must not hide why
                await events.aclose()

    async def _pump(self, events: AsyncEventIterator) -> None:
        seq = self._frames.seq
        try:
            async for event in events:
                self.apply(event)
                if self._state.error is not None:
                    break
                if self._frames.seq != seq:  # once per frame: let the kernel hear clicks
                    seq = self._frames.seq
                    await asyncio.sleep(0)
        finally:
            await events.aclose()

    async def _play(self, replay: Replay, interval: float) -> None:
        base = self._clock()
        first: float | None = None
        at = base
        seq = self._frames.seq
        async for event in replay:
            recorded = replay.timed[replay.position - 1][0]
            if recorded is not None:
                if first is None:
                    first = recorded - (at - base)
                at = base + (recorded - first)
            elif replay.position > 1:
                at += interval
            self.apply(event, at=at)
            if self._step_pending:
                self._step_pending = False
                replay.speed = self._speed_after_step
                replay.paused = True
                with self._lock:
                    self._flush()
            if self._state.error is not None:
                break
            if self._frames.seq != seq:
                seq = self._frames.seq
                await asyncio.sleep(0)

    def _end(self, *, stopped: bool = False, failure: str | None = None) -> None:
        with self._lock:
            self._consuming = False
            self._state.finish()
            self._stopped = self._stopped or stopped
            if failure is not None:
                self._failure = failure
            self.controls = {"mode": "idle", "stop": "on"}
        self._settle()

    def _settle(self) -> None:
        """The stream is over (or was cut): set the final snapshot, refresh the static HTML.

        The snapshot includes what a last frame would carry, so that frame is not sent
        (in an instant replay it would be the whole message, sent twice).
        """
        with self._lock:
            frame = self._frames.build(self._summary())
            self._last_frame = self._clock()
            if not self._set_snapshot() and frame is not None:
                self.send(frame)
        self._refresh_static()

    def _raise_for_error(self) -> None:
        error = self._state.error
        if error is not None:
            raise StreamAPIError(error)

    def stop(self) -> None:
        """End the running ``consume_async`` / ``play`` (what the Stop button does)."""
        task, loop = self._task, self._loop
        if task is not None and loop is not None and not task.done():
            loop.call_soon_threadsafe(task.cancel)

    # ------------------------------------------------------------------ frames

    def _summary(self) -> dict[str, Any]:
        return message_fields(
            self._state, prices=self._prices, stopped=self._stopped, failure=self._failure
        )

    def _flush(self) -> None:
        with self._lock:
            self._last_frame = self._clock()
            frame = self._frames.build(self._summary())
            if frame is not None:
                self.send(frame)

    def _arm_timer(self) -> None:
        if self._timer is not None or not self._flush_timer:
            return
        timer = threading.Timer(self._interval, self._on_timer)
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            if not self._frames.pending:
                return
            if self._clock() - self._last_frame >= self._interval:
                self._flush()
            else:
                self._arm_timer()

    def _build_snapshot(self) -> dict[str, Any]:
        return snapshot(
            self._state,
            prices=self._prices,
            stopped=self._stopped,
            failure=self._failure,
            seq=self._frames.seq,
        )

    def _set_snapshot(self) -> bool:
        """Set the trait to the current snapshot; False when it was already current."""
        snap = self._build_snapshot()
        if snap == self.snapshot:
            return False
        self.snapshot = snap
        return True

    # ------------------------------------------------------------------ front end

    def _on_front_end_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "request_snapshot":
            with self._lock:
                self._flush()
                if not self._set_snapshot() and content.get("reason") == "gap":
                    self.send_state("snapshot")
        elif kind == "control":
            self._control(content.get("action"), content.get("value"))

    def _control(self, action: object, value: object) -> None:
        replay = self._replay
        if action == "stop":
            self.stop()
            return
        if replay is None:
            return
        if action == "pause":
            replay.paused = True
        elif action == "play":
            replay.paused = False
        elif action == "step" and not self._step_pending:
            self._speed_after_step = replay.speed
            self._step_pending = True
            replay.speed = None
            replay.paused = False
        elif action == "speed":
            speed = value
            if speed is not None and (
                isinstance(speed, bool) or not isinstance(speed, (int, float)) or not speed > 0
            ):
                return
            if self._step_pending:
                self._speed_after_step = speed
            else:
                replay.speed = speed
        else:
            return
        playing = not replay.paused and not self._step_pending
        self.controls = {**self.controls, "playing": playing, "speed": self._shown_speed()}

    def _shown_speed(self) -> float | None:
        replay = self._replay
        if replay is None:
            return None
        return self._speed_after_step if self._step_pending else replay.speed

    # ------------------------------------------------------------------ display

    def _widget_bundle(self) -> tuple[dict[str, Any], dict[str, Any]]:
        bundle = anywidget.AnyWidget._repr_mimebundle_(self)
        return bundle if bundle is not None else ({}, {})

    def _static_html(self) -> str:
        return render_html(self.snapshot)

    # ------------------------------------------------------------------ export

    def export_json(self, path: str | Path) -> Path:
        """Write the message (:meth:`to_message`) as JSON; returns the path."""
        out = Path(path)
        out.write_text(
            json.dumps(self.to_message(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return out

    def export_html(self, path: str | Path) -> Path:
        """Write a self-contained HTML file (no scripts, CSS inline); returns the path."""
        with self._lock:
            snap = self._build_snapshot()
        return export_html(snap, path)

"""StreamView: the live Jupyter view of one streamed Messages API response.

Events go through :class:`~streamscope.core.stream.state.StreamState`; each
:class:`~streamscope.core.stream.changes.Change` tells the view's
:class:`~streamscope.widgets.render.stream.StreamPicture` what to re-render, and the
:class:`~streamscope.widgets.surface.Surface` sends what changed, at most ~20 times a
second. The header's controls (Stop; Play/Pause, Step and speed while replaying) are
rendered here, as part of the picture, and come back as actions.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamscope.core.comparison.cache import sent_at as recording_sent_at
from streamscope.core.figures.faults import failure_text, failure_words
from streamscope.core.figures.model import StreamFigures, stream_figures
from streamscope.core.io.files import write_atomic
from streamscope.core.io.playback import Replay, ReplaySource
from streamscope.core.io.replay_client import recorded_time
from streamscope.core.io.sources import (
    AsyncEventIterator,
    EventIterator,
    aiter_events,
    iter_events,
)
from streamscope.core.json.codec import dumps_exact
from streamscope.core.pricing.prices import PriceTable
from streamscope.core.stream.changes import Change
from streamscope.core.stream.errors import StreamAPIError
from streamscope.core.stream.state import StreamState
from streamscope.core.wire.attempts import Attempt, AttemptLog
from streamscope.core.wire.sdk import is_async_stream_manager, is_stream_manager
from streamscope.widgets._hosts import MARIMO_CLICKS
from streamscope.widgets.render.controls import Button, ReplayControls, control_bar
from streamscope.widgets.render.fulltext import EXPORT_BUDGET, Budget
from streamscope.widgets.render.page import standalone_document
from streamscope.widgets.render.regions import Op
from streamscope.widgets.render.stream import StreamPicture
from streamscope.widgets.surface import Surface

__all__ = ["SPEEDS", "StreamView"]

_IMMEDIATE = frozenset({"message_stop", "error"})
SPEEDS: tuple[float | None, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 10.0, 100.0, None)
"""Replay speeds offered in the header (None: instant)."""
BLOCKED_STOP = (
    "The kernel cannot hear this button while the cell blocks in view.consume(...). "
    "Use `await view.consume_async(...)` to be able to stop; or interrupt the kernel."
)
MARIMO_STOP = MARIMO_CLICKS + " Interrupt the kernel to stop."


class StreamView(Surface):
    """Watch a Claude stream live: one lane per content block, a final panel, a timeline.

    Displays itself when it is a cell's value or passed to ``display()``::

        view = StreamView()
        view                                             # or display(view)
        view.consume(client.messages.stream(...))        # sync (Stop cannot be heard)
        await view.consume_async(client.messages.stream(...))  # Stop works
        await view.play("recording.jsonl", speed=2)      # replay with controls

    Parameters
    ----------
    state:
        The state to show and feed (a new :class:`StreamState` by default).
    prices:
        Price table for the cost estimate (the default table when None).
    clock:
        Seconds, monotonic; drives frame batching and the new state's timings.
    frame_interval:
        Minimum seconds between two frames (0.05: at most ~20 frames per second).
    flush_timer:
        Send what is pending ``frame_interval`` after the last event when a stream pauses
        (a daemon timer thread); tests with a fake clock turn it off.
    title:
        The header's title.
    tools:
        The request's tools (SDK tool params, ``@tool`` functions, pydantic models, or
        ``{name: schema}``): each tool call's arguments are checked against its schema while
        they stream, and a violation marks its field at once. Without it, the tools of the
        request, when known (an SDK stream, a recording with its request).
    previous:
        The run before this one (a :class:`StreamState`, a recording's path, a loop's
        ``Turn``, or its request as a dict): the final panel then says, under the cache
        figures, why this run did or did not read its prompt cache
        (:func:`~streamscope.core.comparison.cache.explain_cache`), the difference one click
        away.
    attempts:
        The :class:`~streamscope.core.wire.attempts.AttemptLog` of the client that sends the
        request (``anthropic.Anthropic(middleware=[log])``): each HTTP attempt of a stream
        this view consumes (a 429 retried, a 529, a connection reset) is a row of the
        timeline and a line of the panel, in words.
    """

    def __init__(
        self,
        state: StreamState | None = None,
        *,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.monotonic,
        frame_interval: float = 0.05,
        flush_timer: bool = True,
        title: str = "streamscope",
        tools: Any = None,
        previous: Any = None,
        attempts: AttemptLog | None = None,
        **kwargs: Any,
    ) -> None:
        self._state = state if state is not None else StreamState(clock=clock)
        if tools is not None:
            self._state.set_tools(tools)
        self._picture = StreamPicture(self._state, prices=prices, title=title)
        self._picture.previous = previous
        # a lazy region no page asked for is not drawn while live (the closed wire inspector)
        self._picture.withheld = lambda region_id: self._withheld(region_id) is not None
        self._mode = "idle"
        self._blocking = False
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._consuming = False
        self._replay: Replay | None = None
        self._step_pending = False
        self._speed_after_step: float | None = None
        self._replay_anchor: tuple[float, float, float | None] | None = None
        self._replayed_source: object = None
        """The replay client's stream being consumed (figures in its recorded time)."""
        self.message_stream: Any = None
        """The SDK ``MessageStream`` the last consumption read, if any (for its
        ``get_final_message()``)."""
        self.attempt_log = attempts
        """The AttemptLog whose attempts this view shows (see ``attempts=``)."""
        self._attempt_mark = 0
        super().__init__(
            clock=clock, frame_interval=frame_interval, flush_timer=flush_timer, **kwargs
        )
        self._picture.token = self.token

    # ------------------------------------------------------------------ reading

    @property
    def state(self) -> StreamState:
        """The :class:`StreamState` underneath (what the view shows, exactly)."""
        return self._state

    @property
    def figures(self) -> StreamFigures:
        """The figures the view shows (its last frame's, or the state's now), each with its
        ``text`` as the view reads it: ``view.figures.text("elapsed")``, ``.summary()``. A
        printout made from them reads the same as the picture beside it."""
        picture = self._picture
        if picture.figures is not None and picture.figures.live is False:
            return picture.figures
        return stream_figures(
            self._state,
            prices=picture.prices,
            replayed=picture.replayed,
            replay_speed=picture.replay_speed,
        )

    @property
    def stopped(self) -> bool:
        """True when the user (Stop, or a kernel interrupt) ended consumption early."""
        return self._state.stopped

    @property
    def failure(self) -> str | None:
        """Why consumption failed (the exception, as text), or None."""
        return self._state.failure

    @property
    def status(self) -> str:
        """What the header says: waiting, streaming, paused, done, stopped, cut off, failed."""
        return self._picture.status

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
            if self._static_shown:  # more came after the view settled: live again
                self._show_live()
            if at is None and self._replayed_source is not None:
                at = self._recorded_time()
            change = self._state.apply(event, at)
            self._picture.inspector.record(event, self._state.last_event_at)
            self._picture.note(change)
            if change.kind in _IMMEDIATE and not self._consuming:
                self._settle()  # a consumption settles once, when its source ends
            else:
                self._changed()
            return change

    def _recorded_time(self) -> float | None:
        """A replay client's stream being consumed: the event's recorded time (on the
        state's time line, from the request), so the figures are the recording's whatever
        the replay's speed, and the panel says at what speed it was replayed."""
        where = recorded_time(self._replayed_source)
        origin = self._state.started_at
        if where is None or where[0] is None or origin is None:
            return None
        at = origin + where[0]
        self._replay_anchor = (at, self._clock(), where[1])
        self._picture.replayed, self._picture.replay_speed = True, where[1]
        return at

    def finish(self, *, stopped: bool = False, failure: str | None = None) -> None:
        """The source has no more events: send what is pending and show the final picture.

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
        re-raises; an ``error`` event raises
        :class:`~streamscope.core.stream.errors.StreamAPIError`.
        """
        self._refuse_if_busy()
        self._attempts_from(source)
        events = iter_events(source)
        self._replayed_source = source if recorded_time(source) is not None else None
        self._begin("live", blocking=True)
        self._learn_request(events)
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
            self._end(exc=exc)
            raise
        self.message_stream = events.message_stream
        self._learn_request(events)
        self._end()
        self._raise_for_error()
        return self._state

    async def consume_async(self, source: Any) -> StreamState:
        """Async twin of :meth:`consume`; the Stop button works while the cell awaits this.

        Takes everything :meth:`consume` takes, plus async streams (``AsyncAnthropic``).
        Stopping returns normally with :attr:`stopped` set; a failure re-raises.
        """
        self._refuse_if_busy()
        self._attempts_from(source)
        events = aiter_events(source)
        self._replayed_source = source if recorded_time(source) is not None else None
        self._begin("live", blocking=False)
        self._learn_request(events)
        return await self._run(self._pump(events), events, raise_errors=True)

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

        A recording that ends in an ``error`` event is shown failed, with the error on the
        view (:attr:`failure` stays None: the stream failed, the replay did not); it does
        not raise, so ``view = await replay(...)`` binds the view.
        """
        self._refuse_if_busy()
        replay = Replay(source, speed, default_interval=interval, tick=self._interval)
        if self._picture.previous is not None:  # when the recorded request was sent
            self._picture.run_at = recording_sent_at(source)
        replay.paused = paused
        self._replay = replay
        # figures in recorded time, whatever the speed: the panel says so
        self._picture.replayed, self._picture.replay_speed = True, speed
        self._begin("replay", blocking=False)
        try:
            return await self._run(self._play(replay), None, raise_errors=False)
        finally:
            self._replay = None

    # ------------------------------------------------------------------ consumption

    def _refuse_if_busy(self) -> None:
        """One stream at a time: two would interleave in one state ('AAAABBBB')."""
        if self._consuming:
            raise RuntimeError(
                "this view is already showing a stream: wait for it to end (or Stop it), "
                "or give the second stream a StreamView of its own"
            )

    def _begin(self, mode: str, *, blocking: bool) -> None:
        with self._lock:
            self._refuse_if_busy()
            state = self._state
            state.stopped = False
            state.failure = None
            state.paused = self._replay is not None and self._replay.paused
            self._picture.touch_all()
            self._consuming = True
            self.message_stream = None
            log = self.attempt_log
            if log is not None and mode == "live":
                self._picture.attempts = log.since(self._attempt_mark)
                self._picture.failure_words = None
                if self._attempt_logged not in log.listeners:
                    log.listeners.append(self._attempt_logged)
            if state.event_count == 0 and not state.request_known and mode == "live":
                state.set_request_time(self._clock())  # the request goes out now
            self._mode = mode
            self._blocking = blocking or self.in_marimo  # marimo: no click is heard either
            if self._static_shown:  # consumed again after it settled: live again
                self._show_live()
            self._refresh_controls()

    async def _run(
        self, work: Any, events: AsyncEventIterator | None, *, raise_errors: bool
    ) -> StreamState:
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
            self._end(exc=exc)
            raise exc
        if events is not None:
            self.message_stream = events.message_stream
            self._learn_request(events)
        self._end()
        if raise_errors:
            self._raise_for_error()
        return self._state

    def _learn_request(self, events: EventIterator | AsyncEventIterator) -> None:
        """The request that opened the source, when it can be known and the state has none
        (tool schemas for the marks; the request to re-send)."""
        if self._state.request is None:
            with contextlib.suppress(Exception):  # a source that cannot say is not a failure
                request = events.request
                if request is not None:
                    with self._lock:
                        self._state.set_request(request)
                        self._picture.touch_all()

    @staticmethod
    async def _aclose(events: AsyncEventIterator | None) -> None:
        if events is not None:
            with contextlib.suppress(Exception):  # closing a failed source must not hide why
                await events.aclose()

    async def _pump(self, events: AsyncEventIterator) -> None:
        seq = self._seq
        try:
            async for event in events:
                self.apply(event)
                if self._state.error is not None:
                    break
                if self._seq != seq:  # once per frame: let the kernel hear clicks
                    seq = self._seq
                    await asyncio.sleep(0)
        finally:
            await events.aclose()

    async def _play(self, replay: Replay) -> None:
        base = self._clock()
        state = self._state
        with self._lock:
            if replay.request is not None and state.request is None:
                state.set_request(replay.request)
            if replay.request_at is not None and state.event_count == 0:
                state.set_request_time(base)  # the recording says when the request went out
            for position, message in replay.problems:  # times no replay could wait for
                if position == -2:  # the failure that cut the recording, as recorded
                    state.note_problem("recorded_fault", message)
                else:
                    state.note_problem("bad_time", message, event_number=position)
            self._picture.touch_all()
        times = replay.times  # due times since the start (the request, when known)
        seq = self._seq
        async for event in replay:
            at = base + times[replay.position - 1]
            with self._lock:
                self._replay_anchor = (at, self._clock(), replay.speed)
                self.apply(event, at=at)
                if self._step_pending:
                    self._step_pending = False
                    replay.speed = self._speed_after_step
                    replay.paused = True
                    self._set_paused(True)
                    self._picture.touch_all()  # a step moves the counter and the panel at once
                    self._flush()
                else:
                    self._refresh_controls(position_only=True)
            if self._state.error is not None:
                break
            if self._seq != seq:
                seq = self._seq
                await asyncio.sleep(0)

    def _attempts_from(self, source: Any) -> None:
        """Where the attempts of ``source``'s request start in the log: after the last one
        logged for a manager (its request is sent when it is entered), else (a stream
        already opened: ``create(stream=True)``) at the last request's first attempt."""
        log = self.attempt_log
        if log is None:
            return
        attempts = log.since(0)
        mark = len(attempts)
        opened = hasattr(source, "response") and not (
            is_stream_manager(source) or is_async_stream_manager(source)
        )
        if opened:
            while mark > 0 and attempts[mark - 1].retries_taken > 0:
                mark -= 1
            mark = max(0, mark - 1)
        self._attempt_mark = mark

    def _attempt_logged(self, attempt: Attempt) -> None:
        """The attempt log saw an attempt (on the SDK's thread): draw it."""
        log = self.attempt_log
        if log is None or not self._consuming:
            return
        with self._lock:
            self._picture.attempts = log.since(self._attempt_mark)
            self._picture.touch_all()
            self._changed()

    def _failed_by(self, exc: BaseException) -> str:
        """Why ``exc`` ended the stream, in words (the header's) and in full (the panel's)."""
        attempts = self._picture.attempts
        words = failure_words(
            exc,
            state=self._state,
            attempt=attempts[-1] if attempts else None,
            at=self._clock(),
        )
        self._picture.failure_words = words
        return failure_text(exc, words)

    def _end(
        self,
        *,
        stopped: bool = False,
        failure: str | None = None,
        exc: BaseException | None = None,
    ) -> None:
        with self._lock:
            log = self.attempt_log
            if log is not None:
                with contextlib.suppress(ValueError):
                    log.listeners.remove(self._attempt_logged)
                if self._mode == "live":
                    self._picture.attempts = log.since(self._attempt_mark)
            if exc is not None:
                failure = self._failed_by(exc)
            self._consuming = False
            self._state.finish()
            state = self._state
            state.stopped = state.stopped or stopped
            state.paused = False
            if failure is not None:
                state.failure = failure
            self._picture.touch_all()
            self._mode = "idle"
            self._refresh_controls()
        self._settle()

    def _raise_for_error(self) -> None:
        error = self._state.error
        if error is not None:
            raise StreamAPIError(error)

    def stop(self) -> None:
        """End the running ``consume_async`` / ``play`` (what the Stop button does)."""
        task, loop = self._task, self._loop
        if task is not None and loop is not None and not task.done():
            loop.call_soon_threadsafe(task.cancel)

    # ------------------------------------------------------------------ rendering

    def _root(self) -> str:
        return self._picture.root_id

    def _is_final(self) -> bool:
        return self._mode == "idle" and self._picture.final

    def _live(self) -> bool:
        return self._consuming and self._state.status == "streaming"

    def _tick(self) -> None:
        self._picture.tick()

    def _now(self) -> float | None:
        """The stream's clock now, while live: a replay runs on recorded time (at its speed)."""
        if not self._live():
            return None
        if self._replay_anchor is not None and (
            self._mode == "replay" or self._replayed_source is not None
        ):
            return self._recorded_now()
        return self._clock()

    def _recorded_now(self) -> float | None:
        """Where a replay is in recorded time: the last anchor (an event, or a control),
        moved on at the speed it had (None: frozen, paused or instant)."""
        anchor = self._replay_anchor
        if anchor is None:
            return None
        at, wall, speed = anchor
        return at if speed is None else at + (self._clock() - wall) * speed

    def _render(self) -> list[Op]:
        anchor = self._replay_anchor
        rate = 1.0
        if anchor is not None and (self._mode == "replay" or self._replayed_source is not None):
            rate = anchor[2] if anchor[2] is not None else 0.0
        ops = self._picture.render(self._store, self._now(), wall=self._clock(), rate=rate)
        op = self._store.update(self._picture.controls_id, self._controls())
        if op is not None:
            ops.append(op)
        return ops

    def _render_group(self, group: str) -> None:
        self._picture.touch_all()  # a lazy region live frames skipped: drawn at the next

    def _draw_withheld(self) -> None:
        self._picture.draw_withheld(self._store)

    def _text(self) -> str:
        d = self._picture.describe()
        bits = [str(d["status"])]
        if d["model"]:
            bits.append(str(d["model"]))
        bits.append(f"{d['blocks']} blocks")
        if d["tool_calls"]:
            bits.append(f"{d['tool_calls']} tool calls")
        if d["stop_reason"]:
            bits.append(f"stop: {d['stop_reason']}")
        figures = self._picture.figures or stream_figures(self._state, prices=self._picture.prices)
        bits.append(f"{figures.text('output_tokens')} output tokens")  # as the panel reads
        return f"<StreamView {' · '.join(bits)}>"

    def _render_more(self, region_id: str, page: int) -> list[Op]:
        return self._picture.more(self._store, region_id, page)

    def _supply(self, budget: int) -> Callable[[str], list[str] | None] | None:
        return self._picture.supply(Budget(budget))

    def _shown_position(self, position: int) -> int:
        """The counter's "event N": the events figure of the frame the panel shows, so the
        header never runs ahead of the panel (its figures redraw at most once a second)."""
        figures = self._picture.figures
        shown = figures.get("events") if figures is not None else None
        value = shown.value if shown is not None else None
        return min(position, value) if isinstance(value, int) else position

    def _controls(self) -> list[str]:
        if self._mode == "idle":
            return []
        replay = self._replay
        shown: ReplayControls | None = None
        if self._mode == "replay" and replay is not None:
            speed = self._speed_after_step if self._step_pending else replay.speed
            shown = ReplayControls(
                playing=not replay.paused and not self._step_pending,
                speeds=list(SPEEDS) if speed in SPEEDS else [*SPEEDS[:-1], speed, None],
                speed=speed,
                position=self._shown_position(replay.position),
                length=len(replay),
                # marimo hears a click only after the cell, so replay controls are not offered
                disabled_why=MARIMO_CLICKS if self.in_marimo else None,
            )
        blocked = MARIMO_STOP if self.in_marimo else BLOCKED_STOP
        stop = Button(
            "stop",
            "■ Stop",
            blocked if self._blocking else "Stop (everything received stays)",
            self._blocking,
        )
        why = None
        if self._blocking:  # a greyed button says why on the page, not only in its tooltip
            why = (
                "Stop is off: marimo hears clicks only after the cell ends"
                if self.in_marimo
                else "Stop is off: this cell blocks (use await view.consume_async(...))"
            )
        return [control_bar(self.token, [stop], shown, note=why)]

    def _refresh_controls(self, position_only: bool = False) -> None:
        """The controls changed (mode, play state, speed): draw them at the next frame."""
        with self._lock:
            if not position_only:
                self._changed()

    def _set_paused(self, paused: bool) -> None:
        if self._state.paused != paused:
            self._state.paused = paused
            self._picture.touch_all()

    # ------------------------------------------------------------------ controls

    def _on_action(self, action: str, key: str | None, value: Any, fields: dict[str, Any]) -> None:
        if action.startswith("wire-"):
            with self._lock:
                if self._picture.inspector.click(action, value):
                    self._changed()
            return
        replay = self._replay
        if action == "stop":
            self.stop()
            return
        if replay is None:
            return
        with self._lock:
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
                valid, speed = _parse_speed(value)
                if not valid:
                    return
                if self._step_pending:
                    self._speed_after_step = speed
                else:
                    replay.speed = speed
                self._picture.replay_speed = speed  # the panel's "replayed at 2x"
                self._picture.touch_all()
            else:
                return
            self._set_paused(replay.paused and not self._step_pending)
            at = self._recorded_now()
            if at is not None:  # the clock goes on from here, at the new pace (or stops)
                moving = not replay.paused and not self._step_pending
                self._replay_anchor = (at, self._clock(), replay.speed if moving else None)
            self._changed()

    # ------------------------------------------------------------------ export

    def export_json(self, path: str | Path) -> Path:
        """Write the message (:meth:`to_message`) as strict JSON, atomically; returns the path.

        The exact text is kept: a lone surrogate is written as its ``\\udXXX`` escape, so a
        thinking block goes back to the API byte for byte."""
        return write_atomic(path, dumps_exact(self.to_message(), indent=2))

    def export_html(self, path: str | Path) -> Path:
        """Write a self-contained HTML file (no scripts, CSS inline), atomically. Folded
        texts are in it whole (closed) up to ``render.fulltext.EXPORT_BUDGET`` characters
        in all; a page says where a text past that is."""
        with self._lock:
            self._flush()
            body = self._store.expand(self._root(), supply=self._supply(EXPORT_BUDGET))
        title = f"streamscope · {self._state.model or 'stream'}"
        return write_atomic(path, standalone_document(body, title))


def _parse_speed(value: Any) -> tuple[bool, float | None]:
    """``(valid, speed)`` from the front end's value (speed None: instant)."""
    if value is None or value == "":
        return True, None
    try:
        speed = float(value)
    except (TypeError, ValueError):
        return False, None
    return (0 < speed < float("inf")), speed

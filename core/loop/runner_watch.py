"""RunnerWatch: the SDK's own tool runner, told to loop observers as a ToolLoop tells them.

How it works: ``docs/internals.md``, section ``streamscope.core.loop.runner_watch``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

from streamscope.core.io.sources import aiter_events, iter_events
from streamscope.core.json.plain import dump_model
from streamscope.core.loop.records import (
    ToolExecution,
    Turn,
    TurnDriver,
    apply_event,
    await_stoppable,
)
from streamscope.core.stream.state import StreamState
from streamscope.core.wire.diagnostics import diagnostics_arguments
from streamscope.core.wire.request import request_of

__all__ = ["RunnerWatch"]


SYNC_RUNNER_MESSAGE = (
    "this tool runner is synchronous (made from anthropic.Anthropic): use run() "
    "(show_runner(runner) in a notebook), or make the runner from anthropic.AsyncAnthropic "
    "and await arun() (await ashow_runner(runner)) so that Stop can be heard"
)
ASYNC_RUNNER_MESSAGE = (
    "this tool runner is async (made from anthropic.AsyncAnthropic): use await arun() "
    "(await ashow_runner(runner) in a notebook)"
)
NOT_STREAMING_MESSAGE = (
    "this tool runner does not stream: make it with "
    "client.beta.messages.tool_runner(..., stream=True)"
)
BLOCKING_NOTICE = (
    "This cell blocks (show_runner), so the Stop button cannot be heard. Clicks are only "
    "handled while the cell awaits: make the runner from anthropic.AsyncAnthropic and use "
    "`await ashow_runner(runner)`."
)
"""What a view says about Stop while a synchronous runner is watched (read by the view)."""
NO_RESULT = "the runner sent no result for this call"
STOPPED = "stopped before the runner sent a result"


def _is_async_runner(runner: object) -> bool:
    return hasattr(runner, "__anext__") and not hasattr(runner, "__next__")


def _is_sync_runner(runner: object) -> bool:
    return hasattr(runner, "__next__")


def _check_streaming(runner: object) -> None:
    """Refuse a runner made without ``stream=True`` before it sends a request."""
    try:
        from anthropic.lib.tools import BetaAsyncToolRunner, BetaToolRunner
    except ImportError:  # pragma: no cover - an SDK without these names: checked per item
        return
    if isinstance(runner, (BetaToolRunner, BetaAsyncToolRunner)):
        raise TypeError(NOT_STREAMING_MESSAGE)


class RunnerWatch(TurnDriver):
    """Drive an SDK tool runner (``stream=True``) and tell loop observers what it does.


    Quacks like the :class:`~streamscope.core.loop.tool_loop.ToolLoop` a view watches:
    ``observers``, ``turns``, ``stop()``, ``stop_requested``, ``stop_reason``, ``event_loop``,
    ``usage``, ``executions``. ``await watch.arun()`` (an async runner)
    or ``watch.run()`` (a sync one)
    consumes the runner and returns its final message (the SDK's ``until_done()``), or, after
    :meth:`stop`, the last whole turn's message (None if none finished).

    ``stop_reason`` after a run: the last turn's stop reason (``end_turn``...),
    ``max_turns`` (the runner's ``max_iterations`` ended it after a ``tool_use`` turn),
    ``stopped``, ``error`` or ``interrupted``.

    ``diagnose_cache=True`` asks the API why each request missed the prompt cache: before
    each request the runner's params get ``diagnostics={"previous_message_id": ...}`` (the
    last turn's message id; None before the first), or ``extra_body`` on an SDK without the
    parameter (:mod:`streamscope.core.wire.diagnostics`). Off by default.
    """

    blocking_notice = BLOCKING_NOTICE

    def __init__(self, runner: Any, *, observer: Any = None, diagnose_cache: bool = False) -> None:
        if not (_is_async_runner(runner) or _is_sync_runner(runner)) or not hasattr(
            runner, "generate_tool_call_response"
        ):
            raise TypeError(
                "runner must be what client.beta.messages.tool_runner(..., stream=True) "
                f"returns, not {runner!r}"
            )
        _check_streaming(runner)
        if not isinstance(diagnose_cache, bool):
            raise TypeError(f"diagnose_cache must be True or False, not {diagnose_cache!r}")
        self.runner = runner
        self._init_driver(observer)
        self.diagnose_cache = diagnose_cache
        self._tools: Any = None
        """The tools of the run's requests (a thread's later requests omit them)."""
        self.final_message: Any = None
        """The SDK message of the last turn that streamed to its end."""
        self._task: asyncio.Future[Any] | None = None

    # ------------------------------------------------------------------ reading

    @property
    def is_async(self) -> bool:
        """True for a runner made from ``AsyncAnthropic`` (driven by ``arun``)."""
        return not _is_sync_runner(self.runner)

    def _wake(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()

    # ------------------------------------------------------------------ shared steps

    def _begin(self) -> None:
        self._start()
        self._tools = None
        self.final_message = None
        self._ask_diagnosis(None)
        self._started()

    def _open_turn(self, stream: Any, started: float) -> Turn:
        if not hasattr(stream, "get_final_message"):
            raise TypeError(NOT_STREAMING_MESSAGE)
        # the request the SDK sent (from its HTTP response): the view checks the tool
        # arguments against its tools and can show it to send again
        request = request_of(stream)
        state = StreamState(started_at=started, request=request)
        if request is not None and request.get("tools"):
            self._tools = request["tools"]
        elif self._tools:  # a thread's later requests do not repeat the tools
            state.set_tools(self._tools)
        turn = Turn(len(self.turns) + 1, state, request)
        self.turns.append(turn)
        self.notify("turn_started", turn)
        return turn

    def _apply(self, turn: Turn, event: Any) -> bool:
        """Apply one event; True when the watch must stop reading."""
        return apply_event(turn, event, self.notify, self._stop)

    def _close_turn(self, turn: Turn) -> None:
        state = turn.state
        assert state is not None
        state.finish()
        if state.ended and state.error is None:
            turn.interrupted = False
            turn.message = {"role": "assistant", "content": state.to_message()["content"]}
        if state.message_id is not None:
            self._ask_diagnosis(state.message_id)

    def _ask_diagnosis(self, previous_id: str | None) -> None:
        """Chain the runner's next request to ``previous_id`` (``diagnose_cache`` only)."""
        if not self.diagnose_cache:
            return
        client = getattr(self.runner, "_client", None)
        beta = getattr(client, "beta", None)
        method = getattr(getattr(beta, "messages", None), "create", None)

        def chained(params: Any) -> Any:
            extra = params.get("extra_body") if isinstance(params, dict) else None
            return {**params, **diagnostics_arguments(previous_id, method, extra)}

        self.runner.set_messages_params(chained)

    def _queue_runs(self, turn: Turn) -> list[ToolExecution]:
        """The turn's calls as runs, queued then running (the runner is about to run them)."""
        assert turn.state is not None
        turn.executions = [
            ToolExecution(call=call, turn=turn.number) for call in turn.state.tool_calls
        ]
        for run in turn.executions:
            self.notify("tool_queued", run)
        started = time.monotonic()
        for run in turn.executions:
            run.started_at = started
            run.mark("running")
            self.notify("tool_started", run)
        return turn.executions

    def _finish_runs(self, turn: Turn, response: Any) -> None:
        """Each run gets the result the runner will send back (read from its response)."""
        finished = time.monotonic()
        message = dump_model(response) if response is not None else None
        turn.tool_results = message if isinstance(message, dict) else None
        blocks = turn.tool_results.get("content") if turn.tool_results else None
        results = {
            b.get("tool_use_id"): b
            for b in (blocks if isinstance(blocks, list) else [])
            if isinstance(b, dict) and b.get("type") == "tool_result"
        }
        for run in turn.executions:
            run.finished_at = finished
            block = results.get(run.id)
            if block is None:
                run.content, run.is_error, run.error = None, True, NO_RESULT
                run.mark("failed", NO_RESULT)
            else:
                run.content = block.get("content")
                run.is_error = bool(block.get("is_error"))
                if run.is_error:
                    run.error = _first_line(run.content)
                run.mark("failed" if run.is_error else "done")
            self.notify("tool_finished", run)

    def _stop_runs(self, turn: Turn) -> None:
        for run in turn.executions:
            if not run.done:
                if run.started_at is not None and run.finished_at is None:
                    run.finished_at = time.monotonic()
                run.error = STOPPED
                run.mark("stopped", STOPPED)
                self.notify("tool_finished", run)

    def _last_reason(self) -> str:
        last = self.turns[-1] if self.turns else None
        reason = last.stop_reason if last is not None else None
        if reason == "tool_use" and last is not None and last.executions:
            return "max_turns"  # the runner's max_iterations ended it with results unsent
        return reason or "end_turn"

    # ------------------------------------------------------------------ sync

    def run(self) -> Any:
        """Consume a synchronous runner; returns its final message (see the class)."""
        if not _is_sync_runner(self.runner):
            raise TypeError(ASYNC_RUNNER_MESSAGE)
        self._begin()
        whole = False
        try:
            for turn in self._turns_sync():
                if turn.state is not None and turn.state.stop_reason == "tool_use":
                    self._queue_runs(turn)
                    try:
                        response = self.runner.generate_tool_call_response()
                    except BaseException:
                        self._stop_runs(turn)
                        raise
                    self._finish_runs(turn, response)
            whole = not self._stop.is_set()
            if whole:
                self.stop_reason = self._last_reason()
                return self.runner.until_done()
            self.stop_reason = "stopped"
            return self.final_message
        except BaseException as exc:
            self._ended_by(exc)
            raise
        finally:
            try:
                # a runner of an SDK before 1.14 has no close(); its turn's stream is closed
                close = getattr(self.runner, "close", None)
                if not whole and close is not None:
                    close()
            finally:
                self._end()

    def _turns_sync(self) -> Iterator[Turn]:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                stream = next(self.runner)
            except StopIteration:
                return
            turn = self._open_turn(stream, started)
            events = iter_events(stream)
            try:
                for event in events:
                    if self._apply(turn, event):
                        break
            finally:
                self._close_turn(turn)
                self.notify("turn_finished", turn)
                events.close()
            if turn.message is not None:
                self.final_message = stream.get_final_message()
            if self._stop.is_set():
                return
            yield turn

    # ------------------------------------------------------------------ async

    async def arun(self) -> Any:
        """Consume an async runner without blocking the event loop (a notebook's Stop
        button works meanwhile); returns its final message (see the class)."""
        if _is_sync_runner(self.runner):
            raise TypeError(SYNC_RUNNER_MESSAGE)
        self._begin()
        self._aloop = asyncio.get_running_loop()
        task = asyncio.ensure_future(self._drive_async())
        self._task = task
        whole = False
        try:
            if self._stop.is_set():
                task.cancel()
            await await_stoppable(task, self._stop)
            whole = not self._stop.is_set()
            if whole:
                self.stop_reason = self._last_reason()
                return await self.runner.until_done()
            self.stop_reason = "stopped"
            return self.final_message
        except BaseException as exc:
            self._ended_by(exc)
            raise
        finally:
            self._task = None
            self._aloop = None
            try:
                close = getattr(self.runner, "close", None)  # SDK 1.14 and later
                if not whole and close is not None:
                    await close()
            finally:
                self._end()

    async def _drive_async(self) -> None:
        runner = self.runner
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                stream = await runner.__anext__()
            except StopAsyncIteration:
                return
            turn = self._open_turn(stream, started)
            events = aiter_events(stream)
            try:
                async for event in events:
                    if self._apply(turn, event):
                        break
            except asyncio.CancelledError:
                turn.interrupted = True
                raise
            finally:  # the turn is closed first: a Stop may cancel the await below
                self._close_turn(turn)
                self.notify("turn_finished", turn)
                await events.aclose()
            if turn.message is not None:
                self.final_message = await stream.get_final_message()
            if self._stop.is_set():
                return
            assert turn.state is not None
            if turn.state.stop_reason == "tool_use":
                self._queue_runs(turn)
                try:
                    response = await runner.generate_tool_call_response()
                except BaseException:
                    self._stop_runs(turn)
                    raise
                self._finish_runs(turn, response)


def _first_line(content: Any) -> str:
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        text = " ".join(
            str(b.get("text", ""))
            for b in content
            if isinstance(b, dict) and b.get("type") == "text"
        )
    else:
        text = ""
    line = text.strip().splitlines()[0] if text.strip() else "the tool failed"
    return line[:200]

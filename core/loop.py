"""ToolLoop: stream a turn, run the tools it asked for (in parallel, with approvals), repeat.

``ToolLoop(client, model=..., max_tokens=..., tools=[...])`` sends the conversation, reduces
each streamed turn through a :class:`~streamscope.core.state.StreamState`, appends the
assistant turn exactly as streamed (thinking with its signature and redacted thinking
untouched), runs the turn's client tool calls together, appends one ``tool_result`` per
``tool_use`` in call order, and asks again, until the model ends its turn, ``max_turns``
requests were made, or :meth:`ToolLoop.stop` is called. ``run(messages)`` is synchronous;
``await arun(messages)`` keeps the event loop free (in Jupyter, approval and Stop buttons
are only handled while the cell awaits).

Observer interface
------------------
Pass ``observer=obj`` (or a list of them), the ``on_*`` callbacks, or both. Every method is
optional (subclass :class:`LoopObserver` or duck-type it); all are called on the thread
that runs the loop (``run``'s caller, or ``arun``'s event loop), in this order:

- ``loop_started(loop)`` / ``loop_finished(loop)``: around a run (``loop_finished`` also
  after an error; ``loop.stop_reason`` says why it ended).
- ``turn_started(turn)``: a request is about to be sent; ``turn.state`` is the fresh
  :class:`StreamState` (``on_turn_start(turn)``).
- ``event(turn, event, change)``: after ``turn.state.apply(event)``; ``change`` says what
  changed (``on_event(turn, event, change)``).
- ``turn_finished(turn)``: the stream ended (``turn.message`` is the appended assistant
  turn, or None when it was interrupted or failed).
- ``tool_queued(run)``, ``tool_awaiting_approval(run)``, ``tool_started(run)``,
  ``tool_finished(run)``: a :class:`ToolRun` changed status (``on_tool_run(run)`` for all
  four). Runs that fail before running (unknown tool, bad JSON, invalid arguments) go
  from queued straight to finished; so do denied ones. In ``run()``, runs that finish
  while an approval is being asked are reported once the approvals are done.
- ``approval_needed(call) -> decision | awaitable``: asked for tools in
  ``require_approval`` when no ``approve=`` callable was given (the first observer that
  has it answers). A widget returns an ``asyncio.Future`` resolved by its buttons;
  ``arun`` awaits it (cancelled if the loop is stopped). ``run()`` cannot wait for an
  awaitable and raises ``TypeError`` pointing to ``await loop.arun(...)``.

Observer exceptions are logged and kept in ``loop.observer_errors``; they never break
the loop. A decision is ``True``, ``False``, ``(False, reason)``, ``(True, edited_input)``
or a :class:`Decision`.

Resuming: if the conversation passed in ends with an assistant turn whose ``tool_use``
calls have no results (e.g. the previous run stopped at ``max_turns`` or was stopped
before its tools ran), those calls are run first, as turn 0 (``turn.state is None``; no
``turn_started``/``turn_finished`` for it, only the tool notifications).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import functools
import inspect
import json
import logging
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from typing import Any, Literal

from streamscope.core._models import dump_model
from streamscope.core.blocks import ToolUseBlock
from streamscope.core.changes import Change
from streamscope.core.errors import StreamAPIError
from streamscope.core.sources import aiter_events, iter_events
from streamscope.core.state import StreamState
from streamscope.core.tool_call import ToolCall
from streamscope.core.tools import (
    Tool,
    ToolInputError,
    ToolResult,
    ToolSpec,
    is_async_callable,
    json_default,
    normalize_tools,
    result_content,
)
from streamscope.core.turns import (
    Decision,
    IncompleteStreamError,
    LoopObserver,
    RunStatus,
    ToolRun,
    Turn,
    as_decision,
    sum_usage,
)
from streamscope.core.usage import Usage

__all__ = [
    "Decision",
    "IncompleteStreamError",
    "LoopObserver",
    "RunStatus",
    "ToolLoop",
    "ToolRun",
    "Turn",
    "as_decision",
    "sum_usage",
]

_log = logging.getLogger(__name__)


ASYNC_APPROVER_MESSAGE = (
    "the approver is async (it returns an awaitable), and ToolLoop.run() cannot wait for it: "
    "blocking here would also block whatever must answer it (in Jupyter, button clicks are "
    "only handled while the cell awaits). Use `await loop.arun(messages)` instead, or pass a "
    "synchronous approve= callable."
)
ASYNC_CLIENT_MESSAGE = (
    "this client is async (e.g. anthropic.AsyncAnthropic): use `await loop.arun(messages)`, "
    "or give run() a synchronous client (anthropic.Anthropic)."
)
STOPPED_BEFORE_APPROVAL = "Not run: the loop was stopped before this call was approved."


class _Callbacks:
    def __init__(
        self,
        on_event: Callable[[Turn, Any, Change], object] | None,
        on_turn_start: Callable[[Turn], object] | None,
        on_tool_run: Callable[[ToolRun], object] | None,
    ) -> None:
        self._on_event = on_event
        self._on_turn_start = on_turn_start
        self._on_tool_run = on_tool_run

    def turn_started(self, turn: Turn) -> None:
        if self._on_turn_start is not None:
            self._on_turn_start(turn)

    def event(self, turn: Turn, event: Any, change: Change) -> None:
        if self._on_event is not None:
            self._on_event(turn, event, change)

    def _tool(self, run: ToolRun) -> None:
        if self._on_tool_run is not None:
            self._on_tool_run(run)

    tool_queued = tool_awaiting_approval = tool_started = tool_finished = _tool


class _LoopThread:
    """A private event loop in a worker thread, for async tools under the sync ``run()``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self._main, name="streamscope-async-tools", daemon=True
        )
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, None]) -> concurrent.futures.Future[None]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        async def shutdown() -> None:
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.loop.shutdown_asyncgens()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=10)
        except Exception:  # best-effort clean-up
            _log.debug("async tool loop shutdown failed", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _discard(awaitable: object) -> None:
    if inspect.iscoroutine(awaitable):
        awaitable.close()


_STOPPED = object()


async def _in_thread_closing_late(fn: Callable[[], Any]) -> Any:
    """``fn()`` in a worker thread; if we are cancelled first (stop), whatever it returns
    later (an SDK stream holding a connection) is closed instead of leaked."""
    future = asyncio.ensure_future(asyncio.to_thread(fn))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_close_result)
        raise


def _close_result(future: asyncio.Future[Any]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    close = getattr(future.result(), "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            _discard(close())


def _all_tool_calls(state: StreamState) -> list[ToolCall]:
    """The finalized calls, then any ``tool_use`` block that never got its stop event
    (the API wants a result for every ``tool_use`` sent back; such a call fails)."""
    calls = state.tool_calls
    done = {call.index for call in calls}
    for block in state.blocks:
        if isinstance(block, ToolUseBlock) and block.type == "tool_use" and block.index not in done:
            call = block.to_call()
            error = call.input_error or "the tool_use block never finished streaming"
            calls.append(dataclasses.replace(call, input_error=error))
    return calls


Approver = Callable[[ToolCall], Any]


# --------------------------------------------------------------------------- the loop


class ToolLoop:
    """Runs a tool-using conversation with the Messages API (see the module docstring).

    Parameters
    ----------
    client:
        ``anthropic.Anthropic`` or ``anthropic.AsyncAnthropic`` (or a :class:`ReplayClient`);
        with ``betas=[...]`` in the request keywords, ``client.beta.messages`` is used.
    model, max_tokens:
        Sent with every request.
    tools:
        Functions (sync or async), :class:`Tool` objects, or raw tool dicts (server tools
        such as web search; sent unchanged, never run here).
    require_approval:
        Names of tools whose calls must be approved first (``True``: every local tool).
    approve:
        ``approve(call) -> decision`` (sync for ``run``; sync or async for ``arun``). Without
        it, an observer's ``approval_needed`` is asked.
    max_turns:
        At most this many requests per run.
    observer, on_event, on_turn_start, on_tool_run:
        Live progress (see the module docstring).
    method:
        ``"create"`` (``messages.create(stream=True)``, the default: streamscope does the
        accumulating) or ``"stream"`` (``messages.stream(...)``).
    max_workers:
        Threads for sync tools per turn (default: one per call, so all run at once).
    note_edits:
        When an approver edits the arguments, say so at the start of the tool result.
    **request_kwargs:
        Any other request field: ``system``, ``thinking``, ``tool_choice``, ``betas``,
        ``temperature``, ``metadata``...
    """

    def __init__(
        self,
        client: Any,
        *,
        model: str,
        max_tokens: int,
        tools: Iterable[ToolSpec] = (),
        require_approval: Iterable[str] | bool = (),
        approve: Approver | None = None,
        max_turns: int = 10,
        observer: Any = None,
        on_event: Callable[[Turn, Any, Change], object] | None = None,
        on_turn_start: Callable[[Turn], object] | None = None,
        on_tool_run: Callable[[ToolRun], object] | None = None,
        method: Literal["create", "stream"] = "create",
        max_workers: int | None = None,
        note_edits: bool = True,
        **request_kwargs: Any,
    ) -> None:
        for reserved in ("messages", "stream"):
            if reserved in request_kwargs:
                raise TypeError(f"{reserved}= is set by the loop; do not pass it to ToolLoop")
        if max_turns < 1:
            raise ValueError("max_turns must be at least 1")
        if method not in ("create", "stream"):
            raise ValueError("method must be 'create' or 'stream'")
        self.client = client
        self.model = model
        self.max_tokens = max_tokens
        self.tools = normalize_tools(tools)
        self.tool_params: list[dict[str, Any]] = [
            t.to_param() if isinstance(t, Tool) else t for t in self.tools
        ]
        self._local: dict[str, Tool] = {t.name: t for t in self.tools if isinstance(t, Tool)}
        self._remote = {str(t["name"]) for t in self.tools if isinstance(t, dict)}
        self.require_approval: frozenset[str] = self._gated(require_approval)
        self.approve = approve
        self.max_turns = max_turns
        self.observers: list[Any] = []
        if observer is not None:
            self.observers.extend(observer if isinstance(observer, (list, tuple)) else [observer])
        if on_event or on_turn_start or on_tool_run:
            self.observers.append(_Callbacks(on_event, on_turn_start, on_tool_run))
        self.method = method
        self.max_workers = max_workers
        self.note_edits = note_edits
        self.request_kwargs = request_kwargs
        self.messages: list[Any] = []
        """The conversation so far (kept when a run fails)."""
        self.turns: list[Turn] = []
        self.stop_reason: str | None = None
        """Why the last run ended: the model's stop reason (``end_turn``, ``max_tokens``,
        ``stop_sequence``, ``refusal``...), ``max_turns``, ``stopped`` or ``error``."""
        self.observer_errors: list[tuple[str, BaseException]] = []
        self._initial_count = 0
        self._requests = 0
        self._stop = threading.Event()
        self._running = False
        self._aloop: asyncio.AbstractEventLoop | None = None
        self._astop: asyncio.Event | None = None
        self._consume_task: asyncio.Future[None] | None = None

    def _gated(self, require_approval: Iterable[str] | bool) -> frozenset[str]:
        if require_approval is True:
            return frozenset(self._local)
        if require_approval is False:
            return frozenset()
        if isinstance(require_approval, str):
            require_approval = [require_approval]
        names = frozenset(require_approval)
        remote = names & self._remote
        if remote:
            raise ValueError(f"require_approval names tools that never run here: {sorted(remote)}")
        unknown = names - set(self._local)
        if unknown:
            raise ValueError(
                f"require_approval names unknown tools: {sorted(unknown)} "
                f"(tools: {sorted(self._local)})"
            )
        return names

    # ------------------------------------------------------------------ reading

    @property
    def usage(self) -> Usage:
        """Usage summed over every streamed turn of the last run."""
        return sum_usage(t.usage for t in self.turns if t.state is not None)

    @property
    def runs(self) -> list[ToolRun]:
        """Every tool run of the last run, in order."""
        return [run for turn in self.turns for run in turn.runs]

    @property
    def new_messages(self) -> list[Any]:
        """The messages the last run appended."""
        return self.messages[self._initial_count :]

    @property
    def running(self) -> bool:
        return self._running

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def event_loop(self) -> asyncio.AbstractEventLoop | None:
        """The asyncio loop ``arun`` is running on, or None outside ``arun``.

        A view can tell from it whether button clicks can reach the kernel: they are
        handled only while a cell awaits ``arun`` (measured with ipykernel 7).
        """
        return self._aloop

    def stop(self) -> None:
        """Ask the loop to stop: the stream being read is closed (its partial turn is kept
        in ``turns`` but not appended), pending approvals are denied, running tools finish
        and their results are appended, and no new request is sent. Thread-safe."""
        self._stop.set()
        loop = self._aloop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._astop is not None:
            self._astop.set()
        task = self._consume_task
        if task is not None and not task.done():
            task.cancel()

    # ------------------------------------------------------------------ shared steps

    def _notify(self, method: str, *args: Any) -> None:
        for observer in self.observers:
            fn = getattr(observer, method, None)
            if fn is None:
                continue
            try:
                fn(*args)
            except Exception as exc:  # a view's bug must not break the loop
                self.observer_errors.append((method, exc))
                _log.exception("ToolLoop observer %r failed in %s", observer, method)

    def _approver(self) -> Approver | None:
        if self.approve is not None:
            return self.approve
        for observer in self.observers:
            fn = getattr(observer, "approval_needed", None)
            if fn is not None:
                return fn  # type: ignore[no-any-return]
        return None

    def _resource(self) -> Any:
        if "betas" in self.request_kwargs:
            return self.client.beta.messages
        return self.client.messages

    def _client_is_async(self) -> bool:
        return is_async_callable(self._resource().create)

    def _begin(self, messages: str | Sequence[Any]) -> None:
        if self._running:
            raise RuntimeError("this ToolLoop is already running")
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        self.messages = list(messages)
        self._initial_count = len(self.messages)
        self.turns = []
        self.stop_reason = None
        self._requests = 0
        self._stop.clear()
        if self.require_approval and self._approver() is None:
            raise ValueError(
                f"tools {sorted(self.require_approval)} require approval, but there is no "
                "approve= callable and no observer with approval_needed()"
            )
        self._running = True
        self._notify("loop_started", self)

    def _end(self) -> None:
        self._running = False
        self._notify("loop_finished", self)

    def _should_stop(self) -> str | None:
        if self._stop.is_set():
            return "stopped"
        if self._requests >= self.max_turns:
            return "max_turns"
        return None

    def _open_turn(self) -> Turn:
        request: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": list(self.messages),
        }
        if self.tool_params:
            request["tools"] = list(self.tool_params)
        request.update(self.request_kwargs)
        self._requests += 1
        turn = Turn(self._requests, StreamState(started_at=time.monotonic()), request)
        self.turns.append(turn)
        self._notify("turn_started", turn)
        return turn

    def _apply(self, turn: Turn, event: Any) -> None:
        assert turn.state is not None
        change = turn.state.apply(event)
        self._notify("event", turn, event, change)
        if self._stop.is_set():
            turn.interrupted = True

    def _close_turn(self, turn: Turn) -> str:
        """Append the assistant turn; returns its stop reason (``stopped`` if interrupted)."""
        state = turn.state
        assert state is not None
        if state.error is not None:
            raise StreamAPIError(state.error)
        if not state.ended:
            if turn.interrupted:
                return "stopped"
            raise IncompleteStreamError(
                f"turn {turn.number}: the stream ended without message_stop; the partial "
                "turn is in loop.turns[-1].state and was not appended"
            )
        turn.interrupted = False  # stopped after message_stop: the turn is whole, keep it
        message = {"role": "assistant", "content": state.to_message()["content"]}
        turn.message = message
        self.messages.append(message)
        reason = state.stop_reason or "end_turn"
        if reason == "tool_use":
            turn.runs = [self._make_run(turn.number, call) for call in _all_tool_calls(state)]
        return reason

    def _pending_turn(self) -> Turn | None:
        """Turn 0: tool calls the conversation's last (assistant) message left unanswered."""
        if not self.messages:
            return None
        last = dump_model(self.messages[-1])
        content = last.get("content") if isinstance(last, dict) else None
        if last.get("role") != "assistant" or not isinstance(content, list):
            return None
        calls = []
        for i, raw in enumerate(content):
            block = dump_model(raw)
            if isinstance(block, dict) and block.get("type") == "tool_use":
                tool_input = block.get("input", {})
                calls.append(
                    ToolCall(
                        id=str(block.get("id", "")),
                        name=str(block.get("name", "")),
                        input=tool_input,
                        index=i,
                        input_json=json.dumps(tool_input, ensure_ascii=False),
                    )
                )
        if not calls:
            return None
        turn = Turn(0, None, None, message=last, resumed=True)
        turn.runs = [self._make_run(0, call) for call in calls]
        self.turns.append(turn)
        return turn

    def _make_run(self, turn_number: int, call: ToolCall) -> ToolRun:
        run = ToolRun(call=call, turn=turn_number, tool=self._local.get(call.name))
        if run.tool is None:
            if call.name in self._remote:
                self._fail(run, f"Tool {call.name!r} has no local implementation; it cannot run.")
            else:
                available = ", ".join(sorted(self._local)) or "none"
                self._fail(run, f"Unknown tool {call.name!r}. Available tools: {available}.")
        elif call.input_error:
            self._fail(
                run,
                f"The arguments for {call.name!r} were not valid JSON ({call.input_error}). "
                "Call the tool again with a complete, valid JSON object.",
            )
        else:
            try:
                run.arguments = run.tool.validate(call.input)
            except ToolInputError as exc:
                self._fail(run, f"{exc}\nCall the tool again with corrected arguments.")
            else:
                run.needs_approval = call.name in self.require_approval
        return run

    @staticmethod
    def _fail(run: ToolRun, message: str) -> None:
        run.status = "error"
        run.error = message
        run.content = message
        run.is_error = True

    def _set_status(self, run: ToolRun, status: RunStatus, method: str) -> None:
        run.status = status
        self._notify(method, run)

    def _queue(self, runs: list[ToolRun]) -> None:
        for run in runs:
            self._notify("tool_queued", run)
        for run in runs:
            if run.done:
                self._notify("tool_finished", run)

    def _mark_running(self, run: ToolRun) -> None:
        run.started_at = time.monotonic()
        self._set_status(run, "running", "tool_started")

    def _apply_decision(self, run: ToolRun, decision: Decision) -> bool:
        """Record the decision; True when the call may run (with edited args validated)."""
        run.decision = decision
        if not decision.approved:
            reason = decision.reason
            message = (
                reason
                if reason == STOPPED_BEFORE_APPROVAL
                else f"The user denied this tool call: {reason}"
                if reason
                else "The user denied this tool call."
            )
            run.status = "denied"
            run.error = message
            run.content = message
            run.is_error = True
            return False
        if decision.input is not None and decision.input != run.call.input:
            assert run.tool is not None
            run.approved_input = decision.input
            try:
                run.arguments = run.tool.validate(decision.input)
            except ToolInputError as exc:
                self._fail(run, f"The arguments the user edited are invalid. {exc}")
                return False
        return True

    def _record_value(self, run: ToolRun, value: Any) -> None:
        run.result = value
        content: str | list[dict[str, Any]]
        try:
            if isinstance(value, ToolResult):
                content, is_error = value.content, value.is_error
            else:
                content, is_error = result_content(value), False
        except Exception as exc:  # an unconvertible result is an error result
            content = f"The tool's result could not be sent ({type(exc).__name__}: {exc})"
            is_error = True
        if run.approved_input is not None and self.note_edits:
            note = (
                "(The user edited the arguments before running: "
                f"{json.dumps(run.approved_input, ensure_ascii=False, default=json_default)})"
            )
            content = (
                f"{note}\n{content}"
                if isinstance(content, str)
                else [{"type": "text", "text": note}, *content]
            )
        run.content = content
        run.is_error = is_error
        if is_error:
            run.error = content if isinstance(content, str) else "the tool reported an error"
        run.status = "error" if is_error else "ok"

    @staticmethod
    def _record_exception(run: ToolRun, exc: BaseException) -> None:
        run.exception = exc
        run.error = f"{type(exc).__name__}: {exc}"
        run.traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        run.content = run.error
        run.is_error = True
        run.status = "error"

    def _invoke_sync(self, run: ToolRun, args: list[Any], kwargs: dict[str, Any]) -> None:
        """Run a tool in a worker thread (never raises an ``Exception``)."""
        assert run.tool is not None
        run.started_at = time.monotonic()
        try:
            value = run.tool.fn(*args, **kwargs)
            if inspect.isawaitable(value):  # a sync callable that returned a coroutine
                value = asyncio.run(_await(value))
        except Exception as exc:  # becomes an is_error result
            self._record_exception(run, exc)
        else:
            self._record_value(run, value)
        finally:
            run.finished_at = time.monotonic()

    async def _invoke_async(self, run: ToolRun, args: list[Any], kwargs: dict[str, Any]) -> None:
        assert run.tool is not None
        run.started_at = time.monotonic()
        try:
            value = run.tool.fn(*args, **kwargs)
            if inspect.isawaitable(value):
                value = await value
        except asyncio.CancelledError as exc:
            self._record_exception(run, exc)
            raise
        except Exception as exc:  # becomes an is_error result
            self._record_exception(run, exc)
        else:
            self._record_value(run, value)
        finally:
            run.finished_at = time.monotonic()

    def _append_results(self, turn: Turn) -> None:
        message = {"role": "user", "content": [run.to_block() for run in turn.runs]}
        turn.tool_results = message
        self.messages.append(message)

    def _pool(self, runs: list[ToolRun]) -> concurrent.futures.ThreadPoolExecutor | None:
        count = sum(1 for r in runs if not r.done and r.tool is not None and not r.tool.is_async)
        if not count:
            return None
        workers = self.max_workers or count
        return concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, workers), thread_name_prefix="streamscope-tool"
        )

    # ------------------------------------------------------------------ sync

    def run(self, messages: str | Sequence[Any]) -> list[Any]:
        """Run the conversation to the end; returns the whole conversation (the messages
        given, then the assistant turns and tool-result turns)."""
        if self._client_is_async():
            raise TypeError(ASYNC_CLIENT_MESSAGE)
        approver = self._approver()
        if self.require_approval and approver is not None and is_async_callable(approver):
            raise TypeError(ASYNC_APPROVER_MESSAGE)
        self._begin(messages)
        try:
            pending = self._pending_turn()
            if pending is not None:
                self._execute_sync(pending)
            self._drive_sync()
        except BaseException:
            if self.stop_reason is None:
                self.stop_reason = "error"
            raise
        finally:
            self._end()
        return list(self.messages)

    def _start_turn(self) -> Turn | None:
        """Open the next turn, or None (with ``stop_reason`` set) when the loop must end."""
        reason = self._should_stop()
        if reason is not None:
            self.stop_reason = reason
            return None
        return self._open_turn()

    def _after_turn(self, turn: Turn, reason: str) -> Literal["again", "tools", "end"]:
        """What follows a streamed turn: another request, its tools, or the end.

        ``pause_turn`` asks again without results; ``tool_use`` runs the calls unless a
        stop was asked meanwhile; anything else ends the loop with that reason.
        """
        if reason == "pause_turn":
            return "again"
        if reason == "tool_use" and turn.runs:
            stop = self._should_stop()
            if stop is None:
                return "tools"
            reason = stop
        self.stop_reason = reason
        return "end"

    def _drive_sync(self) -> None:
        while (turn := self._start_turn()) is not None:
            try:
                self._stream_sync(turn)
                reason = self._close_turn(turn)
            finally:
                self._notify("turn_finished", turn)
            step = self._after_turn(turn, reason)
            if step == "end":
                return
            if step == "tools":
                self._execute_sync(turn)

    def _stream_sync(self, turn: Turn) -> None:
        assert turn.state is not None and turn.request is not None
        resource = self._resource()
        if self.method == "stream":
            source = resource.stream(**turn.request)
        else:
            source = resource.create(stream=True, **turn.request)
        iterator = iter_events(source)
        try:
            for event in iterator:
                self._apply(turn, event)
                if turn.interrupted:
                    break
        finally:
            iterator.close()
            if self.method == "create":
                close = getattr(source, "close", None)
                if close is not None:
                    _discard(close())
            turn.state.finish()

    def _decide_sync(self, run: ToolRun) -> Decision:
        self._set_status(run, "awaiting_approval", "tool_awaiting_approval")
        approver = self._approver()
        assert approver is not None
        value = approver(run.call)
        if inspect.isawaitable(value) or isinstance(value, concurrent.futures.Future):
            _discard(value)
            raise TypeError(ASYNC_APPROVER_MESSAGE)
        return as_decision(value)

    def _execute_sync(self, turn: Turn) -> None:
        runs = turn.runs
        self._queue(runs)
        pending = [run for run in runs if not run.done]
        pool = self._pool(pending)
        async_loop: _LoopThread | None = None
        futures: dict[concurrent.futures.Future[None], ToolRun] = {}

        def submit(run: ToolRun) -> None:
            nonlocal async_loop
            assert run.tool is not None and run.arguments is not None
            args, kwargs = run.tool.bind(run.arguments)
            self._mark_running(run)
            future: concurrent.futures.Future[None]
            if run.tool.is_async:
                if async_loop is None:
                    async_loop = _LoopThread()
                future = async_loop.submit(self._invoke_async(run, args, kwargs))
            else:
                assert pool is not None
                context = contextvars.copy_context()
                future = pool.submit(context.run, self._invoke_sync, run, args, kwargs)
            futures[future] = run

        try:
            for run in pending:
                if not run.needs_approval:
                    submit(run)
            for run in pending:
                if run.needs_approval:
                    decision = (
                        Decision(False, STOPPED_BEFORE_APPROVAL)
                        if self._stop.is_set()
                        else self._decide_sync(run)
                    )
                    if self._apply_decision(run, decision):
                        submit(run)
                    else:
                        self._notify("tool_finished", run)
            for future in concurrent.futures.as_completed(futures):
                future.result()
                self._notify("tool_finished", futures[future])
        finally:  # every future is done unless an approver raised or we were interrupted
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            if async_loop is not None:
                async_loop.close()
        self._append_results(turn)

    # ------------------------------------------------------------------ async

    async def arun(self, messages: str | Sequence[Any]) -> list[Any]:
        """Async twin of :meth:`run`: awaits approvals and async tools without blocking the
        event loop; a sync client's stream is read in worker threads."""
        self._begin(messages)
        self._aloop = asyncio.get_running_loop()
        self._astop = asyncio.Event()
        try:
            pending = self._pending_turn()
            if pending is not None:
                await self._execute_async(pending)
            await self._drive_async()
        except BaseException:
            if self.stop_reason is None:
                self.stop_reason = "error"
            raise
        finally:
            self._aloop = None
            self._astop = None
            self._end()
        return list(self.messages)

    async def _drive_async(self) -> None:
        while (turn := self._start_turn()) is not None:
            try:
                await self._stream_async(turn)
                reason = self._close_turn(turn)
            finally:
                self._notify("turn_finished", turn)
            step = self._after_turn(turn, reason)
            if step == "end":
                return
            if step == "tools":
                await self._execute_async(turn)

    async def _stream_async(self, turn: Turn) -> None:
        task = asyncio.ensure_future(self._consume_async(turn))
        self._consume_task = task
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            outer_cancelled = bool(getattr(current, "cancelling", lambda: 0)())
            if not (task.cancelled() and self._stop.is_set()) or outer_cancelled:
                raise
            turn.interrupted = True  # stop() cancelled the read
        finally:
            self._consume_task = None
            assert turn.state is not None
            turn.state.finish()

    async def _consume_async(self, turn: Turn) -> None:
        assert turn.request is not None
        resource = self._resource()
        is_async = is_async_callable(resource.create)
        source: Any
        if self.method == "stream":
            source = resource.stream(**turn.request)
        elif is_async:
            source = await resource.create(stream=True, **turn.request)
        else:
            source = await _in_thread_closing_late(
                functools.partial(resource.create, stream=True, **turn.request)
            )
        iterator = aiter_events(source, threaded=not is_async)
        try:
            async for event in iterator:
                self._apply(turn, event)
                if turn.interrupted:
                    break
        finally:
            await iterator.aclose()
            if self.method == "create":
                close = getattr(source, "close", None)
                if close is not None:
                    if is_async:
                        result = close()
                        if inspect.isawaitable(result):
                            await result
                    else:
                        await asyncio.to_thread(close)

    async def _until_stopped(self, awaitable: Any) -> Any:
        """The awaitable's result, or ``_STOPPED`` if the loop is stopped first."""
        if isinstance(awaitable, concurrent.futures.Future):
            future: asyncio.Future[Any] = asyncio.wrap_future(awaitable)
        else:
            future = asyncio.ensure_future(awaitable)
        assert self._astop is not None
        stop_wait = asyncio.ensure_future(self._astop.wait())
        try:
            done, _ = await asyncio.wait({future, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop_wait.cancel()
            if not future.done():
                future.cancel()
        if future not in done:
            return _STOPPED
        if future.cancelled():
            return Decision(False, "The approval request was cancelled.")
        return future.result()

    async def _decide_async(self, run: ToolRun) -> Decision:
        self._set_status(run, "awaiting_approval", "tool_awaiting_approval")
        approver = self._approver()
        assert approver is not None
        value = approver(run.call)
        if inspect.isawaitable(value) or isinstance(value, concurrent.futures.Future):
            value = await self._until_stopped(value)
            if value is _STOPPED:
                return Decision(False, STOPPED_BEFORE_APPROVAL)
        return as_decision(value)

    async def _handle_async(
        self, run: ToolRun, pool: concurrent.futures.ThreadPoolExecutor | None
    ) -> None:
        if run.needs_approval:
            if self._stop.is_set():
                decision = Decision(False, STOPPED_BEFORE_APPROVAL)
            else:
                decision = await self._decide_async(run)
            if not self._apply_decision(run, decision):
                self._notify("tool_finished", run)
                return
        assert run.tool is not None and run.arguments is not None
        args, kwargs = run.tool.bind(run.arguments)
        self._mark_running(run)
        if run.tool.is_async:
            await self._invoke_async(run, args, kwargs)
        else:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()
            call = functools.partial(context.run, self._invoke_sync, run, args, kwargs)
            await loop.run_in_executor(pool, call)
        self._notify("tool_finished", run)

    async def _execute_async(self, turn: Turn) -> None:
        runs = turn.runs
        self._queue(runs)
        pending = [run for run in runs if not run.done]
        pool = self._pool(pending)
        tasks = [asyncio.ensure_future(self._handle_async(run, pool)) for run in pending]
        try:
            if tasks:
                await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks)
            raise
        finally:
            if pool is not None:
                pool.shutdown(wait=False)
        self._append_results(turn)

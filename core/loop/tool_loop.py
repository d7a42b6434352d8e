"""ToolLoop: stream a turn, run the tools it asked for (in parallel, with approvals), repeat.

How it works: ``docs/internals.md``, section ``streamscope.core.loop.tool_loop``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import dataclasses
import functools
import inspect
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from streamscope.core.figures.faults import is_wire_failure
from streamscope.core.io.sources import aiter_events, iter_events
from streamscope.core.json.plain import dump_model
from streamscope.core.loop.export import export_conversation
from streamscope.core.loop.failures import fail_turn, logged_client
from streamscope.core.loop.outgoing import sendable
from streamscope.core.loop.records import (
    Decision,
    ExecutionStatus,
    IncompleteStreamError,
    LoopObserver,
    ToolExecution,
    Turn,
    TurnDriver,
    apply_event,
    as_decision,
    await_stoppable,
)
from streamscope.core.loop.scheduler import ASYNC_APPROVER_MESSAGE as ASYNC_APPROVER_MESSAGE
from streamscope.core.loop.scheduler import (
    STOP_GRACE,
    AsyncBatch,
    SyncBatch,
    discard,
    set_result,
)
from streamscope.core.loop.scheduler import STOPPED_BEFORE_APPROVAL as STOPPED_BEFORE_APPROVAL
from streamscope.core.stream.blocks import ToolUseBlock
from streamscope.core.stream.changes import Change
from streamscope.core.stream.errors import StreamAPIError
from streamscope.core.stream.problems import Problem
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.tool_call import ToolCall
from streamscope.core.tools.checks import positive_int, positive_seconds
from streamscope.core.tools.tool import (
    Tool,
    ToolInputError,
    ToolSpec,
    is_async_callable,
    normalize_tools,
)
from streamscope.core.wire.attempts import Attempt, AttemptLog
from streamscope.core.wire.diagnostics import diagnostics_arguments, message_id_of

__all__ = [
    "Decision",
    "ExecutionStatus",
    "IncompleteStreamError",
    "LoopObserver",
    "ToolExecution",
    "ToolLoop",
    "Turn",
    "as_decision",
]


ASYNC_CLIENT_MESSAGE = (
    "this client is async (e.g. anthropic.AsyncAnthropic): use `await loop.arun(messages)`, "
    "or give run() a synchronous client (anthropic.Anthropic)."
)
_VALID_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
"""What the API accepts as a ``tool_use`` id."""


class _Callbacks:
    def __init__(
        self,
        on_event: Callable[[Turn, Any, Change], object] | None,
        on_turn_start: Callable[[Turn], object] | None,
        on_tool_execution: Callable[[ToolExecution], object] | None,
    ) -> None:
        self._on_event = on_event
        self._on_turn_start = on_turn_start
        self._on_tool_run = on_tool_execution

    def turn_started(self, turn: Turn) -> None:
        if self._on_turn_start is not None:
            self._on_turn_start(turn)

    def event(self, turn: Turn, event: Any, change: Change) -> None:
        if self._on_event is not None:
            self._on_event(turn, event, change)

    def _tool(self, run: ToolExecution) -> None:
        if self._on_tool_run is not None:
            self._on_tool_run(run)

    tool_queued = tool_awaiting_approval = tool_started = tool_finished = _tool


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
            discard(close())


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


class ToolLoop(TurnDriver):
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
        ``approve(call) -> decision`` (sync for ``run``; sync or async for ``arun``), or a
        future of one. Without it, an observer's ``approval_needed`` is asked.
    approval_timeout:
        Seconds to wait for a pending approval before denying the call ("no decision
        within N s"); None (the default) waits as long as it takes.
    tool_timeout:
        Seconds a call may run before it gets a "timed out" ``is_error`` result (a sync
        tool is abandoned, an async one cancelled); None (the default): no limit. A
        tool's own ``timeout`` (``@tool(timeout=...)``) takes precedence.
    max_turns:
        At most this many requests per run (a positive int).
    observer, on_event, on_turn_start, on_tool_execution:
        Live progress (see the module docstring).
    method:
        ``"create"`` (``messages.create(stream=True)``, the default: streamscope does the
        accumulating) or ``"stream"`` (``messages.stream(...)``).
    max_workers:
        At most this many sync tools running at once per turn (default: one thread per
        call, so all run at once). An abandoned call frees its worker.
    note_edits:
        When an approver edits the arguments, say so at the start of the tool result.
    diagnose_cache:
        Ask the API why a request missed the prompt cache: each request carries
        ``diagnostics={"previous_message_id": <the previous turn's message id>}`` (None on
        the first, which opts in), as a keyword where the SDK takes it, else in
        ``extra_body`` (:mod:`streamscope.core.wire.diagnostics`). Off by default: without
        it the requests are exactly as before.
    raise_errors:
        A turn whose request or stream fails (the API answers an error the SDK does not
        retry, the connection is reset or times out, the stream carries an ``error`` event
        or ends without ``message_stop``) ends the run; by default the run then returns
        the conversation so far, with ``stop_reason == "error"``, ``failure`` saying
        why in words and the failed turn (``turns[-1]``) keeping everything received.
        ``True``: the run raises the exception instead (after the same marks). Anything
        else that goes wrong (a bad argument, a bug, an interrupt) always raises.
    ``**request_kwargs``:
        Any other request field: ``system``, ``thinking``, ``tool_choice``, ``betas``,
        ``temperature``, ``metadata``...
    """

    stop_grace: float = STOP_GRACE
    """Seconds the calls still running get to finish after :meth:`stop`."""

    def __init__(
        self,
        client: Any,
        *,
        model: str,
        max_tokens: int,
        tools: Iterable[ToolSpec] = (),
        require_approval: Iterable[str] | bool = (),
        approve: Approver | None = None,
        approval_timeout: float | None = None,
        tool_timeout: float | None = None,
        max_turns: int = 10,
        observer: Any = None,
        on_event: Callable[[Turn, Any, Change], object] | None = None,
        on_turn_start: Callable[[Turn], object] | None = None,
        on_tool_execution: Callable[[ToolExecution], object] | None = None,
        method: Literal["create", "stream"] = "create",
        max_workers: int | None = None,
        note_edits: bool = True,
        diagnose_cache: bool = False,
        raise_errors: bool = False,
        **request_kwargs: Any,
    ) -> None:
        for reserved in ("messages", "stream"):
            if reserved in request_kwargs:
                raise TypeError(f"{reserved}= is set by the loop; do not pass it to ToolLoop")
        if client is None or not (hasattr(client, "messages") or hasattr(client, "beta")):
            raise TypeError(
                "client must be an anthropic.Anthropic or anthropic.AsyncAnthropic (or a "
                f"ReplayClient), not {client!r}"
            )
        if not isinstance(model, str) or not model:
            raise TypeError(f"model must be a non-empty str, not {model!r}")
        positive_int("max_tokens", max_tokens)
        positive_int("max_turns", max_turns)
        positive_int("max_workers", max_workers, optional=True)
        if not isinstance(method, str):
            raise TypeError(f"method must be 'create' or 'stream', not {method!r}")
        if method not in ("create", "stream"):
            raise ValueError(f"method must be 'create' or 'stream', not {method!r}")
        if approve is not None and not callable(approve):
            raise TypeError(f"approve must be a callable or None, not {approve!r}")
        for name, callback in (
            ("on_event", on_event),
            ("on_turn_start", on_turn_start),
            ("on_tool_execution", on_tool_execution),
        ):
            if callback is not None and not callable(callback):
                raise TypeError(f"{name} must be a callable or None, not {callback!r}")
        if not isinstance(note_edits, bool):
            raise TypeError(f"note_edits must be True or False, not {note_edits!r}")
        if not isinstance(diagnose_cache, bool):
            raise TypeError(f"diagnose_cache must be True or False, not {diagnose_cache!r}")
        if not isinstance(raise_errors, bool):
            raise TypeError(f"raise_errors must be True or False, not {raise_errors!r}")
        if diagnose_cache and "diagnostics" in request_kwargs:
            raise TypeError("pass diagnose_cache=True or diagnostics=..., not both")
        if isinstance(tools, (str, bytes, dict)) or not isinstance(tools, Iterable):
            raise TypeError(
                f"tools must be a list of functions, Tools or tool dicts, not {tools!r}"
            )
        self.approval_timeout: float | None = positive_seconds("approval_timeout", approval_timeout)
        self.tool_timeout: float | None = positive_seconds("tool_timeout", tool_timeout)
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
        self._init_driver(observer)
        self.stop_reason: str | None = None
        """Why the last run ended: the model's stop reason (``end_turn``, ``max_tokens``,
        ``stop_sequence``, ``refusal``...), ``max_turns``, ``stopped``, ``error`` (an
        exception) or ``interrupted`` (``KeyboardInterrupt``, ``SystemExit``, a cancelled
        ``arun``...)."""
        if on_event or on_turn_start or on_tool_execution:
            self.observers.append(_Callbacks(on_event, on_turn_start, on_tool_execution))
        self.method = method
        self.max_workers = max_workers
        self.note_edits = note_edits
        self.diagnose_cache = diagnose_cache
        self.raise_errors = raise_errors
        self.request_kwargs = request_kwargs
        self._sender: tuple[Any, Any, AttemptLog | None] | None = None
        """(the client given, the client that sends, its attempt log)."""
        self._turn_now: Turn | None = None
        self.messages: list[Any] = []
        """The conversation so far (kept when a run fails)."""
        self._initial_count = 0
        self._requests = 0
        self._astop: asyncio.Event | None = None
        self._consume_task: asyncio.Future[None] | None = None
        self._stop_signal: concurrent.futures.Future[None] = concurrent.futures.Future()

    def _gated(self, require_approval: Iterable[str] | bool) -> frozenset[str]:
        if require_approval is True:
            return frozenset(self._local)
        if require_approval is False:
            return frozenset()
        if isinstance(require_approval, str):
            require_approval = [require_approval]
        if not isinstance(require_approval, Iterable):
            raise TypeError(
                f"require_approval must be True, False or tool names, not {require_approval!r}"
            )
        names = frozenset(require_approval)
        bad = [n for n in names if not isinstance(n, str)]
        if bad:
            raise TypeError(f"require_approval names tools by their names (str), not {bad!r}")
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

    def export_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the request parameters and the whole conversation to ``path``, atomically,
        as a ``streamscope.conversation/1`` document; returns the path.
        :func:`~streamscope.core.loop.export.load_conversation` reads it back so that
        ``client.messages.create(**params, messages=messages)`` goes on from here, thinking
        blocks and signatures byte for byte (see :mod:`streamscope.core.loop.export`)."""
        return export_conversation(self, path)

    @property
    def new_messages(self) -> list[Any]:
        """The messages the last run appended."""
        return self.messages[self._initial_count :]

    def stop(self) -> None:
        """Ask the loop to stop; ``run()``/``arun()`` return within about a second.

        The stream being read is closed (its partial turn is kept in ``turns`` but not
        appended), a pending approval is withdrawn, calls not started are not started,
        calls still running get :attr:`stop_grace` seconds to finish and are then
        abandoned (sync) or cancelled (async), and no new request is sent. Every call
        without a result gets an ``is_error`` result that says it was stopped, so the
        conversation stays complete. Thread-safe.
        """
        super().stop()

    def _stopping(self) -> None:
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            self._stop_signal.set_result(None)

    def _wake(self) -> None:
        if self._astop is not None:
            self._astop.set()
        task = self._consume_task
        if task is not None and not task.done():
            task.cancel()

    # ------------------------------------------------------------------ shared steps

    def current_approver(self) -> Approver | None:
        """Who answers approvals now: ``approve=``, else the first observer that asks."""
        if self.approve is not None:
            return self.approve
        for observer in self.observers:
            fn = getattr(observer, "approval_needed", None)
            if fn is not None:
                return fn  # type: ignore[no-any-return]
        return None

    def _resource(self) -> Any:
        client = self._sending_client()
        if "betas" in self.request_kwargs:
            return client.beta.messages
        return client.messages

    def _sending_client(self) -> Any:
        """The client requests go through: :attr:`client`, with an attempt log where the
        SDK has the ``middleware=`` hook (worked out again when ``client`` is replaced)."""
        sender = self._sender
        if sender is None or sender[0] is not self.client:
            sender = self._sender = (self.client, *logged_client(self.client))
        return sender[1]

    @property
    def attempt_log(self) -> AttemptLog | None:
        """The log of every HTTP attempt of this loop's requests (None where the SDK has no
        ``middleware=`` hook); each turn's own are in ``turn.attempts``."""
        self._sending_client()
        assert self._sender is not None
        return self._sender[2]

    def _on_attempt(self, attempt: Attempt) -> None:
        turn = self._turn_now
        if turn is not None:
            turn.attempts.append(attempt)
            self.notify("attempt", turn, attempt)

    def _turn_failed(self, turn: Turn, exc: Exception) -> bool:
        """A turn's request or stream raised ``exc``: mark the turn failed (it keeps what
        arrived) and end the run; True when the run returns, False when ``exc`` must be
        raised (:attr:`raise_errors`, or not a failure of the wire)."""
        if not is_wire_failure(exc):
            return False
        self.failure = fail_turn(turn, exc)
        self.stop_reason = "error"
        return not self.raise_errors

    def _client_is_async(self) -> bool:
        return is_async_callable(self._resource().create)

    def _begin(self, messages: str | Sequence[Any]) -> None:
        self._start()
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        self.messages = list(messages)
        self._initial_count = len(self.messages)
        self._requests = 0
        self._stop_signal = concurrent.futures.Future()
        if self.require_approval and self.current_approver() is None:
            raise ValueError(
                f"tools {sorted(self.require_approval)} require approval, but there is no "
                "approve= callable and no observer with approval_needed()"
            )
        log = self.attempt_log  # each attempt of this run goes to the turn that made it
        if log is not None and self._on_attempt not in log.listeners:
            log.listeners.append(self._on_attempt)
        self._started()

    def _end(self) -> None:
        log = self._sender[2] if self._sender is not None else None
        if log is not None and self._on_attempt in log.listeners:
            log.listeners.remove(self._on_attempt)
        self._turn_now = None
        super()._end()

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
        if self.diagnose_cache:
            request.update(self._diagnostics(request))
        # The API takes UTF-8: the request carries surrogate pairs joined and lone
        # surrogates replaced (loop.messages and exports keep the exact text).
        replaced = 0
        for field in ("messages", "system", "tools"):
            if field in request:
                request[field], n = sendable(request[field])
                replaced += n
        self._requests += 1
        # The state knows the request and the tools: inputs are checked live by the rule
        # Tool.validate applies before a call runs (streamscope.core.schema.validation).
        state = StreamState(started_at=time.monotonic(), tools=self.tool_params, request=request)
        turn = Turn(self._requests, state, request, sent_at=time.time())
        if replaced:
            message = (
                f"{replaced} lone surrogate(s) in the conversation (text UTF-8 cannot carry) "
                "sent as U+FFFD; loop.messages and exports keep the exact text"
            )
            turn.problems.append(Problem("unsendable_text", message))
            state.note_problem("unsendable_text", message)
        self.turns.append(turn)
        self._turn_now = turn
        self.notify("turn_started", turn)
        return turn

    def _diagnostics(self, request: dict[str, Any]) -> dict[str, Any]:
        """The ``diagnostics`` argument chaining this request to the last streamed turn."""
        previous = next((t for t in reversed(self.turns) if t.state is not None), None)
        resource = self._resource()
        method = resource.stream if self.method == "stream" else resource.create
        return diagnostics_arguments(message_id_of(previous), method, request.get("extra_body"))

    def _apply(self, turn: Turn, event: Any) -> None:
        apply_event(turn, event, self.notify, self._stop)

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
        reason = state.stop_reason or "end_turn"
        if reason == "tool_use":
            calls = self._answerable(
                turn, _all_tool_calls(state), message["content"], len(self.messages)
            )
            turn.executions = [self._make_execution(turn, call, why) for call, why in calls]
        turn.message = message
        self.messages.append(message)
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
                        id=_id_of(block),
                        name=str(block.get("name", "")),
                        input=tool_input,
                        index=i,
                        input_json=json.dumps(tool_input, ensure_ascii=False),
                    )
                )
        if not calls:
            return None
        turn = Turn(0, None, None, message=last, resumed=True)
        fixed = [copy.deepcopy(dump_model(block)) for block in content]
        checked = self._answerable(turn, calls, fixed, len(self.messages) - 1)
        if turn.problems:  # a copy with the new ids: the caller's messages are never changed
            turn.message = {"role": "assistant", "content": fixed}
            self.messages[-1] = turn.message
        turn.executions = [self._make_execution(turn, call, why) for call, why in checked]
        self.turns.append(turn)
        return turn

    def _answerable(
        self, turn: Turn, calls: list[ToolCall], content: list[Any], position: int
    ) -> list[tuple[ToolCall, tuple[str, str] | None]]:
        """Each call with why it must not run, as (result, detail), or None when it may;
        after making every id one
        the API accepts: a repeated or invalid id is replaced in ``content`` (the assistant
        turn at ``position`` in the conversation) and in the call, and recorded in
        ``turn.problems``."""
        taken = {call.id for call in calls}
        seen: set[str] = set()
        checked: list[tuple[ToolCall, tuple[str, str] | None]] = [(call, None) for call in calls]
        renamed: dict[str, list[str | None]] = {}  # old id -> new id per occurrence
        for i in sorted(range(len(calls)), key=lambda i: calls[i].index):
            call = calls[i]
            old_id = call.id
            kind = (
                "invalid_tool_id"
                if not _VALID_ID.match(old_id)
                else "duplicate_tool_id"
                if old_id in seen
                else None
            )
            seen.add(old_id)
            if kind is None:
                renamed.setdefault(old_id, []).append(None)
                continue
            new_id = f"toolu_streamscope_{position}_{call.index}"
            while new_id in taken:
                new_id += "_"
            taken.add(new_id)
            renamed.setdefault(old_id, []).append(new_id)
            if kind == "duplicate_tool_id":
                what = f"repeats the id {old_id!r} of an earlier call in this turn"
                why = (
                    f"Not run: this call repeated the id {old_id!r} of an earlier call in the "
                    "same turn. Call the tool again if it is still needed.",
                    "repeated id; not run",
                )
            else:
                what = f"has no valid id ({old_id!r})"
                why = (
                    f"Not run: this call came without a valid id ({old_id!r}). Call the tool "
                    "again if it is still needed.",
                    "no valid id; not run",
                )
            turn.problems.append(
                Problem(
                    kind,
                    f"tool call {call.name!r} {what}: not run, sent back as {new_id!r} with an "
                    "is_error result so that the conversation stays valid",
                    index=call.index,
                    data={"id": old_id, "sent_as": new_id, "name": call.name},
                )
            )
            checked[i] = (dataclasses.replace(call, id=new_id), why)
        count: dict[str, int] = {}
        for block in content:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                old_id = _id_of(block)
                k = count[old_id] = count.get(old_id, -1) + 1
                new_ids = renamed.get(old_id, [])
                if k < len(new_ids) and new_ids[k] is not None:
                    block["id"] = new_ids[k]
        return checked

    def _make_execution(
        self, turn: Turn, call: ToolCall, why_not: tuple[str, str] | None = None
    ) -> ToolExecution:
        run = ToolExecution(call=call, turn=turn.number, tool=self._local.get(call.name))
        if why_not is not None:
            set_result(run, "failed", *why_not)
        elif run.tool is None:
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
            except Exception as exc:  # ToolInputError, or anything a conversion raised
                self._fail(run, f"{exc}\nCall the tool again with corrected arguments.")
                if not isinstance(exc, ToolInputError) or any(
                    v.keyword == "conversion_error" for v in exc.violations
                ):
                    self._not_converted(turn, call, exc)
            else:
                run.needs_approval = call.name in self.require_approval
        return run

    @staticmethod
    def _not_converted(turn: Turn, call: ToolCall, exc: Exception) -> None:
        """Arguments that could not be checked or converted: a problem on the turn and on
        its stream (the view marks it), the call answered with an ``is_error`` result."""
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        message = (
            f"the arguments of tool call {call.name!r} could not be checked or converted "
            f"({type(cause).__name__}): not run, answered with an is_error result"
        )
        data = {"id": call.id, "name": call.name, "error": type(cause).__name__}
        kind = "tool_arguments_not_converted"
        turn.problems.append(Problem(kind, message, index=call.index, data=data))
        if turn.state is not None:
            turn.state.note_problem(kind, message, index=call.index, data=data)

    @staticmethod
    def _fail(run: ToolExecution, message: str) -> None:
        set_result(run, "failed", message)

    def _append_results(self, turn: Turn) -> None:
        message = {"role": "user", "content": [run.to_block() for run in turn.executions]}
        turn.tool_results = message
        self.messages.append(message)

    # ------------------------------------------------------------------ sync

    def run(self, messages: str | Sequence[Any]) -> list[Any]:
        """Run the conversation to the end; returns the whole conversation (the messages
        given, then the assistant turns and tool-result turns).

        A turn whose request or stream fails ends the run here too: :attr:`stop_reason` is
        ``"error"``, ``failure`` says why in words, ``turns[-1]`` keeps everything
        received (``turns[-1].failure``, ``turns[-1].attempts``); ``raise_errors=True``
        raises instead. ``KeyboardInterrupt`` and other interrupts always propagate."""
        if self._client_is_async():
            raise TypeError(ASYNC_CLIENT_MESSAGE)
        approver = self.current_approver()
        if self.require_approval and approver is not None and is_async_callable(approver):
            raise TypeError(ASYNC_APPROVER_MESSAGE)
        self._begin(messages)
        try:
            pending = self._pending_turn()
            if pending is not None:
                self._execute_sync(pending)
            self._drive_sync()
        except BaseException as exc:
            self._ended_by(exc)
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

        ``pause_turn`` asks again without results; ``tool_use`` runs the calls (after a
        ``stop()`` that answers each "stopped", so the conversation stays complete),
        unless ``max_turns`` requests were made: then the calls are left for a resumed
        run; anything else ends the loop with that reason.
        """
        if reason == "pause_turn":
            return "again"
        if reason == "tool_use" and turn.executions:
            if self._stop.is_set() or self._requests < self.max_turns:
                return "tools"
            reason = "max_turns"
        self.stop_reason = reason
        return "end"

    def _drive_sync(self) -> None:
        while (turn := self._start_turn()) is not None:
            try:
                try:
                    self._stream_sync(turn)
                    reason = self._close_turn(turn)
                except Exception as exc:
                    if not self._turn_failed(turn, exc):
                        raise
                    return
            finally:
                self._turn_now = None
                self.notify("turn_finished", turn)
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
                    discard(close())
            turn.state.finish()

    def _execute_sync(self, turn: Turn) -> None:
        batch = SyncBatch(self, turn, self._stop_signal)
        try:
            batch.drive()
        finally:  # every call has its result, whatever happened
            self._append_results(turn)
        batch.raise_interrupt()

    # ------------------------------------------------------------------ async

    async def arun(self, messages: str | Sequence[Any]) -> list[Any]:
        """Async twin of :meth:`run`: awaits approvals and async tools without blocking the
        event loop; a sync client's stream is read in worker threads."""
        self._begin(messages)
        self._aloop = asyncio.get_running_loop()
        self._astop = asyncio.Event()
        if self._stop.is_set():
            self._astop.set()
        try:
            pending = self._pending_turn()
            if pending is not None:
                await self._execute_async(pending)
            await self._drive_async()
        except BaseException as exc:
            self._ended_by(exc)
            raise
        finally:
            self._aloop = None
            self._astop = None
            self._end()
        return list(self.messages)

    async def _drive_async(self) -> None:
        while (turn := self._start_turn()) is not None:
            try:
                try:
                    await self._stream_async(turn)
                    reason = self._close_turn(turn)
                except Exception as exc:
                    if not self._turn_failed(turn, exc):
                        raise
                    return
            finally:
                self._turn_now = None
                self.notify("turn_finished", turn)
            step = self._after_turn(turn, reason)
            if step == "end":
                return
            if step == "tools":
                await self._execute_async(turn)

    async def _stream_async(self, turn: Turn) -> None:
        task = asyncio.ensure_future(self._consume_async(turn))
        self._consume_task = task
        try:
            if await await_stoppable(task, self._stop):
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

    async def _execute_async(self, turn: Turn) -> None:
        assert self._astop is not None
        batch = AsyncBatch(self, turn, self._astop)
        try:
            await batch.drive()
        finally:  # every call has its result, whatever happened
            self._append_results(turn)
        batch.raise_interrupt()


def _id_of(block: dict[str, Any]) -> str:
    value = block.get("id")
    return value if isinstance(value, str) else ""

"""The records of a tool loop: turns, tool runs, approval decisions, and the observer.

:class:`Turn` is one streamed assistant turn with its tool runs and the problems the loop
found in it; :class:`ToolExecution` one call's fate, told with the status words of
:data:`~streamscope.core.stream.status.EXECUTION_STATUSES` (queued, awaiting approval, running,
done,
failed, denied, timed out, stopped), with the time each was entered, its timing and result;
:class:`Decision` what an approver said; :class:`LoopObserver` the hooks a view implements
(see :mod:`streamscope.core.loop.tool_loop` for when each is called).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from streamscope.core.stream.changes import Change
from streamscope.core.stream.errors import exception_text
from streamscope.core.stream.problems import Problem
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.status import ExecutionStatusWord
from streamscope.core.stream.tool_call import ToolCall
from streamscope.core.stream.usage import Usage, sum_usage
from streamscope.core.tools.tool import Tool
from streamscope.core.wire.attempts import Attempt

__all__ = [
    "FINAL_EXECUTION_STATUSES",
    "Decision",
    "ExecutionStatus",
    "IncompleteStreamError",
    "LoopObserver",
    "ToolExecution",
    "Turn",
    "TurnDriver",
    "apply_event",
    "as_decision",
    "await_stoppable",
    "notify_observers",
]

ExecutionStatus = ExecutionStatusWord
"""A tool run's status: one of :data:`~streamscope.core.stream.status.EXECUTION_STATUSES`."""
FINAL_EXECUTION_STATUSES: frozenset[ExecutionStatus] = frozenset(
    {"done", "failed", "denied", "timed out", "stopped"}
)
"""The statuses of a run that has its result (the ``tool_result`` the model is sent)."""


class IncompleteStreamError(RuntimeError):
    """A turn's stream ended without ``message_stop`` (and without an ``error`` event)."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Decision:
    """An approver's answer: run the call (maybe with edited ``input``) or deny it."""

    approved: bool
    reason: str | None = None
    """Why it was denied (sent to the model)."""
    input: dict[str, Any] | None = None
    """Edited arguments to run with instead of the model's."""

    @classmethod
    def approve(cls, input: dict[str, Any] | None = None) -> Decision:
        return cls(True, None, input)

    @classmethod
    def deny(cls, reason: str | None = None) -> Decision:
        return cls(False, reason)


def as_decision(value: Any) -> Decision:
    """Read an approver's answer: ``True``, ``False`` (or ``None``), ``(False, reason)``,
    ``(True, edited_input)`` or a :class:`Decision`."""
    if isinstance(value, Decision):
        return value
    if value is True:
        return Decision(True)
    if value is False or value is None:
        return Decision(False)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool):
        approved, extra = value
        if approved and (extra is None or isinstance(extra, dict)):
            return Decision(True, None, extra)
        if not approved and (extra is None or isinstance(extra, str)):
            return Decision(False, extra)
    raise TypeError(
        f"an approver returned {value!r}; expected True, False, (False, reason), "
        "(True, edited_input) or a Decision"
    )


# --------------------------------------------------------------------------- records


@dataclass(eq=False)
class ToolExecution:
    """One client tool call of a turn, from queued to finished.

    ``status`` is one of :data:`~streamscope.core.stream.status.EXECUTION_STATUSES`: ``queued``,
    ``awaiting approval``, ``running``, then one of ``done`` (the tool returned),
    ``failed`` (it raised or returned an error, its arguments or id were unusable, or
    the approver raised), ``denied``, ``timed out`` or ``stopped`` (by ``loop.stop()``,
    or interrupted: ``detail`` says which). ``history`` holds every status entered with
    its ``time.monotonic()``; ``detail`` a few words on the current one ("interrupted
    (KeyboardInterrupt)", "no decision within 30 s"...).

    ``result`` is what the function returned, ``content``/``is_error`` what went back to
    the model, ``error`` a one-line reason when it did not end ``done``
    (``exception``/``traceback`` when the tool or the approver raised). ``arguments`` are
    the validated keyword arguments; ``approved_input`` is set only when an approver
    edited the arguments. ``abandoned`` is True when a call that timed out, was stopped
    or was interrupted was left running on its thread (threads cannot be killed): it
    may still finish, and have its effects, later. Times are ``time.monotonic()``.
    """

    call: ToolCall
    turn: int
    tool: Tool | None = None
    status: ExecutionStatus = "queued"
    needs_approval: bool = False
    arguments: dict[str, Any] | None = None
    decision: Decision | None = None
    approved_input: dict[str, Any] | None = None
    started_at: float | None = None
    finished_at: float | None = None
    result: Any = None
    content: str | list[dict[str, Any]] | None = None
    is_error: bool = False
    error: str | None = None
    exception: BaseException | None = None
    traceback: str | None = None
    detail: str | None = None
    abandoned: bool = False
    history: list[tuple[ExecutionStatus, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.history:
            self.history.append((self.status, time.monotonic()))

    def mark(self, status: ExecutionStatus, detail: str | None = None) -> None:
        """Enter ``status`` now (appended to ``history``), with ``detail`` on it."""
        self.status = status
        self.detail = detail
        self.history.append((status, time.monotonic()))

    @property
    def id(self) -> str:
        return self.call.id

    @property
    def name(self) -> str:
        return self.call.name

    @property
    def input(self) -> Any:
        """The arguments the tool ran with: the approver's edit, else the model's."""
        return self.approved_input if self.approved_input is not None else self.call.input

    @property
    def done(self) -> bool:
        """True once the call has its result (a final status)."""
        return self.status in FINAL_EXECUTION_STATUSES

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def to_block(self) -> dict[str, Any]:
        """The ``tool_result`` block sent back for this call."""
        return {
            "type": "tool_result",
            "tool_use_id": self.call.id,
            "content": self.content if self.content is not None else "",
            "is_error": self.is_error,
        }


@dataclass(eq=False)
class Turn:
    """One request and its streamed response (``number`` counts from 1 in a run).

    ``request`` holds the keyword arguments sent; ``message`` the assistant turn appended
    (None when the stream was interrupted or failed); ``tool_results`` the user turn
    with the results. Turn 0 (``resumed``) runs calls left pending by an earlier run.
    ``problems`` are what the loop found wrong with the turn's tool calls (a repeated or
    missing ``tool_use`` id), each saying what was done about it.
    """

    number: int
    state: StreamState | None
    request: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    executions: list[ToolExecution] = field(default_factory=list)
    tool_results: dict[str, Any] | None = None
    interrupted: bool = False
    resumed: bool = False
    problems: list[Problem] = field(default_factory=list)
    sent_at: float | None = None
    """When the request was sent (``time.time()``, epoch seconds), when known: how
    :func:`~streamscope.core.comparison.cache.explain_cache` tells a lapsed cache lifetime."""
    attempts: list[Attempt] = field(default_factory=list)
    """The HTTP attempts the SDK made for this turn's request, retries included (known
    where the SDK has the ``middleware=`` hook: :mod:`streamscope.core.loop.failures`)."""
    failure: str | None = None
    """Why the turn failed, in words (``connection reset after 843 bytes``), or None."""

    @property
    def usage(self) -> Usage:
        return self.state.usage if self.state is not None else Usage()

    @property
    def stop_reason(self) -> str | None:
        return self.state.stop_reason if self.state is not None else None


class LoopObserver:
    """No-op base for observers (see the module docstring). ``approval_needed`` is not
    defined here on purpose: define it only on an observer that answers approvals."""

    def loop_started(self, loop: Any) -> None:
        """A run began (``loop`` is the ToolLoop or RunnerWatch that runs it)."""

    def loop_finished(self, loop: Any) -> None:
        """A run ended (also after an error)."""

    def turn_started(self, turn: Turn) -> None:
        """A request is about to be sent; ``turn.state`` will receive its events."""

    def event(self, turn: Turn, event: Any, change: Change) -> None:
        """One event was applied to ``turn.state``."""

    def turn_finished(self, turn: Turn) -> None:
        """The turn's stream ended (``turn.failure`` says why, when it failed)."""

    def attempt(self, turn: Turn, attempt: Attempt) -> None:
        """The SDK made an HTTP attempt for the turn's request (a retry is a second one);
        called on the thread that made it."""

    def tool_queued(self, run: ToolExecution) -> None:
        """A call of the turn is known (all of a turn's calls are queued first)."""

    def tool_awaiting_approval(self, run: ToolExecution) -> None:
        """The approver is being asked about this call."""

    def tool_started(self, run: ToolExecution) -> None:
        """The tool function is starting."""

    def tool_finished(self, run: ToolExecution) -> None:
        """The call has its result: ``done``, ``failed``, ``denied``, ``timed out`` or
        ``stopped``."""


class TurnDriver:
    """The lifecycle shared by what drives turns (a ToolLoop, a RunnerWatch): one run at a
    time, a stop that any thread may ask for, observers told of each step, and what the
    last run's ``turns`` used."""

    turns: list[Turn]
    observers: list[Any]

    def _init_driver(self, observer: Any = None) -> None:
        self.observers = []
        if observer is not None:
            self.observers.extend(observer if isinstance(observer, (list, tuple)) else [observer])
        self.turns = []
        self.failure: str | None = None
        """The exception that ended the last run, as text (None when it did not fail)."""
        self.stop_reason: str | None = None
        self.observer_errors: list[tuple[str, BaseException]] = []
        self._stop = threading.Event()
        self._running = False
        self._aloop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        """True from the start of a run to its end."""
        return self._running

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`stop` was asked for (until the next run starts)."""
        return self._stop.is_set()

    @property
    def event_loop(self) -> asyncio.AbstractEventLoop | None:
        """The asyncio loop an async run is running on, or None outside one.

        A view can tell from it whether button clicks can reach the kernel: they are
        handled only while a cell awaits the run (measured with ipykernel 7).
        """
        return self._aloop

    def stop(self) -> None:
        """Ask the run to stop (see the subclass for what stops). Thread-safe."""
        self._stop.set()
        self._stopping()
        loop = self._aloop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake)

    def _stopping(self) -> None:
        """Called by :meth:`stop` on the caller's thread, before the event loop is woken."""

    def _wake(self) -> None:
        """Called on the run's event loop after :meth:`stop`: cancel what waits there."""

    def notify(self, method: str, *args: Any) -> None:
        """Tell every observer ``method(*args)`` (an observer that raises is logged, not raised)."""
        notify_observers(self, self.observers, self.observer_errors, method, *args)

    def _start(self) -> None:
        """A run begins: refused while one runs; the last run's record is cleared."""
        if self._running:
            raise RuntimeError(f"this {type(self).__name__} is already running")
        self.turns = []
        self.stop_reason = None
        self.failure = None
        self._stop.clear()

    def _started(self) -> None:
        self._running = True
        self.notify("loop_started", self)

    def _end(self) -> None:
        self._running = False
        self.notify("loop_finished", self)

    def _ended_by(self, exc: BaseException) -> None:
        if self.stop_reason is None:
            self.stop_reason = "error" if isinstance(exc, Exception) else "interrupted"
        if isinstance(exc, Exception) and self.failure is None:
            self.failure = exception_text(exc)

    @property
    def usage(self) -> Usage:
        """Usage summed over every streamed turn of the last run."""
        return sum_usage(t.usage for t in self.turns if t.state is not None)

    @property
    def executions(self) -> list[ToolExecution]:
        """Every tool execution of the last run, in order."""
        return [run for turn in self.turns for run in turn.executions]


def notify_observers(
    owner: Any, observers: Iterable[Any], errors: list[tuple[str, BaseException]], method: str,
    *args: Any,
) -> None:  # fmt: skip
    """Call ``method`` on every observer that has it; an observer's exception (a view's bug)
    is logged and kept in ``errors``, never raised into the loop ``owner`` drives."""
    for observer in observers:
        fn = getattr(observer, method, None)
        if fn is None:
            continue
        try:
            fn(*args)
        except Exception as exc:
            errors.append((method, exc))
            logging.getLogger(type(owner).__module__).exception(
                "%s observer %r failed in %s", type(owner).__name__, observer, method
            )


def apply_event(turn: Turn, event: Any, notify: Callable[..., None], stop: threading.Event) -> bool:
    """Apply one event to ``turn``'s state and tell the observers (``notify("event", ...)``);
    True, with the turn marked interrupted, once ``stop`` is set: the reader stops there."""
    assert turn.state is not None
    change = turn.state.apply(event)
    notify("event", turn, event, change)
    if stop.is_set():
        turn.interrupted = True
        return True
    return False


async def await_stoppable(task: asyncio.Future[Any], stop: threading.Event) -> bool:
    """Await ``task``; True when ``stop()`` cancelled it (the caller carries on, stopped).
    Any other cancellation (the kernel's Interrupt, an outer ``cancel()``) propagates."""
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        outer_cancelled = bool(getattr(current, "cancelling", lambda: 0)())
        if not (task.cancelled() and stop.is_set()) or outer_cancelled:
            raise
        return True
    return False

"""One turn's tool calls, from queued to a result for every call.

How it works: ``docs/internals.md``, section ``streamscope.core.loop.scheduler``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import inspect
import json
import threading
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from streamscope.core.loop.outgoing import result_problem
from streamscope.core.loop.records import (
    Decision,
    ExecutionStatus,
    ToolExecution,
    Turn,
    as_decision,
)
from streamscope.core.stream.errors import exception_text
from streamscope.core.tools.tool import (
    Tool,
    ToolInputError,
    ToolResult,
    json_default,
    result_content,
)

__all__ = [
    "ASYNC_APPROVER_MESSAGE",
    "STOPPED_BEFORE_APPROVAL",
    "STOPPED_BEFORE_START",
    "STOP_GRACE",
    "AsyncBatch",
    "BatchOwner",
    "SyncBatch",
    "set_result",
]

ASYNC_APPROVER_MESSAGE = (
    "the approver is async (it returns an awaitable), and ToolLoop.run() cannot wait for it: "
    "blocking here would also block whatever must answer it (in Jupyter, button clicks are "
    "only handled while the cell awaits). Use `await loop.arun(messages)` instead, or pass a "
    "synchronous approve= callable (it may return a concurrent.futures.Future)."
)
STOPPED_BEFORE_APPROVAL = "Not run: the loop was stopped before this call was approved."
STOPPED_BEFORE_START = "Not run: the loop was stopped before this call started."
STOP_GRACE = 0.5
"""Seconds the calls still running get to finish after ``stop()``: enough for one that
was about to return, short enough that Stop ends the loop "within about a second"."""

_ABANDONED = "The call was abandoned, not killed: it may still finish, and have its effects, later."
_CANCELLED = "The call was cancelled."


def seconds(value: float) -> str:
    """``30 s``, ``0.5 s``: how the loop writes a duration in its messages."""
    return f"{value:g} s"


def set_result(
    run: ToolExecution, status: ExecutionStatus, content: str, detail: str | None = None
) -> None:
    """Give ``run`` an ``is_error`` result that says why it did not end ``done``."""
    run.content = content
    run.is_error = True
    run.error = content
    if run.started_at is not None and run.finished_at is None:
        run.finished_at = time.monotonic()
    run.mark(status, detail)


def discard(awaitable: object) -> None:
    if inspect.iscoroutine(awaitable):
        awaitable.close()


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


# --------------------------------------------------------------------------- workers


@dataclass(frozen=True)
class Outcome:
    """What a call ended with: a value, or the exception it raised (any BaseException)."""

    value: Any = None
    exception: BaseException | None = None
    finished_at: float = 0.0


def _call_sync(tool: Tool, args: list[Any], kwargs: dict[str, Any]) -> Outcome:
    try:
        value = tool.fn(*args, **kwargs)
        if inspect.isawaitable(value):  # a sync callable that returned a coroutine
            value = asyncio.run(_await(value))
    except BaseException as exc:  # the driver decides what it means, on its own thread
        return Outcome(exception=exc, finished_at=time.monotonic())
    return Outcome(value, finished_at=time.monotonic())


async def _call_async(tool: Tool, args: list[Any], kwargs: dict[str, Any]) -> Outcome:
    try:
        value = tool.fn(*args, **kwargs)
        if inspect.isawaitable(value):
            value = await value
    # KeyboardInterrupt or SystemExit raised in a task escapes the event loop itself, and
    # a CancelledError here is the loop giving up on the call: both become outcomes.
    except BaseException as exc:
        return Outcome(exception=exc, finished_at=time.monotonic())
    return Outcome(value, finished_at=time.monotonic())


def _spawn(tool: Tool, args: list[Any], kwargs: dict[str, Any], deliver: Any) -> None:
    """Run a sync tool on a daemon thread: an abandoned call must never hold up the
    interpreter's exit (``ThreadPoolExecutor`` joins its threads at exit, and
    ``asyncio.run`` joins the default executor's)."""
    context = contextvars.copy_context()

    def work() -> None:
        deliver(_call_sync(tool, args, kwargs))

    thread = threading.Thread(
        target=context.run, args=(work,), name=f"streamscope-tool-{tool.name}", daemon=True
    )
    thread.start()


class _LoopThread:
    """A private event loop on a daemon thread, for async tools under the sync ``run()``.

    ``close()`` never waits: a task that blocks the loop's thread keeps it, and the rest
    are cancelled and the loop closed on that thread once it is free.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self._main, name="streamscope-async-tools", daemon=True
        )
        self.thread.start()

    def _main(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.wait(tasks, timeout=1.0))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    def submit(self, coro: Coroutine[Any, Any, Outcome]) -> concurrent.futures.Future[Outcome]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # already closed
            self.loop.call_soon_threadsafe(self.loop.stop)


# --------------------------------------------------------------------------- the batch


class BatchOwner(Protocol):
    """What a batch reads from the loop that drives it (a ToolLoop is one): its limits, its
    stop signal, whom to ask for approvals and whom to tell."""

    @property
    def approval_timeout(self) -> float | None: ...
    @property
    def tool_timeout(self) -> float | None: ...
    @property
    def stop_grace(self) -> float: ...
    @property
    def note_edits(self) -> bool: ...
    @property
    def max_workers(self) -> int | None: ...
    @property
    def stop_requested(self) -> bool: ...
    def notify(self, method: str, *args: Any) -> None: ...
    def current_approver(self) -> Any: ...


class Batch:
    """The scheduling state of one turn's calls; see the module docstring."""

    def __init__(self, loop: BatchOwner, turn: Turn) -> None:
        self.loop = loop
        self.turn = turn
        self.approvals: deque[ToolExecution] = deque()
        """Calls to ask about, in call order."""
        self.ready: deque[ToolExecution] = deque()
        """Calls that may run, waiting to be started (a sync tool waits for a worker)."""
        self.active: dict[Any, ToolExecution] = {}
        """Running calls by the future that will carry their :class:`Outcome`."""
        self.handles: dict[ToolExecution, Any] = {}
        self.threads: set[ToolExecution] = set()
        """Running sync calls (each holds a worker slot until it ends or is abandoned)."""
        self.deadlines: dict[ToolExecution, tuple[float, float]] = {}
        """Running calls with a timeout: (deadline, timeout)."""
        self.asking: tuple[ToolExecution, Any, float | None] | None = None
        """The call whose approval is being asked, its pending answer (a future, or None
        while a sync approver is called) and when to give up on it."""
        self.grace_ends: float | None = None
        """Set by ``stop()``: when the calls still running are given up on."""
        self.interrupt: BaseException | None = None
        """A BaseException a tool raised; re-raised once every call has its result."""
        self.aborted = False

    # ------------------------------------------------------------------ notifications

    def _notify(self, method: str, run: ToolExecution) -> None:
        self.loop.notify(method, run)

    def _status(self, run: ToolExecution, status: ExecutionStatus, method: str) -> None:
        run.mark(status)
        self._notify(method, run)

    def _finish(
        self, run: ToolExecution, status: ExecutionStatus, content: str, detail: str | None = None
    ) -> None:
        set_result(run, status, content, detail)
        self._notify("tool_finished", run)

    # ------------------------------------------------------------------ steps

    def open(self) -> None:
        """Announce every call (all are queued first), then those that already failed."""
        runs = self.turn.executions
        for run in runs:
            self._notify("tool_queued", run)
        for run in runs:
            if run.done:
                self._notify("tool_finished", run)
            elif run.needs_approval:
                self.approvals.append(run)
            else:
                self.ready.append(run)

    @property
    def finished(self) -> bool:
        return not (self.approvals or self.ready or self.active or self.asking)

    def step(self) -> None:
        """What needs no waiting: a stop asked for, deadlines passed, calls to start."""
        now = time.monotonic()
        if self.loop.stop_requested and self.grace_ends is None and not self.aborted:
            self._begin_stop(now)
        self._expire(now)
        self._start_ready()

    def wants_decision(self) -> bool:
        """True when the next approval should be asked now (one at a time, in order)."""
        return (
            self.asking is None
            and bool(self.approvals)
            and self.grace_ends is None
            and not self.aborted
            and not self.loop.stop_requested
        )

    def next_approval(self) -> ToolExecution:
        run = self.approvals.popleft()
        self.asking = (run, None, None)
        self._status(run, "awaiting approval", "tool_awaiting_approval")
        return run

    def waiting_for(self, run: ToolExecution, answer: Any) -> None:
        """The approver returned a pending answer (a future); wait for it, bounded by
        ``approval_timeout``."""
        timeout = self.loop.approval_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        self.asking = (run, answer, deadline)

    def decided(self, run: ToolExecution, value: Any) -> None:
        self.asking = None
        try:
            decision = as_decision(value)
        except TypeError as exc:
            self.approver_failed(run, exc)
            return
        if self._apply_decision(run, decision):
            self.ready.append(run)
        else:
            self._notify("tool_finished", run)

    def approver_failed(self, run: ToolExecution, exc: BaseException) -> None:
        self.asking = None
        run.exception = exc
        run.traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self._finish(
            run,
            "failed",
            f"Not run: asking for approval failed ({type(exc).__name__}: {exc}).",
            f"the approver raised {type(exc).__name__}",
        )

    def advance(self, stop: Any) -> set[Any] | None:
        """Do what needs no waiting and ask what must be asked; the futures to wait on next
        (with ``stop`` while no grace period runs), or None once every call has its result.
        Both drivers loop on this; they differ only in how they wait."""
        while True:
            self.step()
            if self.wants_decision():
                self.ask()
                continue
            if self.finished:
                return None
            waits = set(self.pending())
            if self.grace_ends is None:
                waits.add(stop)
            return waits

    def ask(self) -> None:
        """Ask the approver about the next call; each driver takes the answer its way
        (:meth:`take_answer`)."""
        run = self.next_approval()
        approver = self.loop.current_approver()
        assert approver is not None
        try:
            value = approver(run.call)
        except Exception as exc:
            self.approver_failed(run, exc)
            return
        self.take_answer(run, value)

    def take_answer(self, run: ToolExecution, value: Any) -> None:
        raise NotImplementedError

    def pending(self) -> list[Any]:
        """The futures to wait on: running calls and a pending approval."""
        pending = list(self.active)
        if self.asking is not None and self.asking[1] is not None:
            pending.append(self.asking[1])
        return pending

    def timeout(self) -> float | None:
        """Seconds until the next deadline (None: none)."""
        deadlines = [deadline for deadline, _ in self.deadlines.values()]
        if self.asking is not None and self.asking[2] is not None:
            deadlines.append(self.asking[2])
        if self.grace_ends is not None:
            deadlines.append(self.grace_ends)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - time.monotonic())

    def collect(self, done: Iterable[Any]) -> None:
        """Apply what the finished futures carry (answers and outcomes)."""
        for future in done:
            if self.asking is not None and future is self.asking[1]:
                self._answered(future)
            elif future in self.active:
                self._complete(future)

    # ------------------------------------------------------------------ giving up

    def abort(self, cause: BaseException) -> None:
        """The loop is interrupted: what finished keeps its result, everything else gets
        an ``is_error`` result that says it was interrupted."""
        if self.aborted:
            return
        self.aborted = True
        for future in [f for f in self.active if f.done()]:
            self._complete(future)
        name = type(cause).__name__
        if self.asking is not None:
            run, answer, _ = self.asking
            self.asking = None
            self.cancel(answer)
            self._finish(
                run,
                "stopped",
                f"Not run: the loop was interrupted ({name}) before this call was approved.",
                f"interrupted ({name}) before approval",
            )
        for run in [*self.approvals, *self.ready]:
            self._finish(
                run,
                "stopped",
                f"Not run: the loop was interrupted ({name}) before this call started.",
                f"interrupted ({name}) before it started",
            )
        self.approvals.clear()
        self.ready.clear()
        for run in list(self.active.values()):
            self._give_up(run, "stopped", cause=cause)

    def raise_interrupt(self) -> None:
        if self.interrupt is not None:
            raise self.interrupt

    def _begin_stop(self, now: float) -> None:
        self.grace_ends = now + self.loop.stop_grace
        if self.asking is not None:
            run, answer, _ = self.asking
            self.asking = None
            self.cancel(answer)  # a view withdraws its question
            self._finish(run, "stopped", STOPPED_BEFORE_APPROVAL, "stopped before approval")
        while self.approvals:
            run = self.approvals.popleft()
            self._finish(run, "stopped", STOPPED_BEFORE_APPROVAL, "stopped before approval")
        while self.ready:
            run = self.ready.popleft()
            self._finish(run, "stopped", STOPPED_BEFORE_START, "stopped before it started")

    def _expire(self, now: float) -> None:
        for run, (deadline, timeout) in list(self.deadlines.items()):
            if now >= deadline:
                self._give_up(run, "timed out", timeout=timeout)
        if self.asking is not None and self.asking[2] is not None and now >= self.asking[2]:
            run, answer, _ = self.asking
            self.asking = None
            self.cancel(answer)
            assert self.loop.approval_timeout is not None
            waited = seconds(self.loop.approval_timeout)
            run.decision = Decision(False, f"no decision within {waited}")
            self._finish(
                run,
                "denied",
                f"Not run: no decision within {waited} (the approval timed out).",
                f"no decision within {waited}",
            )
        if self.grace_ends is not None and now >= self.grace_ends:
            for run in list(self.active.values()):
                self._give_up(run, "stopped")

    def _give_up(
        self,
        run: ToolExecution,
        status: ExecutionStatus,
        *,
        timeout: float | None = None,
        cause: BaseException | None = None,
    ) -> None:
        """Stop waiting for a running call: a task is cancelled, a thread abandoned."""
        future = self.handles.pop(run)
        del self.active[future]
        self.deadlines.pop(run, None)
        thread = run in self.threads
        self.threads.discard(run)
        if thread:
            run.abandoned = True
        else:
            self.cancel(future)
        left = _ABANDONED if thread else _CANCELLED
        fate = "abandoned, may still finish" if thread else "cancelled"
        if timeout is not None:
            content = f"Timed out after {seconds(timeout)}. {left}"
            detail = f"after {seconds(timeout)}; {fate}"
        elif cause is None:
            content = f"Stopped: the loop was stopped while this call was running. {left}"
            detail = f"stopped while running; {fate}"
        else:
            name = type(cause).__name__
            content = f"Interrupted ({name}) while this call was running. {left}"
            detail = f"interrupted ({name}); {fate}"
        self._finish(run, status, content, detail)

    # ------------------------------------------------------------------ results

    def _answered(self, answer: Any) -> None:
        assert self.asking is not None
        run = self.asking[0]
        if answer.cancelled():
            self.decided(run, Decision(False, "The approval request was cancelled."))
            return
        exc = answer.exception()
        if exc is None:
            self.decided(run, answer.result())
        elif isinstance(exc, Exception):
            self.approver_failed(run, exc)
        else:
            self.interrupt = exc
            self.abort(exc)

    def _complete(self, future: Any) -> None:
        run = self.active.pop(future)
        del self.handles[run]
        self.threads.discard(run)
        self.deadlines.pop(run, None)
        outcome: Outcome = future.result()
        run.finished_at = outcome.finished_at
        exc = outcome.exception
        if exc is None:
            self._record_value(run, outcome.value)
        else:
            run.exception = exc
            run.traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            text = exception_text(exc)
            if isinstance(exc, (Exception, asyncio.CancelledError)):
                set_result(run, "failed", text)
            else:  # KeyboardInterrupt, SystemExit...: the whole loop is interrupted
                name = type(exc).__name__
                set_result(
                    run,
                    "stopped",
                    f"Interrupted: the tool raised {text}.",
                    f"interrupted ({name} raised by the tool)",
                )
                self._notify("tool_finished", run)
                if self.interrupt is None:
                    self.interrupt = exc
                self.abort(exc)
                return
        self._notify("tool_finished", run)

    def _apply_decision(self, run: ToolExecution, decision: Decision) -> bool:
        """Record the decision; True when the call may run (with edited args validated)."""
        run.decision = decision
        if not decision.approved:
            reason = decision.reason
            message = (
                f"The user denied this tool call: {reason}"
                if reason
                else "The user denied this tool call."
            )
            set_result(run, "denied", message, "denied")
            return False
        if decision.input is not None and decision.input != run.call.input:
            assert run.tool is not None
            run.approved_input = decision.input
            try:
                run.arguments = run.tool.validate(decision.input)
            except ToolInputError as exc:
                set_result(
                    run,
                    "failed",
                    f"The arguments the user edited are invalid. {exc}",
                    "edited arguments invalid",
                )
                return False
        return True

    def _record_value(self, run: ToolExecution, value: Any) -> None:
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
        why = result_problem(content)
        if why is not None:  # e.g. ToolResult(content=object()): answered, never a raise
            content = f"The result of tool {run.call.name!r} could not be sent: {why}."
            is_error = True
        if run.approved_input is not None and self.loop.note_edits:
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
        run.mark("failed" if is_error else "done")

    # ------------------------------------------------------------------ starting

    def _start_ready(self) -> None:
        if self.grace_ends is not None or self.aborted:
            return
        limit = self.loop.max_workers
        waiting: deque[ToolExecution] = deque()
        while self.ready:
            run = self.ready.popleft()
            assert run.tool is not None
            if not run.tool.is_async and limit is not None and len(self.threads) >= limit:
                if run.status != "queued":  # approved, now waiting for a worker
                    self._status(run, "queued", "tool_queued")
                waiting.append(run)
                continue
            self._start(run)
        self.ready = waiting

    def _start(self, run: ToolExecution) -> None:
        tool = run.tool
        assert tool is not None and run.arguments is not None
        args, kwargs = tool.bind(run.arguments)
        run.started_at = time.monotonic()
        self._status(run, "running", "tool_started")
        if tool.is_async:
            future = self.start_task(tool, args, kwargs)
        else:
            future = self.start_thread(tool, args, kwargs)
            self.threads.add(run)
        self.active[future] = run
        self.handles[run] = future
        timeout = tool.timeout if tool.timeout is not None else self.loop.tool_timeout
        if timeout is not None:
            self.deadlines[run] = (run.started_at + timeout, timeout)

    # ------------------------------------------------------------------ driver hooks

    def start_thread(self, tool: Tool, args: list[Any], kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def start_task(self, tool: Tool, args: list[Any], kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    @staticmethod
    def cancel(future: Any) -> None:
        if future is not None and not future.done():
            future.cancel()


# --------------------------------------------------------------------------- drivers


class SyncBatch(Batch):
    """The batch driven from ``run()``'s thread: it waits on ``concurrent.futures``."""

    def __init__(
        self, loop: BatchOwner, turn: Turn, stop_signal: concurrent.futures.Future[None]
    ) -> None:
        super().__init__(loop, turn)
        self.stop_signal = stop_signal
        self.async_tools: _LoopThread | None = None

    def drive(self) -> None:
        try:
            self.open()
            while (waits := self.advance(self.stop_signal)) is not None:
                done, _ = concurrent.futures.wait(
                    waits, timeout=self.timeout(), return_when=concurrent.futures.FIRST_COMPLETED
                )
                self.collect(done)
        except BaseException as exc:  # KeyboardInterrupt in run()'s thread, a bad approver
            self.abort(exc)
            raise
        finally:
            if self.async_tools is not None:
                self.async_tools.close()

    def take_answer(self, run: ToolExecution, value: Any) -> None:
        if isinstance(value, concurrent.futures.Future):
            self.waiting_for(run, value)
        elif inspect.isawaitable(value):
            discard(value)
            raise TypeError(ASYNC_APPROVER_MESSAGE)
        else:
            self.decided(run, value)

    def start_thread(
        self, tool: Tool, args: list[Any], kwargs: dict[str, Any]
    ) -> concurrent.futures.Future[Outcome]:
        future: concurrent.futures.Future[Outcome] = concurrent.futures.Future()

        def deliver(outcome: Outcome) -> None:
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                future.set_result(outcome)

        _spawn(tool, args, kwargs, deliver)
        return future

    def start_task(
        self, tool: Tool, args: list[Any], kwargs: dict[str, Any]
    ) -> concurrent.futures.Future[Outcome]:
        if self.async_tools is None:
            self.async_tools = _LoopThread()
        return self.async_tools.submit(_call_async(tool, args, kwargs))


class AsyncBatch(Batch):
    """The batch driven from ``arun()``: it waits on asyncio futures, never blocking."""

    def __init__(self, loop: BatchOwner, turn: Turn, wake: asyncio.Event) -> None:
        super().__init__(loop, turn)
        self.wake = wake

    async def drive(self) -> None:
        stop_wait = asyncio.ensure_future(self.wake.wait())
        try:
            self.open()
            while (waits := self.advance(stop_wait)) is not None:
                done, _ = await asyncio.wait(
                    waits, timeout=self.timeout(), return_when=asyncio.FIRST_COMPLETED
                )
                self.collect(done)
        except BaseException as exc:  # CancelledError: the kernel's Interrupt
            self.abort(exc)
            raise
        finally:
            stop_wait.cancel()

    def take_answer(self, run: ToolExecution, value: Any) -> None:
        if isinstance(value, concurrent.futures.Future):
            self.waiting_for(run, asyncio.wrap_future(value))
        elif inspect.isawaitable(value):
            self.waiting_for(run, asyncio.ensure_future(value))
        else:
            self.decided(run, value)

    def start_thread(
        self, tool: Tool, args: list[Any], kwargs: dict[str, Any]
    ) -> asyncio.Future[Outcome]:
        aloop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = aloop.create_future()

        def deliver(outcome: Outcome) -> None:
            with contextlib.suppress(RuntimeError):  # the event loop is gone: nobody waits
                aloop.call_soon_threadsafe(_resolve, future, outcome)

        _spawn(tool, args, kwargs, deliver)
        return future

    def start_task(
        self, tool: Tool, args: list[Any], kwargs: dict[str, Any]
    ) -> asyncio.Task[Outcome]:
        return asyncio.ensure_future(_call_async(tool, args, kwargs))


def _resolve(future: asyncio.Future[Outcome], outcome: Outcome) -> None:
    if not future.done():
        future.set_result(outcome)

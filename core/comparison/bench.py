"""The bench: one prompt sent several ways at once, each run reduced into its own state.

How it works: ``docs/internals.md``, section ``streamscope.core.comparison.bench``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from streamscope.core.figures.text import fmt_usd
from streamscope.core.io.sources import aiter_events
from streamscope.core.pricing.prices import PriceTable, estimate_cost
from streamscope.core.stream.changes import Change
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.usage import Usage

__all__ = [
    "CHARS_PER_TOKEN",
    "Bench",
    "BenchRun",
    "RunPhase",
    "plan_runs",
    "run_cost",
]

CHARS_PER_TOKEN = 4
"""How many characters of a request count as one input token in a worst-case estimate."""

RunPhase = Literal["queued", "running", "done", "failed", "stopped", "skipped"]
"""Where a run of a bench stands: ``skipped`` was never launched (max_cost, or Stop)."""


@dataclass(eq=False)
class BenchRun:
    """One run of a bench: what it sends and what came back."""

    index: int
    label: str
    variant: dict[str, Any]
    """The request arguments that differ (the variant as given, not merged)."""
    request: dict[str, Any]
    """The keyword arguments sent: ``{**common, **variant}``."""
    state: StreamState
    phase: RunPhase = "queued"
    why_skipped: str | None = None
    launched_at: float | None = None
    finished_at: float | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def launched(self) -> bool:
        return self.launched_at is not None


def plan_runs(
    variants: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]] | None,
    common: Mapping[str, Any],
    samples: int = 1,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> list[BenchRun]:
    """The runs of a bench, in launch order: each variant ``samples`` times.

    ``variants``: label → differing arguments; or a list of them (labelled ``run 1``,
    ``run 2``...); or None (one run of ``common``, or ``sample #1``, ``sample #2``... with
    ``samples``). With ``samples`` > 1 a label gets ``#1``, ``#2``... A merged request
    must have ``model``, ``max_tokens`` and ``messages``.
    """
    if samples < 1:
        raise ValueError("samples must be 1 or more")
    if variants is None:
        pairs: list[tuple[str, Mapping[str, Any]]] = [("sample" if samples > 1 else "run", {})]
    elif isinstance(variants, Mapping):
        pairs = [(str(label), args) for label, args in variants.items()]
    else:
        pairs = [(f"run {k + 1}", args) for k, args in enumerate(variants)]
    if not pairs:
        raise ValueError("no variants to run")
    runs: list[BenchRun] = []
    for label, args in pairs:
        if not isinstance(args, Mapping):
            raise TypeError(f"variant {label!r}: give a dict of request arguments, not {args!r}")
        request = {**common, **args}
        missing = [k for k in ("model", "max_tokens", "messages") if k not in request]
        if missing:
            raise ValueError(f"variant {label!r} has no {', '.join(missing)} (nor has common)")
        for k in range(samples):
            name = f"{label} #{k + 1}" if samples > 1 else label
            runs.append(
                BenchRun(
                    index=len(runs),
                    label=name,
                    variant=dict(args),
                    request=dict(request),
                    state=StreamState(clock=clock),
                )
            )
    return runs


def run_cost(state: StreamState, prices: PriceTable | None = None) -> float | None:
    """A run's estimated cost so far (None: its model has no price)."""
    model = state.model or (state.request or {}).get("model")
    estimate = estimate_cost(state.usage, model if isinstance(model, str) else None, prices)
    return None if estimate is None else estimate.total_usd


def worst_case_cost(request: Mapping[str, Any], prices: PriceTable | None = None) -> float | None:
    """What a request can cost at most, roughly: its text at :data:`CHARS_PER_TOKEN`
    characters a token, and ``max_tokens`` of output (None: unpriced model)."""
    sent = {k: request.get(k) for k in ("system", "messages", "tools") if k in request}
    text = json.dumps(sent, ensure_ascii=False, default=str)
    max_tokens = request.get("max_tokens")
    usage = Usage(
        {
            "input_tokens": len(text) // CHARS_PER_TOKEN + 1,
            "output_tokens": max_tokens if isinstance(max_tokens, int) else 0,
        }
    )
    model = request.get("model")
    estimate = estimate_cost(usage, model if isinstance(model, str) else None, prices)
    return None if estimate is None else estimate.total_usd


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Bench:
    """Runs of one prompt, streamed concurrently (see the module docstring).

    ``client``: an ``anthropic.AsyncAnthropic`` or an
    :class:`~streamscope.core.io.replay_client.AsyncReplayClient`; a request with ``betas``
    goes to ``client.beta.messages``. ``on_change(run, change)`` is called after each event
    a run applies and whenever a run's phase changes (``change`` None then).
    """

    def __init__(
        self,
        client: Any,
        variants: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]] | None,
        *,
        samples: int = 1,
        concurrency: int = 4,
        max_cost: float | None = None,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BenchRun, Change | None], None] | None = None,
        **common: Any,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be 1 or more")
        self.client = client
        self.concurrency = concurrency
        self.max_cost = max_cost
        self.prices = prices
        self.clock = clock
        self.on_change = on_change
        self.common = dict(common)
        self.executions = plan_runs(variants, common, samples, clock=clock)
        self.notice: str | None = None
        """Why runs were skipped (max_cost, Stop), in words; None when all launched."""
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.stopped = False
        self.running = 0
        """Streams open now."""
        self.most_running = 0
        """The most streams open at once so far."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ reading

    @property
    def done(self) -> bool:
        return self.finished_at is not None

    def spent(self) -> float:
        """The launched runs' estimated cost so far (unpriced runs count 0)."""
        return sum(run_cost(r.state, self.prices) or 0.0 for r in self.executions if r.launched)

    def finished_runs(self) -> list[BenchRun]:
        """The runs that were launched, in plan order (their states are final once done)."""
        return [r for r in self.executions if r.launched]

    # ------------------------------------------------------------------ running

    async def arun(self) -> list[BenchRun]:
        """Stream every run (at most ``concurrency`` at once); returns the runs, each final."""
        if self._main is not None:
            raise RuntimeError("this bench has run already: make a new one")
        self._loop = asyncio.get_running_loop()
        self.started_at = self.clock()
        gate = asyncio.Semaphore(self.concurrency)
        order = asyncio.Lock()  # launches in plan order: run k+1 only after run k's turn
        turns = [asyncio.Event() for _ in self.executions]
        if turns:
            turns[0].set()

        async def one(run: BenchRun) -> None:
            await turns[run.index].wait()
            async with gate:
                async with order:
                    go = self._may_launch(run)
                    if run.index + 1 < len(turns):
                        turns[run.index + 1].set()
                if go:
                    await self._stream(run)

        async def everything() -> None:
            tasks = [asyncio.ensure_future(one(run)) for run in self.executions]
            for run, task in zip(self.executions, tasks, strict=True):
                run.task = task
            await asyncio.gather(*tasks, return_exceptions=True)

        self._main = asyncio.ensure_future(everything())
        try:
            await asyncio.shield(self._main)
        except asyncio.CancelledError:  # the caller was cancelled (kernel interrupt): stop all
            self.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await self._main
            raise
        finally:
            for run in self.executions:
                if not run.launched and run.phase == "queued":
                    self._skip(run, "stopped before it started")
            self.finished_at = self.clock()
        return self.executions

    def _may_launch(self, run: BenchRun) -> bool:
        if self.stopped:
            self._skip(run, "stopped before it started")
            return False
        if self.notice is not None and self.max_cost is not None:
            self._skip(run, "not started: max_cost")
            return False
        if self.max_cost is not None:
            finished = [
                run_cost(r.state, self.prices)
                for r in self.executions
                if r.phase in ("done", "failed", "stopped")
            ]
            known = [c for c in finished if c is not None]
            mean = sum(known) / len(known) if known else None

            def expected(r: BenchRun) -> float:
                guess = mean if mean is not None else worst_case_cost(r.request, self.prices)
                return guess or 0.0

            # finished runs at their cost; running ones at what they are expected to cost
            committed = sum(c or 0.0 for c in finished) + sum(
                max(run_cost(r.state, self.prices) or 0.0, expected(r))
                for r in self.executions
                if r.phase == "running"
            )
            if committed + expected(run) > self.max_cost:
                launched = sum(1 for r in self.executions if r.launched)
                how = (
                    "the finished runs' mean cost"
                    if mean is not None
                    else "its worst case (all of max_tokens)"
                )
                self.notice = (
                    f"max_cost ${self.max_cost:g}: stopped launching after "
                    f"{launched} of {len(self.executions)} runs (≈ {fmt_usd(committed)} spent or "
                    f"committed, a running run counted at {how}; the next run would take it "
                    f"to ≈ {fmt_usd(committed + expected(run))})"
                )
                self._skip(run, "not started: max_cost")
                return False
        return True

    def _skip(self, run: BenchRun, why: str) -> None:
        run.phase = "skipped"
        run.why_skipped = why
        self._notify(run, None)

    def _notify(self, run: BenchRun, change: Change | None) -> None:
        if self.on_change is not None:
            self.on_change(run, change)

    async def _stream(self, run: BenchRun) -> None:
        state = run.state
        state.set_request(run.request)
        run.launched_at = self.clock()
        state.set_request_time(run.launched_at)
        run.phase = "running"
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        self._notify(run, None)
        messages = self.client.beta.messages if "betas" in run.request else self.client.messages
        events = None
        try:
            events = aiter_events(messages.stream(**run.request))
            async for event in events:
                change = state.apply(event)
                self._notify(run, change)
                if state.error is not None:
                    break
        except asyncio.CancelledError:
            state.stopped = True
        except Exception as exc:  # this run fails alone; the others go on
            state.failure = _describe(exc)
        finally:
            if events is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await events.aclose()
            self.running -= 1
            state.finish()
            run.finished_at = self.clock()
            status = state.status
            run.phase = (
                "stopped" if status == "stopped" else "failed" if status == "failed" else "done"
            )
            self._notify(run, None)

    def stop(self) -> None:
        """Stop every running stream (what arrived stays) and launch nothing more.
        Safe from any thread (a button's handler)."""
        self.stopped = True
        loop = self._loop
        if loop is None:
            return

        def cancel() -> None:
            for run in self.executions:
                if run.task is not None and not run.task.done():
                    run.task.cancel()

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            cancel()
        else:
            loop.call_soon_threadsafe(cancel)

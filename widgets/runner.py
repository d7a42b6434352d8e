"""Watch the SDK's own tool runner in a ConversationView: ``show_runner`` / ``ashow_runner``.

How it works: ``docs/internals.md``, section ``streamscope.widgets.runner``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from streamscope.core.loop.runner_watch import (
    ASYNC_RUNNER_MESSAGE,
    SYNC_RUNNER_MESSAGE,
    RunnerWatch,
)
from streamscope.widgets.loop_view import ConversationView

if TYPE_CHECKING:
    from streamscope.core.loop.tool_loop import ToolLoop

__all__ = ["ashow_runner", "show_runner", "watch_runner"]


def watch_runner(
    runner: Any,
    view: ConversationView | None = None,
    *,
    diagnose_cache: bool = False,
    **options: Any,
) -> RunnerWatch:
    """A :class:`RunnerWatch` of ``runner`` with ``view`` (a new :class:`ConversationView`
    made with ``options`` when None) watching it; display the view yourself (marimo:
    ``mo.ui.anywidget(view)``), then ``await watch.arun()``. ``watch.observers[0]`` is the
    view. ``diagnose_cache=True``: each request asks the API why it missed the prompt cache
    (see :class:`RunnerWatch`)."""
    watch = RunnerWatch(runner, diagnose_cache=diagnose_cache)
    if view is None:
        view = ConversationView(**options)
    elif options:
        raise TypeError("pass options to the ConversationView you give, or no view")
    # The view reads only what a RunnerWatch has in common with a ToolLoop: observers,
    # turns, stop(), stop_requested, stop_reason, event_loop.
    view.attach(cast("ToolLoop", watch))
    return watch


def _display(view: ConversationView) -> None:
    from IPython.display import display

    display(view)  # type: ignore[no-untyped-call]


def show_runner(runner: Any, **options: Any) -> Any:
    """Display a :class:`ConversationView` of a synchronous tool runner
    (``anthropic.Anthropic().beta.messages.tool_runner(..., stream=True)``), consume it,
    and return its final message (the SDK's ``runner.until_done()``).

    The SDK runs the tools; the view shows each turn and the results the runner sends back.
    This blocks the cell, so the Stop button cannot be heard (the view says so): use
    :func:`ashow_runner` with an ``AsyncAnthropic`` runner for that. There are no
    approvals: they are a :class:`~streamscope.core.loop.tool_loop.ToolLoop` feature. ``options`` go
    to :class:`ConversationView` (``prices=``...), except ``diagnose_cache=True``: each
    request then asks the API why it missed the prompt cache (the previous message's id in
    ``diagnostics``; see :class:`~streamscope.core.loop.runner_watch.RunnerWatch`).
    Failures re-raise, with what arrived still on screen.
    """
    watch = watch_runner(runner, **options)
    if watch.is_async:
        raise TypeError(ASYNC_RUNNER_MESSAGE)
    _display(watch.observers[0])
    return watch.run()


async def ashow_runner(runner: Any, **options: Any) -> Any:
    """Async :func:`show_runner` for a runner made from ``anthropic.AsyncAnthropic``
    (``await ashow_runner(runner)``): the Stop button works meanwhile. Stop closes the
    runner and returns the last whole turn's message (None if none finished)."""
    watch = watch_runner(runner, **options)
    if not watch.is_async:
        raise TypeError(SYNC_RUNNER_MESSAGE)
    _display(watch.observers[0])
    return await watch.arun()

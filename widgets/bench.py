"""``acompare_live``: one prompt, many runs, streaming side by side in one output.

The runs are a :class:`~streamscope.core.comparison.bench.Bench` (concurrency cap, ``max_cost``,
Stop); :class:`BenchView` shows them: one :class:`~streamscope.widgets.surface.Surface`
(one comm) whose picture (:mod:`streamscope.widgets.render.bench`) has a column per run,
so a frame carries every run's changes in one message, at most ~20 a second whatever the
number of runs. When all are final, the same output becomes the comparison table
(:func:`streamscope.widgets.compare`'s picture), and a saved notebook keeps it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from streamscope.core.comparison.bench import Bench, BenchRun
from streamscope.core.comparison.runs import compare_runs
from streamscope.core.io.replay_client import AsyncReplayClient
from streamscope.core.pricing.prices import PriceTable
from streamscope.core.stream.changes import Change
from streamscope.widgets.comparison import ComparisonView
from streamscope.widgets.render.bench import BenchPicture
from streamscope.widgets.render.controls import Button, control_bar
from streamscope.widgets.render.fulltext import Budget
from streamscope.widgets.render.regions import Op
from streamscope.widgets.surface import Surface

__all__ = ["BenchView", "acompare_live", "replay_client"]

FRAME_INTERVAL = 0.6
"""Seconds between two frames of a bench: several runs' text at once, four times a second.
At a StreamView's 50 ms, each frame's per-run framing (the op, the closing tags re-sent)
would outweigh a run's few bytes of new text."""

Variants = Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]] | None


def replay_client(recordings: Any, *, speed: float | None = 1.0) -> AsyncReplayClient:
    """An :class:`AsyncReplayClient` serving gallery recordings (names) or recording paths,
    one per request in launch order (a list, or one name for every run)."""
    from streamscope.core.io import gallery

    items = [recordings] if isinstance(recordings, (str, os.PathLike)) else list(recordings)
    paths = [
        item
        if not isinstance(item, str) or os.path.sep in item or item.endswith((".jsonl", ".sse"))
        else gallery.path(item)
        for item in items
    ]
    return AsyncReplayClient(paths, speed=speed)


class BenchView(Surface):
    """Runs of one prompt live side by side; the comparison once all are final.

    Made by :func:`acompare_live`; ``bench`` holds the runs, ``comparison`` the
    :class:`ComparisonView` once done. ``stop()`` (the Stop button) stops every run.
    """

    def __init__(
        self,
        bench: Bench,
        *,
        prices: PriceTable | None = None,
        title: str = "Runs side by side",
        clock: Callable[[], float] = time.monotonic,
        frame_interval: float = FRAME_INTERVAL,
        flush_timer: bool = True,
        **kwargs: Any,
    ) -> None:
        self.bench = bench
        self.comparison: ComparisonView | None = None
        self._prices = prices
        self._picture = BenchPicture(bench, prices=prices, title=title)
        self._picture.withheld = lambda region_id: self._withheld(region_id) is not None
        self._running = False
        bench.on_change = self._on_run_change
        super().__init__(
            clock=clock, frame_interval=frame_interval, flush_timer=flush_timer, **kwargs
        )

    # ------------------------------------------------------------------ running

    async def arun(self) -> ComparisonView:
        """Stream every run; returns the comparison of those that were launched."""
        with self._lock:
            self._running = True
            self._changed()
        try:
            await self.bench.arun()
        finally:
            with self._lock:
                self._running = False
                ran = self.bench.finished_runs()
                if ran:
                    self.comparison = ComparisonView(
                        compare_runs(
                            *(r.state for r in ran),
                            labels=[r.label for r in ran],
                            prices=self._prices,
                        ),
                        prices=self._prices,
                    )
                    self._picture.comparison = self.comparison.comparison
                self._picture.note_all()
                # under the lock: no frame timer may send the comparison before settling
                self._settle()
        if self.comparison is None:
            raise RuntimeError(self.bench.notice or "no run was launched")
        return self.comparison

    def stop(self) -> None:
        """Stop every running stream and launch nothing more (what arrived stays)."""
        self.bench.stop()

    def _on_run_change(self, run: BenchRun, change: Change | None) -> None:
        with self._lock:
            self._picture.note(run, change)
            self._changed()

    # ------------------------------------------------------------------ Surface

    def _root(self) -> str:
        return self._picture.root_id

    def _is_final(self) -> bool:
        return self.bench.done and not self._running

    def _live(self) -> bool:
        return self._running

    def _render(self) -> list[Op]:
        now = self._clock() if self._running else None
        ops = self._picture.render(self._store, now)
        op = self._store.update(self._picture.controls_id, self._controls())
        if op is not None:
            ops.append(op)
        return ops

    def _render_more(self, region_id: str, page: int) -> list[Op]:
        return self._picture.more(self._store, region_id, page)

    def _supply(self, budget: int) -> Callable[[str], list[str] | None] | None:
        return self._picture.supply(Budget(budget))

    def _render_group(self, group: str) -> None:
        self._picture.note_all()  # a run's folded thinking: drawn at the next frame

    def _controls(self) -> list[str]:
        if not self._running:
            return []
        stopping = self.bench.stopped
        title = "Stop every run (what arrived stays)"
        label = "Stopping…" if stopping else "■ Stop all"
        button = Button("stop", label, title, stopping or self.in_marimo)
        return [control_bar(self.token, [button])]

    def _on_action(self, action: str, key: str | None, value: Any, fields: dict[str, Any]) -> None:
        if action == "stop":
            self.stop()
            with self._lock:
                self._changed()

    def _settle(self) -> None:
        """Final: where the output becomes the static comparison (Jupyter, VS Code, Colab),
        the widget it replaces is not sent the comparison too (measured: ~4x the streamed
        content for eight runs); the store is brought up to date, so a page that asks
        (resync) still gets it. In marimo the widget stays the picture: it is sent."""
        if self._displayed and not self.in_marimo:
            with self._lock:
                self._render()
                self._pending = False
            self._show_static()
            return
        super()._settle()

    def _text(self) -> str:
        if self.comparison is not None:
            return str(self.comparison)
        return self._picture.describe()

    def export_html(self, path: str | os.PathLike[str]) -> Path:
        """Write the picture as a standalone HTML document (no script); returns the path."""
        from streamscope.core.io.files import write_atomic
        from streamscope.widgets.render.fulltext import EXPORT_BUDGET
        from streamscope.widgets.render.page import standalone_document

        with self._lock:
            self._flush()
            body = self._store.expand(self._root(), supply=self._supply(EXPORT_BUDGET))
        return write_atomic(path, standalone_document(body, "streamscope · runs side by side"))


async def acompare_live(
    client: Any,
    variants: Variants = None,
    /,
    *,
    samples: int = 1,
    concurrency: int = 4,
    max_cost: float | None = None,
    prices: PriceTable | None = None,
    title: str = "Runs side by side",
    display: bool = True,
    speed: float | None = 1.0,
    **common: Any,
) -> ComparisonView:
    """Send one prompt several ways at once and watch the runs live, side by side.

    ``client``: an ``anthropic.AsyncAnthropic``, an ``AsyncReplayClient``, or gallery
    names / recording paths to replay (at ``speed``; no key needed). ``variants``: label →
    the request arguments that differ (``{"sonnet": {"model": ...}, "haiku": {...}}``), or
    a list of them; ``common``: the rest (``model``, ``max_tokens``, ``messages``,
    ``system``, ``tools``...). Each run sends ``{**common, **variant}``; ``samples``
    repeats each variant. At most ``concurrency`` stream at once. ``max_cost`` (USD) stops
    launching once the estimated spend would pass it, and says so. Stop stops them all.

    Returns the :class:`ComparisonView` of the runs that were launched (its runs are their
    final states); the output becomes that comparison. Bind it
    (``result = await acompare_live(...)``): as a cell's last value it would show twice.
    """
    if not hasattr(client, "messages"):
        client = replay_client(client, speed=speed)
    bench = Bench(
        client,
        variants,
        samples=samples,
        concurrency=concurrency,
        max_cost=max_cost,
        prices=prices,
        **common,
    )
    view = BenchView(bench, prices=prices, title=title)
    if display:
        from IPython.display import display as show

        show(view)  # type: ignore[no-untyped-call]
    return await view.arun()

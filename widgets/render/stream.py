"""The picture of one stream: every region of a StreamView, re-rendered where a Change landed.

How it works: ``docs/internals.md``, section ``streamscope.widgets.render.stream``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from streamscope.core.comparison.cache import CacheExplanation
from streamscope.core.figures.faults import attempt_lines, error_event_words
from streamscope.core.figures.model import StreamFigures, stream_figures
from streamscope.core.figures.text import plural
from streamscope.core.pricing.prices import PriceTable
from streamscope.core.stream.blocks import Block, ToolUseBlock
from streamscope.core.stream.changes import Change
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.status import FINAL_STREAM_STATUSES, StreamStatus
from streamscope.core.wire.attempts import Attempt
from streamscope.widgets.inspector import WireFilter, WireInspector
from streamscope.widgets.render.attempts import (
    attempt_rows,
    attempts_end,
    attempts_section,
    worth_showing,
)
from streamscope.widgets.render.cache import cache_explanation
from streamscope.widgets.render.fulltext import NOTEBOOK_BUDGET, Budget
from streamscope.widgets.render.lanes import Lane, lanes_more, lanes_supply
from streamscope.widgets.render.loop_timeline import nice_axis_end
from streamscope.widgets.render.markup import NO_MATH, SEP, e
from streamscope.widgets.render.message_facts import models_text
from streamscope.widgets.render.panel import figure_attrs, panel_parts
from streamscope.widgets.render.regions import CONTROL_PREFIX, Op, RegionStore, is_lazy, slot
from streamscope.widgets.render.request import RequestBox
from streamscope.widgets.render.timeline import (
    MAX_ROWS,
    axis_end,
    timeline_frame,
    timeline_row,
    timeline_span,
)
from streamscope.widgets.render.wire import (
    wire_controls,
    wire_frame,
    wire_ids,
    wire_page,
)

__all__ = ["StreamPicture"]

_CUT_BY_STOP = frozenset({"stream_truncated", "block_never_stopped"})
_STRUCTURAL = frozenset(
    {"block_start", "block_stop", "message_start", "message_delta", "message_stop", "error"}
)
FIGURES_EVERY = 1.0
"""Seconds (of the view's clock: wall time, whatever a replay's speed) between two redraws
of the figures that move with time alone: durations, delta counts, the timeline, the panel.
Text and arguments go out every frame; these at most once a second, or at once when a block
starts or stops: at the pace of a real stream (a few hundred bytes a second) they would
otherwise outweigh the content."""
_EMPTY_WAITING = '<p class="ss-empty">Waiting for the stream…</p>'
_EMPTY_FINAL = '<p class="ss-empty">No content.</p>'
_ID_JUNK = re.compile(r"[^a-zA-Z0-9_-]+")


def _never(region_id: str) -> bool:
    return False


class StreamPicture:
    """Renders one :class:`StreamState` as regions (see the module docstring).

    Parameters
    ----------
    state: the state to draw (never modified here).
    prefix: prepended to every region id (a conversation gives each turn its own).
    prices: the price table for the cost estimate (the default table when None).
    title: the header's title.
    """

    def __init__(
        self,
        state: StreamState,
        *,
        prefix: str = "",
        prices: PriceTable | None = None,
        title: str = "streamscope",
        uid: str | None = None,
        inspector: WireInspector | None = None,
    ) -> None:
        self.state = state
        self.prefix = prefix
        self.prices = prices
        self.title = title
        self.subtitle = ""
        """Shown after the title (a conversation's turn: "3 tool calls · 4.1 s")."""
        self.collapse_final = False
        """Put the final panel in a closed ``<details>`` (an earlier turn of a loop)."""
        self.uid = uid or uuid.uuid4().hex[:10]
        self.root_id = f"{prefix}view"
        self.controls_id = f"{CONTROL_PREFIX}{prefix}controls"
        self._lanes: dict[int, Lane] = {}
        self._heads: dict[int, str] = {}
        self._dirty: set[int] = set()
        self._everything = True
        self._settled_status: StreamStatus | None = None
        self._look: tuple[str, str, str, bool, bool] | None = None
        self._rows: dict[int, str] = {}
        self._mark: float | None = None
        self._structural = True
        self._figures_at: float | None = None
        self._figures_dirty: set[int] = set()
        self.inspector = inspector if inspector is not None else WireInspector()
        """The wire inspector's log and filter (the view that owns them records and clicks)."""
        self._marked_drawn: int | None = None
        self.token = ""
        """The view's token: live buttons in the picture carry it."""
        self._wire_cache: dict[tuple[int, bool, str], str] = {}
        self._now: float | None = None
        self._axis = 0.0
        self._rate = 1.0
        self.replayed = False
        """The state is a replay: its figures are in recorded time (the panel says so)."""
        self.replay_speed: float | None = None
        """The replay's speed (None: instant), said with the figures."""
        self.figures: StreamFigures | None = None
        """The figures of the last frame that drew them: every figure shown comes from it."""
        self.show_request = True
        """Draw the request box (a conversation draws it on its latest turn only)."""
        self.head_duration = False
        """Once the stream ended, the head says how long it took (a loop's turn headers)."""
        self.previous: Any = None
        """The run before this one (a state, a Turn, a recording's path, a request dict):
        the panel then says why this run did or did not read its prompt cache."""
        self.run: Any = None
        """This run as :attr:`previous` is compared with (a loop's Turn, which knows when it
        was sent); None: :attr:`state`."""
        self.run_at: Any = None
        """When this run's request was sent (a datetime, epoch seconds), if known: a replayed
        recording's header says it."""
        self._cache: tuple[tuple[Any, ...], CacheExplanation | None] | None = None
        self._request = RequestBox(prefix)
        self.attempts: Sequence[Attempt] = ()
        """The HTTP attempts of this stream's request (an AttemptLog's): drawn as timeline
        rows and listed in the panel when one was retried or failed."""
        self.failure_words: str | None = None
        """Why the stream failed, in words (``connection reset after 843 bytes``): the
        header says it after "failed"."""
        self._omitted: tuple[int, bool] | None = None
        self.withheld: Callable[[str], bool] = _never
        """Whether no page has asked for a lazy region yet (the view that sends the picture
        says). While the stream is live such a region is not drawn at all (the wire's list,
        a tool call's raw JSON): the view calls :meth:`touch_all` when a page asks for one,
        and the final picture draws them all."""

    # ------------------------------------------------------------------ reading

    @property
    def cache_explanation(self) -> CacheExplanation | None:
        """Why this run did or did not read :attr:`previous`'s prompt cache (None without a
        previous run, or before this run's request and first event are known). Worked out
        again only when the request, the usage or the end changes."""
        state = self.state
        # (``state.request`` makes a clean copy of the request: read only when the key moves)
        if self.previous is None or state.message is None:
            return None
        key = (
            id(self.previous),
            state.request_version,
            tuple(state.usage.raw.items()),
            state.ended,
        )
        if self._cache is None or self._cache[0] != key:
            run = self.run if self.run is not None else state
            self._cache = (key, cache_explanation(self.previous, run, self.run_at))
        return self._cache[1]

    @property
    def status(self) -> StreamStatus:
        return self.state.status

    @property
    def final(self) -> bool:
        return self.status in FINAL_STREAM_STATUSES

    def anchor(self, index: int) -> str:
        """The ``id`` of block ``index``'s lane (unique on the page: links and scroll-to)."""
        return f"ss-{self.uid}-{_ID_JUNK.sub('-', self.prefix)}b{index}"

    # ------------------------------------------------------------------ changes

    def note(self, change: Change) -> None:
        """Remember what ``change`` touched, to re-render it at the next :meth:`render`."""
        if change.index is not None:
            self._dirty.add(change.index)
        if change.kind in _STRUCTURAL or change.problem is not None:
            self._structural = True

    def touch_all(self) -> None:
        """Re-render everything at the next :meth:`render` (a status or a setting changed)."""
        self._everything = True

    # ------------------------------------------------------------------ rendering

    def release(self) -> None:
        """Forget what was rendered (the regions were dropped: a folded turn of a long loop)
        and the events kept for the wire inspector (their counts stay): the next render
        starts over from the state."""
        self.inspector.log.forget()
        self._wire_cache.clear()
        self._lanes.clear()
        self._heads.clear()
        self._rows.clear()
        self._axis = 0.0
        self._look = None
        self._everything = True

    def tick(self) -> None:
        """Time passed with no event: re-render what shows the clock (open blocks)."""
        self._dirty.update(b.index for b in self.state.blocks if not b.complete)

    def render(
        self,
        store: RegionStore,
        now: float | None = None,
        wall: float | None = None,
        rate: float = 1.0,
    ) -> list[Op]:
        """Bring ``store`` up to date with the state; the ops that did it. ``now`` (the
        state's clock): while the stream is live, open blocks and the elapsed time run to it,
        so a long silence does not look frozen. ``wall``: the view's clock, which paces the
        figures (:data:`FIGURES_EVERY`) when the state's runs at another speed (a replay);
        without it, the state's clock does. ``rate``: the state's seconds per wall second
        (a replay's speed; 0 for an instant one), at which the page ticks the header's
        clock between two frames."""
        ops: list[Op] = []
        state = self.state
        status = self.status
        final = status in FINAL_STREAM_STATUSES
        skip = self.withheld if not final else _never

        def put(region_id: str, parts: list[str]) -> None:
            if is_lazy(region_id) and skip(region_id):
                return  # no page holds it: drawn when one asks, or in the final picture
            op = store.update(region_id, parts)
            if op is not None:
                ops.append(op)

        if status != "streaming":
            now = None
        self._now = now
        if rate != self._rate:  # the page's clock must tick at the new rate at once
            self._rate = rate
            self._structural = True
        look = (status, self.title, self.subtitle, self.collapse_final, self.show_request)
        if final and not self._dirty and not self._everything and look == self._look:
            return ops  # a finished stream that nothing touched: nothing to redraw
        self._look = look
        over = state.finished or state.ended
        origin = state.started_at
        everything = self._everything or final != (self._settled_status in FINAL_STREAM_STATUSES)
        blocks = state.blocks
        dirty = {b.index for b in blocks} if everything else self._dirty
        latest = now if now is not None else state.last_event_at
        beat = wall if wall is not None else latest
        self._figures_dirty |= dirty
        if self.inspector.shown.marked != self._marked_drawn:  # drawn at once, not at 1 Hz
            self._marked_drawn = self.inspector.shown.marked
            self._structural = True
        figures = (
            final
            or everything
            or self._structural
            or beat is None
            or self._figures_at is None
            or beat - self._figures_at >= FIGURES_EVERY
        )
        span = timeline_span(blocks, origin, latest) if origin is not None else 0.0
        attempts = self.attempts if worth_showing(self.attempts) else ()
        if attempts and origin is not None:
            span = max(span, attempts_end(attempts, origin))
        # live: the 1-2-5 step, which moves seldom; finished: the nearest nice tick above
        # the data when it is closer (a 2.02 s turn on 0-2.5 s, not 0-5 s: 60% empty)
        end = min(axis_end(span), nice_axis_end(span)) if final else axis_end(span)
        marked = self._marked_at(origin)
        rescaled = end != self._axis or marked != self._mark
        if figures:  # rows are drawn only with the figures: until then the old axis holds
            self._axis, self._mark = end, marked
        mark = marked if not final else None
        token = self._live_token(final)

        def bar_action(block: Block) -> str:
            if not token:
                return ""
            return (
                f' data-ss-action="wire-block" data-ss-token="{e(token)}"'
                f' data-ss-target="{e(self.prefix)}" data-ss-value="{block.index}"'
            )

        touched = self._figures_dirty if figures else set()
        for block in blocks:
            index = block.index
            if index not in dirty and index not in touched and not (rescaled and figures):
                continue
            lane = self._lane(block)
            lane.paused = state.paused
            lane.display_omitted = self._display_omitted()
            if index in dirty:
                self._heads[index] = lane.head(over, self._live_token(final))
                for region_id, parts in lane.regions(final).items():
                    put(region_id, parts)
            if not figures:
                continue
            if index in touched:
                put(lane.meta_id, [lane.meta(origin, over, now)])
            if origin is not None and (index in self._rows or len(self._rows) < MAX_ROWS):
                self._rows[index] = timeline_row(
                    block, origin, end, self.anchor, now, mark=mark, action=bar_action(block)
                )
        put(self.root_id, [self._frame(status)])
        put(f"{self.prefix}lanes", self._layout(blocks, final))
        self._render_wire(put, final, origin, skip)
        shown = state if self.show_request else None
        for region_id, parts in self._request.regions(shown, self.anchor(-2)).items():
            put(region_id, parts)
        self._dirty = set()
        self._everything = False
        self._settled_status = status
        if figures:
            # the figures move together: header, wire count and panel from one computation
            # (at most once a second while events arrive: the clocks tick on the page)
            self._draw_figures(put, state, now, final)
        if not figures:
            return ops
        self._figures_dirty = set()
        self._structural = False
        self._figures_at = beat
        rows_id = f"{self.prefix}tl-rows"
        more = max(0, len(blocks) - MAX_ROWS)
        put(
            f"{self.prefix}timeline",
            [timeline_frame(blocks, end, rows_id, more=more)] if blocks or attempts else [],
        )
        tried = attempt_rows(attempt_lines(attempts), origin, end) if origin is not None else []
        put(rows_id, [*tried, *(self._rows[b.index] for b in blocks if b.index in self._rows)])
        return ops

    def _draw_figures(self, put: Any, state: StreamState, now: float | None, final: bool) -> None:
        """Compute this frame's figures once and draw every region that shows them."""
        self.figures = stream_figures(
            state,
            now=now,
            prices=self.prices,
            replayed=self.replayed,
            replay_speed=self.replay_speed,
        )
        put(f"{self.prefix}head", [self._head(state.status)])
        put(f"{self.prefix}wire-count", [self._wire_count()])
        # A user's Stop is a state of its own, not a problem: what it cut is not listed.
        hidden = _CUT_BY_STOP if state.stopped else frozenset()
        parts = panel_parts(
            state,
            prices=self.prices,
            anchor=self.anchor,
            final=final,
            failure=state.failure,
            now=now,
            hidden_problems=hidden,
            cache=self.cache_explanation,
            figures=self.figures,
            rate=self._rate,
        )
        tried = attempts_section(attempt_lines(self.attempts))
        if tried:  # after the error, before the calls
            parts.insert(
                1 if parts and parts[0].startswith('<section class="ss-error"') else 0, tried
            )
        put(f"{self.prefix}final", parts)

    # ------------------------------------------------------------------ the wire

    def _live_token(self, final: bool) -> str:
        """The token buttons carry, while the view is live (a final picture has none)."""
        return self.token if not final else ""

    def _marked_at(self, origin: float | None) -> float | None:
        number = self.inspector.shown.marked
        if number is None or origin is None:
            return None
        for item in self.inspector.log.events:
            if item.number == number:
                return None if item.at is None else item.at - origin
        return None

    def _render_wire(
        self, put: Any, final: bool, origin: float | None, skip: Callable[[str], bool] = _never
    ) -> None:
        frame_id, controls_id, list_id = wire_ids(self.prefix)
        log = self.inspector.log
        if not log.total:
            put(frame_id, [])
            return
        put(frame_id, [wire_frame(log, self.prefix, self.anchor(-1))])
        if self.figures is None:
            put(f"{self.prefix}wire-count", [self._wire_count()])
        if skip(controls_id) and skip(list_id):
            return  # the inspector is closed on every page: its page is not even made
        # the static picture carries the first page, unfiltered
        shown = self.inspector.shown if not final else WireFilter(page=0)
        token = self._live_token(final)
        put(controls_id, wire_controls(log, shown, self.prefix, token) if token else [])
        anchors = {b.index: self.anchor(b.index) for b in self.state.blocks}
        put(
            list_id,
            wire_page(log, shown, origin, self.prefix, token, anchors, self._wire_cache),
        )

    def _wire_count(self) -> str:
        """The wire's count: the figures' events (the log's own total with no figures yet)."""
        figures = self.figures
        if figures is None:
            return f"<span>{plural(self.inspector.log.total, 'event')}</span>"
        figure = figures["events"]
        word = "event" if figure.value == 1 else "events"
        return f"<span><span{figure_attrs(figure)}>{e(figure.text)}</span> {word}</span>"

    def _display_omitted(self) -> bool:
        """The request asked for thinking with its display omitted (read again only when
        the request changes: ``state.request`` is a clean copy)."""
        version = self.state.request_version
        if self._omitted is None or self._omitted[0] != version:
            request = self.state.request or {}
            thinking = request.get("thinking")
            display = thinking.get("display") if isinstance(thinking, dict) else None
            self._omitted = (version, display == "omitted")
        return self._omitted[1]

    def _lane(self, block: Block) -> Lane:
        lane = self._lanes.get(block.index)
        if lane is None or lane.block is not block:  # new, or a second start on this index
            lane = self._lanes[block.index] = Lane(block, self.prefix, self.anchor(block.index))
        return lane

    def _frame(self, status: StreamStatus) -> str:
        """The view's frame: its header's slot and its body's. It changes only with the
        status; the header (with its ticking clock) is a region of its own."""
        p = self.prefix
        return (
            # mathjax_ignore: JupyterLab typesets "$0.01 · … $0.02" as TeX otherwise
            f'<div class="ss-view {NO_MATH}" data-status="{e(status)}">'
            f"{slot(p + 'head', cls='ss-header')}"
            f'<div class="ss-body">{slot(p + "lanes", cls="ss-lanes")}'
            f"{slot(p + 'timeline', cls='ss-timeline-box')}"
            f"{slot(p + 'wire', cls='ss-wire-box')}"
            f"{slot(p + 'request', cls='ss-request-box')}"
            f"{self._final_slot()}</div></div>"
        )

    def _final_slot(self) -> str:
        final = slot(self.prefix + "final", "aside", "ss-final")
        if not self.collapse_final:
            return final
        return (
            f'<details class="ss-final-box" data-ss-key="{e(self.anchor(-1))}-final">'
            f"<summary>Tool calls, usage, cost and timing of this turn</summary>{final}</details>"
        )

    def _head(self, status: StreamStatus) -> str:
        state = self.state
        model = models_text(state) or state.model
        model_html = f' <span class="ss-model">{e(model)}</span>' if model else ""
        estimate = state.estimated_thinking_tokens
        if estimate is not None and status not in FINAL_STREAM_STATUSES:  # the silence only
            model_html += (
                f' <span class="ss-thinking-estimate" data-value="{estimate}"'
                ' title="the API\'s running estimate of the thinking tokens so far">'
                f"≈ {estimate:,} thinking tokens</span>"
            )
        if self.subtitle:
            model_html = f'<span class="ss-subtitle">{SEP}{e(self.subtitle)}</span>{model_html}'
        clock = ""
        figures = self.figures
        if figures is not None and figures.live and figures.elapsed_at is not None:
            figure = figures["elapsed"]
            rate = f' data-ss-clock-rate="{self._rate:g}"' if self._rate != 1.0 else ""
            clock = (
                f' <span class="ss-elapsed" title="since the request"{figure_attrs(figure)}'
                f' data-ss-clock="{figures.elapsed_at:.3f}"{rate}>{e(figure.text)}</span>'
            )
        elif self.head_duration and figures is not None and figures["elapsed"].kind != "waiting":
            figure = figures["elapsed"]  # the panel's duration, the same figure
            clock = (
                f' <span class="ss-elapsed" title="{e(figure.label)}"{figure_attrs(figure)}>'
                f"{e(figure.text)}</span>"
            )
        return (
            f'<span class="ss-head"><span class="ss-title">{e(self.title)}</span>{model_html} '
            f'<span class="ss-status" data-status="{e(status)}" role="status">{e(status)}</span>'
            f"{self._failure_words(status)}{clock}</span>"
            f"{slot(self.controls_id, cls='ss-controls')}"
        )

    def _failure_words(self, status: StreamStatus) -> str:
        """After "failed": why, in words (the source's failure, or the ``error`` event)."""
        if status != "failed":
            return ""
        words = self.failure_words
        if words is None and self.state.error is not None:
            words = error_event_words(self.state.error)
        return f'<span class="ss-failure-words">: {e(words)}</span>' if words else ""

    def _layout(self, blocks: list[Block], final: bool) -> list[str]:
        if not blocks:
            return [_EMPTY_FINAL if final else _EMPTY_WAITING]
        items: list[str] = []
        row: list[str] = []

        def flush() -> None:
            if row:
                items.append(
                    f'<div class="ss-tool-row" data-count="{len(row)}">{"".join(row)}</div>'
                )
                row.clear()

        for block in blocks:
            head = self._heads.get(block.index)
            if head is None:
                over = self.state.finished or self.state.ended
                live = self._live_token(self.final)
                head = self._heads[block.index] = self._lane(block).head(over, live)
            if isinstance(block, ToolUseBlock):
                row.append(head)
            else:
                flush()
                items.append(head)
        flush()
        return items

    # ------------------------------------------------------------------ whole texts

    def more(self, store: RegionStore, region_id: str, page: int) -> list[Op]:
        """A page asked for page ``page`` of a folded text's whole (``Show all``): the op
        that brings it (none when the region is not one of ours, or was asked already)."""
        return lanes_more(self._lanes.values(), store, region_id, page)

    def supply(self, budget: Budget) -> Callable[[str], list[str] | None]:
        """For :meth:`RegionStore.expand`: the whole texts (and blocks' JSON) a static
        picture carries in place of what a live page is sent, while ``budget`` lasts."""
        return lanes_supply(self._lanes.values(), budget)

    def draw_withheld(self, store: RegionStore) -> None:
        """Draw into ``store`` the lazy regions live frames skipped (:attr:`withheld`), for
        a static picture of a live view. No page holds them, so there is nothing to send:
        a page that asks for one later gets the store's parts whole."""
        if self.final:
            return  # the final frame drew them

        def put(region_id: str, parts: list[str]) -> None:
            if is_lazy(region_id):
                store.update(region_id, parts)

        for block in self.state.blocks:
            for region_id, parts in self._lane(block).regions(False).items():
                put(region_id, parts)
        self._render_wire(put, False, self.state.started_at)
        shown = self.state if self.show_request else None
        for region_id, parts in self._request.regions(shown, self.anchor(-2)).items():
            put(region_id, parts)

    # ------------------------------------------------------------------ static

    def static_html(self, store: RegionStore | None = None, budget: Budget | None = None) -> str:
        """The picture as one HTML fragment (no controls, no script); folded texts whole
        while ``budget`` lasts (a notebook's, by default)."""
        if store is None:
            store = RegionStore()
            self.touch_all()
            self.render(store)
        return store.expand(self.root_id, supply=self.supply(budget or Budget(NOTEBOOK_BUDGET)))

    def describe(self) -> dict[str, Any]:
        """A few words on the state, for a plain-text form."""
        state = self.state
        return {
            "status": self.status,
            "model": state.model,
            "blocks": len(state.blocks),
            "tool_calls": len(state.tool_calls),
            "stop_reason": state.stop_reason,
            "output_tokens": state.usage.output_tokens,
        }

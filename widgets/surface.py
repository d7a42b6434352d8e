"""Surface: the one widget class every view is, and how a picture reaches the page.

How it works: ``docs/internals.md``, section ``streamscope.widgets.surface``.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from streamscope.widgets._hosts import in_marimo
from streamscope.widgets._static import STATIC, read_css
from streamscope.widgets.render.fulltext import NOTEBOOK_BUDGET
from streamscope.widgets.render.page import STYLE_FILES, static_fragment
from streamscope.widgets.render.regions import Op, RegionStore, is_lazy

__all__ = ["HEARTBEAT", "Surface"]

HEARTBEAT = 1.0
"""Seconds between frames during a silence while a view is live (clock ticks)."""

Bundle = tuple[dict[str, Any], dict[str, Any]]
UNASKED_INTERVAL = 1.0
"""In marimo, seconds between pictures sent unasked to a page not heard from (see _hosts)."""


class Surface(anywidget.AnyWidget):
    """Base of StreamView and ConversationView (see the module docstring).

    Subclasses implement :meth:`_render` (bring the store up to date, return the ops),
    :meth:`_root` (the root region id), :meth:`_text` (the plain-text form) and
    :meth:`_on_action` (a click), and call :meth:`_changed` whenever state changed and
    :meth:`_settle` when the view is final.
    """

    _esm = STATIC / "surface.js"
    _css = read_css(*STYLE_FILES)

    picture = traitlets.Dict().tag(sync=True)
    """dict: ``root`` (region id), ``seq`` (the last patch included) and ``regions``
    (region id → parts). Set on a front end's request; patches carry the rest. In marimo,
    where a page's request waits for the cell to end, also set unasked (at most once per
    :data:`UNASKED_INTERVAL` and when the view is final) until a page has said hello."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        frame_interval: float = 0.05,
        flush_timer: bool = True,
        **kwargs: Any,
    ) -> None:
        self._clock = clock
        self._interval = frame_interval
        self._flush_timer = flush_timer
        self._lock = threading.RLock()
        self._store = RegionStore()
        self._seq = 0
        self._last_frame = float("-inf")
        self._timer: threading.Timer | None = None
        self._heartbeat: threading.Timer | None = None
        self._pending = False
        self._wanted: set[str] = set()
        self.token = secrets.token_hex(8)
        """Carried by this view's buttons; an action without it is ignored."""
        self.front_ends = 0
        """How many front ends said hello (rendered this view)."""
        self.last_click_latency: float | None = None
        """Seconds from the last accepted click in the page to its handling here."""
        self._display_id: str | None = None
        self._displayed = False
        self._static_shown = False
        self.in_marimo = in_marimo()
        """Made in a marimo kernel: no click is heard while a cell runs (see ``_hosts``)."""
        self._unasked_at = float("-inf")
        with self._lock:
            self._render()
        super().__init__(picture=self._picture_value(), **kwargs)
        self.on_msg(self._on_front_end_msg)

    # ------------------------------------------------------------------ subclass API

    def _render(self) -> list[Op]:
        raise NotImplementedError

    def _root(self) -> str:
        raise NotImplementedError

    def _text(self) -> str:
        raise NotImplementedError

    def _on_action(self, action: str, key: str | None, value: Any, fields: dict[str, Any]) -> None:
        """A click on a control of this view (token checked)."""

    def _is_final(self) -> bool:
        return False

    def _live(self) -> bool:
        """Whether the picture shows a running clock now (a stream is open, a tool runs)."""
        return False

    def _tick(self) -> None:
        """Time passed with nothing new: mark what shows the clock for re-rendering."""

    # ------------------------------------------------------------------ frames

    def _changed(self) -> None:
        """Something changed: send a frame now if one is due, else soon."""
        with self._lock:
            self._pending = True
            if self._clock() - self._last_frame >= self._interval:
                self._flush()
            else:
                self._arm_timer()
            self._arm_heartbeat()

    def _flush(self) -> None:
        with self._lock:
            self._last_frame = self._clock()
            self._pending = False
            # withheld regions are not sent; emptying one (it was folded away) always is
            ops = [
                op
                for op in self._render()
                if self._withheld(op[0]) is None or (op[1] == 0 and len(op) == 2)
            ]
            if ops:
                self._send_ops(ops)
                if self._last_frame - self._unasked_at >= UNASKED_INTERVAL:
                    self._offer_picture()

    def _offer_picture(self) -> None:
        """In marimo, until a page is heard from, put the picture in the trait unasked: a
        page that missed the first frames cannot ask for it while the cell runs."""
        if self.in_marimo and self.front_ends == 0:
            self._unasked_at = self._clock()
            self.picture = self._picture_value()

    def _send_ops(self, ops: list[Op]) -> None:
        self._seq += 1
        self.send({"type": "patch", "seq": self._seq, "ops": ops})

    def _arm_timer(self) -> None:
        if self._timer is not None or not self._flush_timer:
            return
        timer = threading.Timer(self._interval, self._on_timer)
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            if not self._pending:
                return
            if self._clock() - self._last_frame >= self._interval:
                self._flush()
            else:
                self._arm_timer()

    def _arm_heartbeat(self) -> None:
        """While live, a frame at least every :data:`HEARTBEAT` seconds, so clocks and open
        bars move through a silence (a small message a second; none while events flow)."""
        if self._heartbeat is not None or not self._flush_timer or not self._live():
            return
        timer = threading.Timer(HEARTBEAT, self._on_heartbeat)
        timer.daemon = True
        self._heartbeat = timer
        timer.start()

    def _on_heartbeat(self) -> None:
        with self._lock:
            self._heartbeat = None
            if not self._live():
                return
            if self._clock() - self._last_frame >= HEARTBEAT * 0.9:
                self._tick()
                self._flush()
            self._arm_heartbeat()

    def _settle(self) -> None:
        """The view is final: send what is left, then show the static picture in its place."""
        with self._lock:
            self._flush()
            self._unasked_at = float("-inf")
            self._offer_picture()
        self._show_static()

    # ------------------------------------------------------------------ front end

    def _group(self, region_id: str) -> str | None:
        """The group a region is sent with only once a page asks (None: always sent). A lazy
        region (a tool call's raw JSON) is a group of its own; views may add others."""
        return region_id if is_lazy(region_id) else None

    def _withheld(self, region_id: str) -> str | None:
        """The region's group, while no page has asked for it (else None)."""
        group = self._group(region_id)
        return group if group is not None and group not in self._wanted else None

    def _render_group(self, group: str) -> None:
        """A page asked for ``group``: prepare to draw it (the next frame sends it)."""

    def _render_more(self, region_id: str, page: int) -> list[Op]:
        """A page drew page ``page - 1`` of a folded text's whole and asks for the next:
        the ops that bring it (see ``render.fulltext``)."""
        return []

    def _supply(self, budget: int) -> Callable[[str], list[str] | None] | None:
        """What a static picture carries in place of the regions a live page gets a page at
        a time (the whole texts, up to ``budget`` characters in all); None: the store."""
        return None

    def _more(self, region_id: object, page: object) -> None:
        """A page asks for the next page of a folded text's whole; one page per message,
        and the next only once the page has drawn this one."""
        if not isinstance(region_id, str) or type(page) is not int or page < 0:
            return
        with self._lock:
            if self._withheld(region_id) is not None:
                return  # never opened on a page
            if self._pending:
                self._flush()
            ops = self._render_more(region_id, page)
            if ops:
                self._send_ops(ops)

    def _draw_withheld(self) -> None:
        """Bring the withheld regions in the store up to date, if frames skip drawing them
        (for the static picture; nothing is sent)."""

    def _picture_value(self) -> dict[str, Any]:
        regions = {
            rid: parts
            for rid, parts in self._store.snapshot().items()
            if parts and self._withheld(rid) is None
        }
        return {"root": self._root(), "seq": self._seq, "regions": regions}

    def _want(self, region_id: object) -> None:
        """A page opened a lazy region: send its group whole; from now on it gets patches."""
        if not isinstance(region_id, str):
            return
        with self._lock:
            group = self._group(region_id)
            if group is None or group in self._wanted:
                return
            if self._pending:
                self._flush()
            self._wanted.add(group)
            self._render_group(group)
            ops: list[Op] = []
            for rid, parts in self._store.snapshot().items():
                if self._group(rid) == group:
                    # drop -1: whatever the page holds for the part, it is replaced whole
                    ops.append([rid, len(parts), *([i, -1, p] for i, p in enumerate(parts))])
            if ops:  # what the store holds already (a lazy region the page never got)
                self._send_ops(ops)
            self._flush()  # and what has to be drawn first

    def _resync(self) -> None:
        with self._lock:
            self._flush()
            self.picture = self._picture_value()

    def _on_front_end_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "hello":
            self.front_ends += 1
            have = content.get("have")
            if have != self._seq:
                self._resync()
        elif kind == "resync":
            self._resync()
        elif kind == "want":
            self._want(content.get("region"))
        elif kind == "more":
            self._more(content.get("region"), content.get("page"))
        elif kind == "action":
            if content.get("token") != self.token:
                return  # not one of our buttons
            action = content.get("action")
            if not isinstance(action, str):
                return
            key = content.get("key")
            fields = content.get("fields")
            sent = content.get("sent_at")
            self.last_click_latency = (
                max(0.0, time.time() - sent / 1000)
                if isinstance(sent, (int, float)) and not isinstance(sent, bool)
                else None
            )
            self._on_action(
                action,
                key if isinstance(key, str) else None,
                content.get("value"),
                fields if isinstance(fields, dict) else {},
            )
            with self._lock:  # a click is answered at once, not at the next frame
                if self._pending:
                    self._flush()

    # ------------------------------------------------------------------ display

    def static_html(self) -> str:
        """The picture as a static HTML fragment (styles scoped to it, no script)."""
        with self._lock:
            if self._pending:
                self._flush()
            self._draw_withheld()
            return static_fragment(
                self._store.expand(self._root(), supply=self._supply(NOTEBOOK_BUDGET))
            )

    def _widget_bundle(self) -> Bundle:
        bundle = anywidget.AnyWidget._repr_mimebundle_(self)
        data, metadata = bundle if bundle is not None else ({}, {})
        data = dict(data)
        data["text/plain"] = self._text()
        data["text/html"] = self.static_html()
        return data, dict(metadata)

    def _static_bundle(self) -> Bundle:
        return {"text/html": self.static_html(), "text/plain": self._text()}, {}

    def _repr_mimebundle_(self, **kwargs: Any) -> Bundle:
        return self._static_bundle() if self._is_final() else self._widget_bundle()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self._display_id is None:
            self._display_id = uuid.uuid4().hex
        final = self._is_final()
        data, metadata = self._static_bundle() if final else self._widget_bundle()
        display(data, raw=True, metadata=metadata, display_id=self._display_id)  # type: ignore[no-untyped-call]
        self._displayed = True
        self._static_shown = final

    def _update_display(self, bundle: Bundle) -> None:
        # marimo's update_display replaces the output of whichever cell runs now: there the
        # widget itself stays the picture.
        if not self._displayed or self.in_marimo:
            return
        from IPython.display import update_display

        data, metadata = bundle
        update_display(data, raw=True, metadata=metadata, display_id=self._display_id)  # type: ignore[no-untyped-call]

    def _show_static(self) -> None:
        if self._displayed:
            self._update_display(self._static_bundle())
            self._static_shown = True

    def _show_live(self) -> None:
        if self._displayed and self._static_shown:
            self._static_shown = False
            self._update_display(self._widget_bundle())

    def __repr__(self) -> str:
        return self._text()

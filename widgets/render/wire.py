"""The wire inspector: the events of a stream as they arrived, a page at a time.

How it works: ``docs/internals.md``, section ``streamscope.widgets.render.wire``.
"""

from __future__ import annotations

from streamscope.core.figures.text import fmt_bytes, fmt_seconds
from streamscope.core.stream.event_log import EventLog, WireEvent
from streamscope.widgets.inspector import WireFilter
from streamscope.widgets.render.markup import SEP, attr, e
from streamscope.widgets.render.regions import CONTROL_PREFIX, LAZY_PREFIX, slot

__all__ = ["live_button", "wire_controls", "wire_frame", "wire_ids", "wire_page"]


def live_button(
    label: str, action: str, token: str, target: str, value: object, **attrs: str
) -> str:
    """A button only the live view has: the static picture keeps its label as text."""
    extra = "".join(f' {k.replace("_", "-")}="{e(v)}"' for k, v in attrs.items())
    return (
        f'<button type="button" class="ss-live-btn" data-ss-live="" data-ss-action="{action}"'
        f' data-ss-token="{e(token)}" data-ss-target="{e(target)}" data-ss-value="{e(value)}"'
        f"{extra}>{e(label)}</button>"
    )


def wire_ids(prefix: str) -> tuple[str, str, str]:
    """The regions of a picture's inspector: frame, controls, list."""
    return (
        f"{prefix}wire",
        f"{LAZY_PREFIX}{CONTROL_PREFIX}{prefix}wire-ctl",
        f"{LAZY_PREFIX}{prefix}wire/list",
    )


def wire_frame(log: EventLog, prefix: str, anchor: str) -> str:
    _, controls, listing = wire_ids(prefix)
    # the count changes with every event: a region of its own (a few bytes a frame)
    return (
        f'<details class="ss-wire" data-ss-key="{e(anchor)}-wire"><summary>'
        f"Events on the wire{SEP}{slot(prefix + 'wire-count', 'span')}</summary>"
        f"{slot(controls, cls='ss-wire-controls', data_ss_lazy='')}"
        f"{slot(listing, 'ol', 'ss-wire-list', data_ss_lazy='')}</details>"
    )


def wire_controls(log: EventLog, view: WireFilter, prefix: str, token: str) -> list[str]:
    def select(action: str, label: str, options: list[tuple[str, str]], current: str) -> str:
        opts = "".join(
            f'<option value="{e(v)}"{" selected" if v == current else ""}>{e(text)}</option>'
            for v, text in options
        )
        return (
            f'<select class="ss-speed" data-ss-action="{action}" data-ss-token="{e(token)}"'
            f' data-ss-target="{e(prefix)}" aria-label="{e(label)}">{opts}</select>'
        )

    blocks = [("", "all blocks"), *((str(i), f"block {i}") for i in sorted(log.blocks))]
    kinds = [("", "all types"), *((k, k) for k in sorted(log.types))]
    _, page, pages = log.page(view.page, index=view.index, kind=view.kind)
    kinds_seen = SEP.join(f"{n:,} {e(k)}" for k, n in log.types.most_common())
    dropped = ""
    if log.dropped and not log.events:  # an earlier turn of a long loop
        dropped = f"{SEP}the events themselves are no longer kept"
    elif log.dropped:
        dropped = f"{SEP}the {log.dropped:,} oldest are not kept"
    buttons = "".join(
        f'<button type="button" class="ss-btn" data-ss-action="wire-page"'
        f' data-ss-token="{e(token)}" data-ss-target="{e(prefix)}" data-ss-value="{value}"'
        f"{' disabled' if off else ''}>{label}</button>"
        for label, value, off in (
            ("‹ earlier", page - 1, page == 0),
            ("later ›", page + 1, page >= pages - 1),
            ("newest", "newest", view.page is None),
        )
    )
    return [
        '<div class="ss-control-bar">'
        + select(
            "wire-block",
            "Show the events of",
            blocks,
            "" if view.index is None else str(view.index),
        )
        + select("wire-type", "Show the events of type", kinds, view.kind or "")
        + buttons
        + f'<span class="ss-position">page {page + 1} of {pages}</span></div>'
        f'<p class="ss-muted">{kinds_seen}{dropped}</p>'
    ]


def _event(
    item: WireEvent, origin: float | None, prefix: str, token: str, anchor: str | None, marked: bool
) -> str:
    when = fmt_seconds(item.at - origin) if item.at is not None and origin is not None else "–"
    block = f"block {item.index}" if item.index is not None else "–"
    number = f"#{item.number}"
    if token:  # a final picture (no token) has no button: nobody would hear its click
        number = live_button(
            number, "wire-mark", token, prefix, item.number,
            **({"data_ss_scroll": anchor} if anchor else {}),
        )  # fmt: skip
    fragment = item.fragment
    if fragment is None:
        code = ""
    elif fragment:
        code = f" <code>{e(fragment)}</code>"
    else:  # an empty piece is a fact worth seeing (the first input_json_delta often is)
        code = ' <code class="ss-muted" title="an empty fragment">""</code>'

    return (
        f'<li class="ss-wire-event"{attr("data-type", item.type)}'
        f"{attr('data-index', item.index)}{' data-marked' if marked else ''}>{number}{SEP}{when}"
        f"{SEP}{e(item.type)}{SEP}{block}{SEP}{fmt_bytes(item.size)}{code}</li>"
    )


def wire_page(
    log: EventLog,
    view: WireFilter,
    origin: float | None,
    prefix: str,
    token: str,
    anchor_of: dict[int, str],
    cache: dict[tuple[int, bool, str], str],
) -> list[str]:
    """The page's parts (each event rendered once: ``cache`` keeps them, by number, mark
    and token: a row rendered live is not reused once the picture is final)."""
    items, _, _ = log.page(view.page, index=view.index, kind=view.kind)
    keep: dict[tuple[int, bool, str], str] = {}
    parts = []
    for item in items:
        key = (item.number, item.number == view.marked, token)
        html = cache.get(key)
        if html is None:
            anchor = anchor_of.get(item.index) if item.index is not None else None
            html = _event(item, origin, prefix, token, anchor, key[1])
        keep[key] = html
        parts.append(html)
    cache.clear()
    cache.update(keep)
    if not token and parts and view.index is None and view.kind is None:
        shown = len(parts)
        if log.total > shown:  # the finished picture keeps one page: say so
            parts.append(
                f'<li class="ss-muted ss-wire-more">first {shown:,} of {log.total:,} events'
                " shown here (the live view pages through all that were kept)</li>"
            )
    return parts or ['<li class="ss-empty">No events match.</li>']

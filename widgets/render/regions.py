"""Regions: a picture as named pieces, and the smallest message that brings a page up to date.

How it works: ``docs/internals.md``, section ``streamscope.widgets.render.regions``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from streamscope.widgets.render.sanitize import clean

__all__ = ["CONTROL_PREFIX", "LAZY_PREFIX", "Op", "RegionStore", "common_prefix", "is_lazy", "slot"]

CONTROL_PREFIX = "ctl:"
LAZY_PREFIX = "lazy:"
"""Regions sent to a page only once it asks (a closed ``<details>`` opened): the raw JSON
of a tool call, which the argument fields already show."""

Op = list[Any]
"""``[region_id, count, *edits]``: the region now has ``count`` parts, and each edit
``[index, drop, tail]`` replaces part ``index`` by its old text (empty for a new part)
without its last ``drop`` UTF-16 code units, followed by ``tail``."""

_SLOT = re.compile(r'data-ss-region="([^"]+)">(?=</)')
# A button only the live view has (``render.wire.live_button``): static keeps its label,
# or drops it whole (``data-ss-live="drop"``: a Copy button).
_LIVE_BUTTON = re.compile(r'<button [^>]*data-ss-live="(drop)?"[^>]*>([^<]*)</button>')


def _static_label(match: re.Match[str]) -> str:
    return "" if match.group(1) else match.group(2)


def slot(region_id: str, tag: str = "div", cls: str | None = None, **attrs: str) -> str:
    """An empty element that region ``region_id`` fills (``data-ss-region`` last)."""
    extra = "".join(f' {k.replace("_", "-")}="{html.escape(v)}"' for k, v in attrs.items())
    klass = f' class="{cls}"' if cls else ""
    return f'<{tag}{klass}{extra} data-ss-region="{html.escape(region_id)}"></{tag}>'


def is_lazy(region_id: str) -> bool:
    """A region sent only once a page asks for it (see :data:`LAZY_PREFIX`)."""
    return region_id.startswith(LAZY_PREFIX)


def common_prefix(old: str, new: str) -> int:
    """Length of the longest common prefix of two strings, by C-speed comparisons.

    Usually ``new`` extends ``old`` minus a few closing characters, so the first probe
    (everything but the last 64 characters) settles nearly all of it; a binary search over
    ``startswith`` windows finds the rest.
    """
    limit = min(len(old), len(new))
    if old[:limit] == new[:limit]:
        return limit
    lo = 0
    guess = limit - 64
    if guess > 0 and new.startswith(old[:guess]):
        lo = guess
    hi = limit  # old[:hi] != new[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if new.startswith(old[lo:mid], lo):
            lo = mid
        else:
            hi = mid
    return lo


def _utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class RegionStore:
    """What the page holds: region id → its parts, as last sent."""

    def __init__(self) -> None:
        self.parts: dict[str, list[str]] = {}
        # region_id -> {(length, hash) of a raw part: its sanitized part}: a part rendered
        # again to the same text (a frozen Markdown block, an unchanged lane, a wire event
        # that moved up the page) is not sanitized again, wherever it now stands. A hash,
        # not the text: the raw text would double the memory held.
        self._raw: dict[str, dict[tuple[int, int], str]] = {}

    def update(self, region_id: str, raw_parts: Iterable[str]) -> Op | None:
        """Store ``raw_parts`` for the region (sanitizing each new part); the op to send, or
        None when nothing changed."""
        old = self.parts.get(region_id, [])
        new: list[str] = []
        previous = self._raw.get(region_id, {})
        kept: dict[tuple[int, int], str] = {}
        for part in raw_parts:
            key = (len(part), hash(part))  # a str caches its hash: cheap for frozen parts
            cleaned = previous.get(key)
            if cleaned is None:
                cleaned = clean(part)
            kept[key] = cleaned
            new.append(cleaned)
        self._raw[region_id] = kept
        self.parts[region_id] = new
        return _diff(region_id, old, new)

    def splice(self, region_id: str, keep: int, raw_parts: Iterable[str]) -> Op | None:
        """Keep the region's first ``keep`` parts as they are and put ``raw_parts`` after
        them (sanitizing only these): a region that grows a page at a time costs its new
        page, not all of it again."""
        old = self.parts.get(region_id, [])
        cache = self._raw.setdefault(region_id, {})
        new = old[:keep]
        for part in raw_parts:
            cleaned = clean(part)
            cache[(len(part), hash(part))] = cleaned
            new.append(cleaned)
        self.parts[region_id] = new
        return _diff(region_id, old, new)

    def drop(self, region_id: str) -> Op | None:
        """Forget a region (its slot is gone); the op that empties it on the page."""
        old = self.parts.pop(region_id, None)
        self._raw.pop(region_id, None)
        return [region_id, 0] if old else None

    def snapshot(self) -> dict[str, list[str]]:
        """Every region's parts (what a page that missed messages rebuilds from)."""
        return {rid: list(parts) for rid, parts in self.parts.items()}

    def expand(
        self,
        root: str,
        *,
        controls: bool = False,
        supply: Callable[[str], list[str] | None] | None = None,
    ) -> str:
        """The tree under ``root`` as one HTML string (without ``ctl:`` regions unless
        ``controls``). ``supply`` may give a region's parts in place of the stored ones (a
        static picture's whole texts, which a live page gets a page at a time; sanitized
        already). Iterative: a deep tree cannot exhaust the stack."""
        out: list[str] = []
        stack: list[Iterator[str]] = [iter(self._pieces(root, controls, supply))]
        live = _LIVE_BUTTON if not controls else None
        while stack:
            try:
                piece = next(stack[-1])
            except StopIteration:
                stack.pop()
                continue
            if piece.startswith("\x00"):
                stack.append(iter(self._pieces(piece[1:], controls, supply)))
            else:
                if live is not None and "data-ss-live" in piece:
                    piece = live.sub(_static_label, piece)
                out.append(piece)
        return "".join(out)

    def _pieces(
        self,
        region_id: str,
        controls: bool,
        supply: Callable[[str], list[str] | None] | None = None,
    ) -> list[str]:
        """The region's parts split at their slots; a slot becomes ``"\\x00" + its id``."""
        if region_id.removeprefix(LAZY_PREFIX).startswith(CONTROL_PREFIX) and not controls:
            return []
        pieces: list[str] = []
        supplied = supply(region_id) if supply is not None else None
        for part in supplied if supplied is not None else self.parts.get(region_id, []):
            pos = 0
            for match in _SLOT.finditer(part):
                pieces.append(part[pos : match.end()])
                pieces.append("\x00" + html.unescape(match.group(1)))
                pos = match.end()
            pieces.append(part[pos:])
        return pieces


def _diff(region_id: str, old: list[str], new: list[str]) -> Op | None:
    edits: list[list[Any]] = []
    for i, part in enumerate(new):
        if i < len(old):
            before = old[i]
            if before is part or before == part:
                continue
            keep = common_prefix(before, part)
            edits.append([i, _utf16_len(before[keep:]), part[keep:]])
        else:
            edits.append([i, 0, part])
    if not edits and len(old) == len(new):
        return None
    return [region_id, len(new), *edits]

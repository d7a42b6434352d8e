"""The controls a live view hosts (Stop, Play/Pause, Step, the replay speed): their markup.

The views decide what is offered and whether it is enabled; this module draws it. A click
reaches the view as ``data-ss-action`` with the view's ``data-ss-token``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from streamscope.widgets.render.markup import e

__all__ = ["Button", "ReplayControls", "control_bar"]


@dataclass(frozen=True)
class Button:
    """One button: the action its click sends, its label, its tooltip, whether it is off."""

    action: str
    label: str
    title: str
    disabled: bool = False


@dataclass(frozen=True)
class ReplayControls:
    """Play/Pause, Step and the speed of a replay, and where it stands."""

    playing: bool
    speeds: Sequence[float | None]
    """Speeds offered (None: instant)."""
    speed: float | None
    position: int
    length: int
    disabled_why: str | None = None
    """Why the controls are off (marimo hears clicks only after the cell), or None."""


def speed_label(speed: float | None) -> str:
    """``2×``, ``0.25×``, or ``instant``."""
    return "instant" if speed is None else f"{speed:g}×"


def _button(button: Button, token: str) -> str:
    off = " disabled" if button.disabled else ""
    return (
        f'<button type="button" class="ss-btn" data-ss-action="{e(button.action)}"'
        f' data-ss-token="{e(token)}" title="{e(button.title)}"{off}>{e(button.label)}</button>'
    )


def _replay(controls: ReplayControls, token: str) -> str:
    off = controls.disabled_why is not None
    why = controls.disabled_why or ""
    toggle = "Pause the replay" if controls.playing else "Play the replay"
    options = "".join(
        f'<option value="{"" if s is None else f"{s:g}"}"'
        f"{' selected' if s == controls.speed else ''}>{e(speed_label(s))}</option>"
        for s in controls.speeds
    )
    return (
        _button(
            Button(
                "pause" if controls.playing else "play",
                "❚❚ Pause" if controls.playing else "▶ Play",
                why if off else toggle,
                off,
            ),
            token,
        )
        + _button(Button("step", "Step ›", why if off else "Apply the next event", off), token)
        + f'<select class="ss-speed" data-ss-action="speed" data-ss-token="{e(token)}"'
        f' aria-label="Replay speed" title="Replay speed"{" disabled" * off}>{options}</select>'
        + f'<span class="ss-position">event {controls.position:,} of {controls.length:,}</span>'
    )


def control_bar(
    token: str,
    buttons: Sequence[Button],
    replay: ReplayControls | None = None,
    *,
    note: str | None = None,
) -> str:
    """The bar of a view's controls: the replay's first (when replaying), then ``buttons``,
    then ``note`` (why a greyed button is off, in words on the page)."""
    parts = [_replay(replay, token)] if replay is not None else []
    parts += [_button(b, token) for b in buttons]
    if note:
        parts.append(f'<span class="ss-muted ss-stop-why">{e(note)}</span>')
    return f'<div class="ss-control-bar">{"".join(parts)}</div>'

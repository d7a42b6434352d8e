"""Where a view is shown, when that changes what it can do: marimo.

Measured with marimo 0.25.2 (``marimo edit`` and ``marimo run``, Chromium): messages from
the kernel to the page render live while a cell awaits, but every message from the page
(a view saying hello, a resync request, a Stop click) waits in the kernel's control queue
until the running cell has finished, even when the cell awaits. So in marimo, as in a cell
that blocks in Jupyter, no button of a view can be heard while its stream runs, and a page
that missed the first frames cannot ask for the picture: the view offers it unasked.
"""

from __future__ import annotations

import sys

__all__ = ["MARIMO_CLICKS", "in_marimo"]

MARIMO_CLICKS = (
    "marimo hands a click to the kernel only after the running cell has finished, so this "
    "button cannot be heard while the cell runs."
)


def in_marimo() -> bool:
    """True when called in a marimo kernel (a notebook being edited or run as an app)."""
    marimo = sys.modules.get("marimo")  # never imported here: not in marimo if not loaded
    running = getattr(marimo, "running_in_notebook", None)
    if running is None:
        return False
    try:
        return bool(running())
    except Exception:  # an older or newer marimo: assume a plain kernel
        return False

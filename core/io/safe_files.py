"""Reading recordings safely: only regular files, lines up to a stated cap, sane times.

How it works: ``docs/internals.md``, section ``streamscope.core.io.safe_files``.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Iterator
from typing import IO, Final

__all__ = [
    "MAX_EVENT_TIME",
    "MAX_LINE_BYTES",
    "RecordingError",
    "check_time",
    "open_recording",
    "read_lines",
]

MAX_LINE_BYTES = 256 * 1024 * 1024
"""The longest line a recording may hold (256 MiB)."""
MAX_EVENT_TIME: Final = 24 * 3600.0
"""The latest time (seconds from a recording's start, either sign) an event may carry."""


class RecordingError(ValueError):
    """A path that cannot be read as a recording (not a regular file, a line too long)."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_recording(path: str | os.PathLike[str]) -> IO[bytes]:
    """``path`` opened for reading in binary, if it is a regular file (or a symlink to
    one); else :class:`RecordingError`. A FIFO is never waited on."""
    name = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except IsADirectoryError:
        raise RecordingError(f"{name} is a directory, not a recording") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise RecordingError(
                f"{name} is {_kind(mode)}, not a recording: streamscope reads recordings "
                "only from regular files"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_lines(
    handle: IO[bytes], name: str, limit: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """``(line_number, line)`` for each line of ``handle`` (line ends kept), counting from 1;
    a line longer than ``limit`` bytes (default :data:`MAX_LINE_BYTES`) raises
    :class:`RecordingError`."""
    if limit is None:
        limit = MAX_LINE_BYTES
    number = 0
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit:
            raise RecordingError(
                f"{name}: line {number} is longer than {limit:,} bytes (the cap for one line of "
                "a recording): not a recording streamscope reads"
            )
        yield number, line


def check_time(t: float) -> str | None:
    """Why ``t`` cannot be waited for (non-finite, or beyond :data:`MAX_EVENT_TIME`; an
    int too large for a float too), or None when it can."""
    try:
        value = float(t)
    except OverflowError:
        return "time is too large a number"
    if not math.isfinite(value):
        return f"time {value!r} is not a finite number"
    if abs(value) > MAX_EVENT_TIME:
        return f"time {value:g} s is beyond {MAX_EVENT_TIME:g} s from the start"
    return None

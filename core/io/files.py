"""Writing files so that a failure never destroys what was there: write aside, then rename.

Every file the project writes goes through :func:`write_atomic` (exports, written whole) or
:class:`~streamscope.core.io.cassette.CassetteWriter` (cassettes, written line by line): the data
goes to ``<name>.partial`` in the same folder (:func:`partial_path`), which is renamed over
``<name>`` only once complete. A failure leaves the old file untouched (and, for a recording
cut mid-stream, what arrived stays readable in the ``.partial`` file).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["partial_path", "write_atomic"]


def partial_path(path: str | os.PathLike[str]) -> Path:
    """Where ``path`` is written before it is complete: ``<name>.partial`` beside it."""
    target = Path(path)
    return target.with_name(target.name + ".partial")


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; returns the path."""
    target = Path(path)
    tmp = partial_path(target)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target

"""Exceptions raised to callers when a stream itself reports a failure."""

from __future__ import annotations

from typing import Any

__all__ = ["StreamAPIError", "exception_text"]


class StreamAPIError(Exception):
    """The stream carried an ``error`` event (e.g. ``overloaded_error`` mid-stream).

    Everything received before the error stays in the state; this exception only tells
    the caller that the message is incomplete and why.

    Attributes
    ----------
    error_type: the API's error type, e.g. ``"overloaded_error"``.
    error: the whole error object from the event.
    """

    def __init__(self, error: dict[str, Any]) -> None:
        self.error = error
        self.error_type = str(error.get("type") or "error")
        message = error.get("message")
        self.message = str(message) if message is not None else ""
        super().__init__(f"{self.error_type}: {self.message}" if self.message else self.error_type)


def exception_text(exc: BaseException) -> str:
    """How a failure says why: the exception's type, and its text when it has one."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

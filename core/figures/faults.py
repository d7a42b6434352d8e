"""What went wrong with a request, in words: each attempt the SDK made (``429 rate limited,
retried after 2.00 s``, ``529 overloaded``) and the failure that ended a stream
(``connection reset after 1,234 bytes``, ``no data for 30.0 s: timed out``,
``overloaded_error mid-stream: Overloaded``). Computed here once, from the attempts an
:class:`~streamscope.core.wire.attempts.AttemptLog` saw and the stream's state; every view
and the loop show these words as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from streamscope.core.figures.text import fmt_seconds, plural
from streamscope.core.stream.errors import StreamAPIError, exception_text
from streamscope.core.stream.state import StreamState
from streamscope.core.wire.attempts import STATUS_WORDS, Attempt, wire_reason

__all__ = [
    "attempt_lines",
    "attempt_words",
    "error_event_words",
    "failure_text",
    "failure_words",
    "is_wire_failure",
]

_CUT = frozenset({"connection reset", "connection closed mid-response", "connection failed"})


def _status(status: int) -> str:
    if status < 400:
        return f"{status} ok"
    return f"{status} {STATUS_WORDS.get(status, 'error')}"


def attempt_words(attempt: Attempt, following: Attempt | None = None) -> str:
    """One attempt in words; ``following``: the attempt after it, which says whether (and
    how long after) the SDK retried it: the measured wait, and the ``retry-after`` the
    server asked for."""
    if attempt.status is None:
        what = f"no response: {attempt.reason or 'failed'}"
    else:
        what = _status(attempt.status)
        received = attempt.received
        if received is not None and received.error is not None:
            what += f", {_body_cut(attempt, received.reason or 'connection failed', None)}"
    if following is not None and following.retries_taken > 0:
        what += f", retried after {fmt_seconds(max(0.0, following.started - attempt.ended))}"
        if attempt.retry_after is not None:
            what += f" (retry-after: {attempt.retry_after})"
    return what


def attempt_lines(attempts: Sequence[Attempt]) -> list[tuple[Attempt, str]]:
    """Each attempt with its words (a retry is said on the attempt it retried)."""
    return [
        (a, attempt_words(a, attempts[k + 1] if k + 1 < len(attempts) else None))
        for k, a in enumerate(attempts)
    ]


def _body_cut(attempt: Attempt, reason: str, state: StreamState | None) -> str:
    """How a response's body was cut: after how many bytes, or after how long a silence."""
    received = attempt.received
    if reason == "timed out":
        if received is not None and received.ended_at is not None:
            last = received.last_at if received.last_at is not None else attempt.ended
            return f"no data for {fmt_seconds(received.ended_at - last)}: timed out"
        return "timed out"
    if received is not None:
        return f"{reason} after {plural(received.bytes, 'byte')}"
    if state is not None:
        return f"{reason} after {plural(state.event_count, 'event')}"
    return reason


def error_event_words(error: object) -> str:
    """A stream's ``error`` event (its error object) in words:
    ``overloaded_error mid-stream: Overloaded``."""
    if not isinstance(error, dict):
        return "error mid-stream"
    kind, message = error.get("type") or "error", error.get("message")
    return f"{kind} mid-stream" + (f": {message}" if message else "")


def is_wire_failure(exc: BaseException) -> bool:
    """True for a failure of the request or its stream (the API answered an error, the
    connection failed or timed out, the stream carried an ``error`` event or ended without
    ``message_stop``), False for anything else (a bug, a bad argument, an interrupt)."""
    if not isinstance(exc, Exception):
        return False
    if isinstance(exc, (StreamAPIError, ConnectionError, TimeoutError)):
        return True  # (not any OSError: a missing file is not the wire's failure)
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"APIError", "TransportError", "IncompleteStreamError"})


def failure_words(
    exc: BaseException,
    *,
    state: StreamState | None = None,
    attempt: Attempt | None = None,
    at: float | None = None,
    events: int | None = None,
) -> str:
    """The failure that ended a stream, in a few words. ``state``: what arrived (events,
    the last one's time); ``attempt``: the attempt whose body was being read, when an
    :class:`~streamscope.core.wire.attempts.AttemptLog` saw it (then bytes, and the silence
    before a timeout, are exact); ``at``: when it failed (the state's clock), for the
    silence when no attempt says it; ``events``: how many arrived, when no state says."""
    if isinstance(exc, StreamAPIError):
        return error_event_words(exc.error)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and "APIStatusError" in {c.__name__ for c in type(exc).__mro__}:
        kind = getattr(exc, "type", None)
        message = getattr(exc, "api_message", None)
        if status < 400:  # an ``error`` event in a 200 stream: the SDK raised on it
            return f"{kind or 'error'} mid-stream" + (f": {message}" if message else "")
        return _status(status)
    names = {c.__name__ for c in type(exc).__mro__}
    if "IncompleteStreamError" in names:
        return "the stream ended without message_stop"
    if "APIResponseValidationError" in names:
        return "the response did not match the API's types"
    if not is_wire_failure(exc):
        return exception_text(exc)
    reason = wire_reason(exc)
    if attempt is not None and attempt.status is None:
        return f"no response: {attempt.reason or reason}"
    if attempt is not None and attempt.received is not None and attempt.received.error:
        return _body_cut(attempt, attempt.received.reason or reason, state)
    if reason == "timed out":
        last = None if state is None else (state.last_event_at or state.started_at)
        if last is not None and at is not None:
            return f"no data for {fmt_seconds(max(0.0, at - last))}: timed out"
        return "timed out"
    count = state.event_count if state is not None else events
    if reason in _CUT and count:
        return f"{reason} after {plural(count, 'event')}"
    return reason


def failure_text(exc: BaseException, words: str) -> str:
    """What a failure reads as in full: its words, then the exception they came from."""
    text = exception_text(exc)
    return words if words == text else f"{words} ({text})"

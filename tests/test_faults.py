"""The words of a request's faults (streamscope.core.figures.faults), from attempts and
exceptions built by hand; tests/test_socket_faults.py has them from a real wire."""

from __future__ import annotations

import anthropic
import httpx2
import pytest
from streams import message_start, text_events

from streamscope.core.figures.faults import (
    attempt_lines,
    attempt_words,
    error_event_words,
    failure_text,
    failure_words,
)
from streamscope.core.loop.records import IncompleteStreamError
from streamscope.core.stream.errors import StreamAPIError
from streamscope.core.stream.state import StreamState
from streamscope.core.wire.attempts import Attempt, Received, wire_reason

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/messages")


def attempt(number: int, started: float, ended: float, **kw: object) -> Attempt:
    return Attempt(number, "POST", "/v1/messages", started, ended, **kw)  # type: ignore[arg-type]


def test_a_retry_is_said_on_the_attempt_it_retried_with_the_wait_measured() -> None:
    first = attempt(1, 10.0, 10.1, status=429, retry_after="2")
    second = attempt(2, 12.2, 12.3, status=200, retries_taken=1)
    assert [words for _, words in attempt_lines([first, second])] == [
        "429 rate limited, retried after 2.10 s (retry-after: 2)",
        "200 ok",
    ]
    assert attempt_words(first) == "429 rate limited"  # the last one: not retried
    # a new request (retries_taken 0) after it is not its retry
    assert attempt_words(first, attempt(2, 13.0, 13.1, status=200)) == "429 rate limited"


def test_a_body_cut_says_after_how_many_bytes_or_how_long_a_silence() -> None:
    reset = Received(1234, 20.5, "ReadError", "connection reset", 20.6)
    silent = Received(99, 20.5, "ReadTimeout", "timed out", 50.5)
    assert attempt_words(attempt(1, 20.0, 20.1, status=200, received=reset)) == (
        "200 ok, connection reset after 1,234 bytes"
    )
    assert attempt_words(attempt(1, 20.0, 20.1, status=200, received=silent)) == (
        "200 ok, no data for 30.0 s: timed out"
    )
    assert attempt_words(attempt(1, 0, 1, reason="connection refused")) == (
        "no response: connection refused"
    )


def test_a_stream_failure_in_words() -> None:
    state = StreamState()
    for event in [message_start(), *text_events(0, "partial", stop=False)]:
        state.apply(event, at=5.0)
    reset = anthropic.APIConnectionError(request=REQUEST)
    reset.__cause__ = httpx2.ReadError("reset")
    reset.__cause__.__cause__ = ConnectionResetError(104, "Connection reset by peer")
    assert wire_reason(reset) == "connection reset"
    assert failure_words(reset, state=state) == f"connection reset after {state.event_count} events"
    timeout = anthropic.APITimeoutError(request=REQUEST)
    assert failure_words(timeout, state=state, at=35.0) == "no data for 30.0 s: timed out"
    status = anthropic.APIStatusError(
        "busy", response=httpx2.Response(529, request=REQUEST), body={"error": {}}
    )
    assert failure_words(status) == "529 overloaded"
    error = {"type": "overloaded_error", "message": "Overloaded"}
    assert failure_words(StreamAPIError(error)) == error_event_words(error)
    assert error_event_words(error) == "overloaded_error mid-stream: Overloaded"
    assert failure_words(IncompleteStreamError("x")) == "the stream ended without message_stop"
    invalid = anthropic.APIResponseValidationError(httpx2.Response(200, request=REQUEST), None)
    assert failure_words(invalid) == "the response did not match the API's types"
    assert failure_text(status, "529 overloaded") == "529 overloaded (APIStatusError: busy)"


@pytest.mark.parametrize("status", [500, 502, 503, 504, 418])
def test_every_status_has_words(status: int) -> None:
    words = attempt_words(attempt(1, 0, 1, status=status))
    assert words.startswith(f"{status} ") and len(words) > 4

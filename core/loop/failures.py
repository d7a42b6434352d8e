"""A turn whose request or stream failed, and the attempts behind each turn.

:func:`logged_client` gives the loop a client whose every HTTP attempt is logged (the
client's own :class:`~streamscope.core.wire.attempts.AttemptLog`, or a copy of the client
with one, through the SDK's ``middleware=`` hook; none where the SDK has no such hook), so
each turn knows the retries the SDK made. :func:`fail_turn` marks a turn failed: its words
(``connection reset after 843 bytes``), a Problem, and everything received kept in its
state.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from streamscope.core.figures.faults import failure_text, failure_words
from streamscope.core.loop.records import Turn
from streamscope.core.stream.problems import Problem
from streamscope.core.wire.attempts import AttemptLog, attempt_logs

__all__ = ["TURN_FAILED", "fail_turn", "logged_client"]

TURN_FAILED = "turn_failed"
"""The kind of the Problem a failed turn records (on the turn and on its stream)."""


def logged_client(client: Any) -> tuple[Any, AttemptLog | None]:
    """``client`` with an :class:`AttemptLog` in its middleware, and that log: the client
    itself when it has one, else ``client.with_options(middleware=[..., AttemptLog()])`` (a
    copy that shares its connections), else ``(client, None)`` (no ``middleware=`` hook: an
    SDK before 2.17, a replay client)."""
    logs = attempt_logs(client)
    if logs:
        return client, logs[0]
    middleware = getattr(client, "middleware", None)
    with_options = getattr(client, "with_options", None)
    if not isinstance(middleware, tuple) or not callable(with_options):
        return client, None
    log = AttemptLog()
    with contextlib.suppress(Exception):  # a client that cannot be copied is used as it is
        return with_options(middleware=[*middleware, log]), log
    return client, None


def fail_turn(turn: Turn, exc: BaseException, at: float | None = None) -> str:
    """Mark ``turn`` failed by ``exc`` (its state keeps everything received); returns the
    failure as text: its words, then the exception (``connection reset after 843 bytes
    (APIConnectionError: Connection error.)``)."""
    state = turn.state
    attempt = turn.attempts[-1] if turn.attempts else None
    if at is None:  # the loop's states run on time.monotonic
        at = time.monotonic()
    words = failure_words(exc, state=state, attempt=attempt, at=at)
    text = failure_text(exc, words)
    turn.failure = words
    data = {"error": type(exc).__name__, "attempts": len(turn.attempts)}
    message = f"turn {turn.number} failed: {words}; everything received is kept"
    turn.problems.append(Problem(TURN_FAILED, message, data=data))
    if state is not None:
        state.finish()
        if state.failure is None:
            state.failure = text
        state.note_problem(TURN_FAILED, message, data=data)
    return text

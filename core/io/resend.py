"""A request you can re-send: the SDK call or the curl command that sends a run's request again.

How it works: ``docs/internals.md``, section ``streamscope.core.io.resend``.
"""

from __future__ import annotations

import pprint
import shlex
from collections.abc import Mapping
from typing import Any, Final, Literal

from streamscope.core.io.runs import states_of
from streamscope.core.json.codec import dumps_exact
from streamscope.core.wire.request import betas_of, clean_request, left_out, sdk_keywords

__all__ = ["API_VERSION_FALLBACK", "request_code", "run_request"]

API_VERSION_FALLBACK: Final = "2023-06-01"
"""The ``anthropic-version`` header when the SDK does not say which it sends."""
_WIDTH: Final = 100
_DELIMITER: Final = "STREAMSCOPE_REQUEST"


def run_request(run: Any, turn: int = -1) -> dict[str, Any]:
    """The request of ``run``'s turn ``turn`` (default: the last), as recorded.

    ``run``: a request itself (a mapping with ``messages``), or anything
    :func:`~streamscope.core.comparison.runs.compare_runs` takes (a StreamState, a recording's
    path, a ToolLoop, a list of turns, a view). Raises ``ValueError`` when the request was
    not recorded.
    """
    return _request_and_left_out(run, turn)[0]


def _request_and_left_out(run: Any, turn: int) -> tuple[dict[str, Any], list[str]]:
    if isinstance(run, Mapping) and "messages" in run:
        return clean_request(run), left_out(run)
    states = states_of(run)
    if not states:
        raise ValueError("this run has no streamed turn")
    state = states[turn]
    request = state.request
    if request is None:
        raise ValueError(
            "the request of this run is not known: record it with record(...) of the stream "
            "manager (client.messages.stream(...)), give StreamState(request=...), or replay a "
            "cassette whose header has it"
        )
    return request, state.request_left_out


def _left_out_comment(omitted: list[str]) -> list[str]:
    """The comment lines that say what the code leaves out (names only)."""
    lines = [
        "# The request as it was sent, less credentials: the key is read from the environment."
    ]
    if omitted:
        lines.append("# Left out (not written here): " + ", ".join(omitted))
    return [line.replace("\n", " ").replace("\r", " ") for line in lines]


def _api_version() -> str:
    try:
        from anthropic._constants import ANTHROPIC_API_VERSION
    except Exception:
        return API_VERSION_FALLBACK
    return str(ANTHROPIC_API_VERSION)


def _literal(value: Any, indent: int) -> str:
    """``value`` as a Python literal, its continuation lines indented by ``indent``."""
    text = pprint.pformat(value, width=max(40, _WIDTH - indent), sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def _python(request: dict[str, Any], omitted: list[str]) -> str:
    betas = betas_of(request)
    body = {k: v for k, v in request.items() if k != "betas"}
    accepted = sdk_keywords(bool(betas), "stream")
    keywords = {k: v for k, v in body.items() if accepted is None or k in accepted}
    extra = {k: v for k, v in body.items() if k not in keywords}
    resource = "client.beta.messages" if betas else "client.messages"
    lines = [
        *_left_out_comment(omitted),
        "import anthropic",
        "",
        "client = anthropic.Anthropic()  # reads ANTHROPIC_API_KEY from the environment",
        "",
        f"with {resource}.stream(",
    ]
    arguments = ({"betas": betas} if betas else {}) | keywords
    if extra:
        arguments["extra_body"] = extra
    for key, value in arguments.items():
        lines.append(f"    {key}={_literal(value, 5 + len(key))},")
    lines += [
        ") as stream:",
        "    for text in stream.text_stream:",
        '        print(text, end="", flush=True)',
        "    message = stream.get_final_message()",
    ]
    return "\n".join(lines) + "\n"


def _header(name: str, value: str) -> str:
    """``--header 'name: value'`` as one shell word; CR, LF and NUL are refused."""
    text = f"{name}: {value}"
    bad = next((c for c in text if c in "\r\n\x00"), None)
    if bad is not None:
        raise ValueError(
            f"the {name} header value {value!r} holds {bad!r}: a header value cannot hold a "
            "line break (or NUL), the API would refuse it; no curl command is written"
        )
    return "--header " + shlex.quote(text)


def _curl(request: dict[str, Any], omitted: list[str]) -> str:
    betas = betas_of(request)
    body = {k: v for k, v in request.items() if k != "betas"}
    body["stream"] = True
    text = dumps_exact(body, indent=2)
    delimiter = _DELIMITER
    while delimiter in text.splitlines():  # never: a JSON line is never a bare word
        delimiter += "_"
    headers = ['--header "x-api-key: $ANTHROPIC_API_KEY"']
    headers.append(_header("anthropic-version", _api_version()))
    if betas:
        headers.append(_header("anthropic-beta", ",".join(betas)))
    headers.append(_header("content-type", "application/json"))
    url = '"${ANTHROPIC_BASE_URL:-https://api.anthropic.com}/v1/messages"'
    lines = [*_left_out_comment(omitted), f"curl --silent --no-buffer {url} \\"]
    lines += [f"  {header} \\" for header in headers]
    lines += [f"  --data-binary @- <<'{delimiter}'", text, delimiter]
    return "\n".join(lines) + "\n"


def request_code(run: Any, style: Literal["python", "curl"] = "python", *, turn: int = -1) -> str:
    """Code that sends ``run``'s request again (see the module docstring).

    ``run``: a StreamState, a recording's path, a ToolLoop (or its turns), a view, or a
    request mapping. ``turn``: which turn's request (default the last: the whole
    conversation up to the final answer; ``0`` the first). ``style``: ``"python"`` (the SDK
    call) or ``"curl"``. The key is read from the environment, never written.
    """
    if style not in ("python", "curl"):
        raise ValueError(f"style must be 'python' or 'curl', not {style!r}")
    request, omitted = _request_and_left_out(run, turn)
    return _python(request, omitted) if style == "python" else _curl(request, omitted)

"""The ``%%claude`` cell magic: a cell's text is the user message, streamed live into a view.

``%load_ext streamscope`` calls :func:`load_ipython_extension`, which registers the magic
(its help: ``%claude?``) and an input transformer. The transformer is how the magic awaits:
IPython calls a cell magic synchronously and never awaits what it returns, and
``loop.run_until_complete`` inside the kernel's running loop would need the loop patched
(which breaks ipykernel 7, and a blocked cell hears no click). So a cell that starts with
``%%claude`` is rewritten, before IPython compiles it, into ``await <run the cell>``, which
IPython runs as top-level await in the kernel's own loop (autoawait): the view's Stop is
heard, nothing is patched.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from typing import Any, NoReturn

__all__ = ["NO_KEY", "claude", "load_ipython_extension", "run_cell", "transform_cell"]

NO_KEY = (
    "No ANTHROPIC_API_KEY in the kernel's environment, so %%claude cannot call the API.\n"
    "Set it where Jupyter starts (export ANTHROPIC_API_KEY=sk-ant-..., then restart the "
    "kernel), or for this kernel only:\n"
    "    import os, getpass; os.environ['ANTHROPIC_API_KEY'] = getpass.getpass('API key: ')\n"
    "(never type the key into a cell you save).\n"
    "To try it without a key, replay a recording instead: %%claude --replay NAME "
    "(names: streamscope.core.io.gallery.list_recordings())."
)
_NAME = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MAGIC_LINE = re.compile(r"%%claude(\s|$)")


class _Conversation:
    """The last ``%%claude`` run's messages (with its answer), for ``--continue``."""

    messages: list[dict[str, Any]] | None = None


def fill(text: str, namespace: dict[str, Any]) -> str:
    """``{name}`` replaced by ``str(namespace[name])``; ``{{`` and ``}}`` are literal braces;
    any other brace is left as it is. An unknown name raises ``NameError``."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if name not in namespace:
            raise NameError(
                f"{{{name}}} in the cell: no variable {name!r} in the notebook "
                "(write {{ and }} for literal braces)"
            )
        return str(namespace[name])

    return _NAME.sub(one, text)


class _Parser(argparse.ArgumentParser):
    """argparse that raises (a kernel must not exit on a typo)."""

    def error(self, message: str) -> NoReturn:
        raise ValueError(f"{message}\n{self.format_usage()}")


def _parser() -> _Parser:
    p = _Parser(prog="%%claude", add_help=False, description="Stream the cell to Claude.")
    add = p.add_argument
    add("--model", default="claude-sonnet-5-5", help="the model (default claude-sonnet-5-5)")
    add("--max-tokens", type=int, default=1024, help="max_tokens (default 1024)")
    add("--thinking", type=int, metavar="BUDGET", help="extended thinking with this budget")
    add("--system", help="the system prompt ({name} is filled in)")
    add("--tools", metavar="NAME", help="a list of @tools or tool params in the notebook")
    add("--compare", metavar="MODEL,MODEL", help="send it to each model at once, side by side")
    add("--samples", type=int, default=1, metavar="N", help="send it N times, side by side")
    add("--concurrency", type=int, default=4, metavar="N", help="runs at once (default 4)")
    add("--record", metavar="PATH", help="record the stream to a .jsonl cassette")
    add("--continue", dest="continue_", action="store_true", help="next turn of the last one")
    add("--cache", action="store_true", help="cache_control on the system prompt")
    add("--out", default="_claude", metavar="NAME", help="bind the result to NAME (_claude)")
    add("--replay", metavar="NAME", help="replay a recording (gallery name or path; NAME,NAME)")
    return p


PARSER = _parser()


def claude(line: str = "", cell: str | None = None) -> None:
    """Stream a cell to Claude, live, and bind the run.

    ::

        %%claude --model claude-sonnet-5-5 --max-tokens 1024 --thinking 2000
        Summarise {doc} in three bullet points.

    The cell's text is the user message, with ``{name}`` filled from the notebook's
    variables (``{{`` and ``}}`` for literal braces). It streams into a StreamView (Stop
    works: the cell awaits) and the view is bound to ``_claude`` (or ``--out NAME``);
    ``_claude.state``, ``_claude.to_message()``. With ``--compare`` or ``--samples`` the runs
    stream side by side and the result is their ComparisonView. Needs ANTHROPIC_API_KEY in
    the kernel's environment, or ``--replay NAME`` to replay a recording.
    """
    if cell is None:
        print("%claude is a cell magic: start a cell with %%claude (help: %claude?)")
        return
    print(
        "%%claude runs through streamscope's input transformer: load it with %load_ext streamscope"
    )


def transform_cell(lines: list[str]) -> list[str]:
    """IPython input transformer: a ``%%claude`` cell becomes one awaited call."""
    if not lines or not _MAGIC_LINE.match(lines[0]):
        return lines
    line = lines[0][len("%%claude") :].strip()
    body = "".join(lines[1:])
    return [
        "await __import__('streamscope.widgets.magic', fromlist=['run_cell'])"
        f".run_cell({line!r}, {body!r})\n"
    ]


def _error(text: str) -> None:
    print(f"%%claude: {text}", file=sys.stderr)


def _tool_params(value: Any) -> list[dict[str, Any]]:
    from streamscope.core.tools.tool import Tool, normalize_tools

    items = value if isinstance(value, (list, tuple)) else [value]
    return [t.to_param() if isinstance(t, Tool) else t for t in normalize_tools(items)]


def _request(args: Any, body: str, namespace: dict[str, Any]) -> dict[str, Any]:
    prompt = fill(body.strip("\n"), namespace)
    messages: list[dict[str, Any]] = []
    if args.continue_:
        if _Conversation.messages is None:
            raise ValueError("--continue: no earlier %%claude conversation in this kernel")
        messages = list(_Conversation.messages)
    messages.append({"role": "user", "content": prompt})
    request: dict[str, Any] = {
        "model": args.model,
        "max_tokens": args.max_tokens,
        "messages": messages,
    }
    if args.system is not None:
        system = fill(args.system, namespace)
        request["system"] = (
            [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
            if args.cache
            else system
        )
    elif args.cache:
        raise ValueError("--cache puts cache_control on the system prompt: give --system")
    if args.thinking is not None:
        if args.thinking >= args.max_tokens:
            raise ValueError(
                f"--thinking {args.thinking} must be below --max-tokens {args.max_tokens}"
            )
        request["thinking"] = {"type": "enabled", "budget_tokens": args.thinking}
    if args.tools is not None:
        if args.tools not in namespace:
            raise NameError(f"--tools {args.tools}: no such variable in the notebook")
        request["tools"] = _tool_params(namespace[args.tools])
    return request


def _client(args: Any) -> Any:
    if args.replay is not None:
        from streamscope.widgets.bench import replay_client

        return replay_client([n for n in args.replay.split(",") if n], speed=1.0)
    if not os.environ.get("ANTHROPIC_API_KEY"):
        return None
    import anthropic

    return anthropic.AsyncAnthropic()


async def run_cell(line: str, body: str) -> None:
    """What a ``%%claude`` cell runs (see :func:`transform_cell`)."""
    from IPython import get_ipython

    shell = get_ipython()
    namespace: dict[str, Any] = shell.user_ns if shell is not None else {}
    try:
        args = PARSER.parse_args(shlex.split(line))
    except ValueError as exc:  # a usage error: say it, bind nothing
        _error(str(exc))
        return
    try:
        request = _request(args, body, namespace)
    except (NameError, ValueError, TypeError) as exc:
        _error(str(exc))
        return
    client = _client(args)
    if client is None:
        print(NO_KEY, file=sys.stderr)
        return
    models = [m.strip() for m in (args.compare or "").split(",") if m.strip()]
    if models or args.samples > 1:
        if args.continue_ or args.record:
            _error("--continue and --record take one run, not --compare / --samples")
            return
        from streamscope.widgets.bench import acompare_live

        variants = {m: {"model": m} for m in models} if models else None
        namespace[args.out] = await acompare_live(
            client, variants, samples=args.samples, concurrency=args.concurrency, **request
        )
        return
    from IPython.display import display

    from streamscope.core.io.cassette import arecord
    from streamscope.widgets.view import StreamView

    view = StreamView(title="%%claude")
    display(view)  # type: ignore[no-untyped-call]
    source: Any = client.messages.stream(**request)
    if args.record:
        source = arecord(source, args.record)
    namespace[args.out] = view
    try:
        await view.consume_async(source)
    finally:
        answer = view.to_message().get("content")
        if answer:
            _Conversation.messages = [
                *request["messages"],
                {"role": "assistant", "content": answer},
            ]


claude.__doc__ = f"{claude.__doc__}\n{PARSER.format_help()}"


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext streamscope``: the ``%%claude`` magic and its input transformer."""
    ipython.register_magic_function(claude, magic_kind="line_cell", magic_name="claude")
    transformers = ipython.input_transformers_cleanup
    if transform_cell not in transformers:
        transformers.append(transform_cell)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext streamscope``: the transformer goes (the magic's name stays)."""
    transformers = ipython.input_transformers_cleanup
    if transform_cell in transformers:
        transformers.remove(transform_cell)

"""Markdown under unlucky text: one render, and a whole stream of frames, against the naive way.

Run: ``.venv/bin/python benchmarks/bench_markdown.py``. For each pathological text (~40 KB:
a heading line full of spaces, ``*a `` repeated, long runs of ``[``, backticks, ``~~``,
``![a](``, quotes nested 2,500 deep, a long paragraph, a long code fence) it prints:

- ``one render``: markdown-it-py on the whole text through our renderer (the final frame);
- ``streamed``: the text arriving in 8-character deltas with a frame every 400 characters
  (about what ~20 frames a second gives), rendered by :class:`MarkdownStream` (only the
  open top-level block is parsed each frame) and, side by side in the same process, by
  the naive way (the whole text re-rendered every frame), with the ratio.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from streamscope.widgets.render.markdown import MarkdownStream, render_markdown

SIZE = 40_000
FRAME = 400


def texts() -> dict[str, str]:
    paragraph = " ".join(f"word{i}" for i in range(SIZE // 7))
    code = "\n".join(f"    value_{i} = compute({i})" for i in range(SIZE // 28))
    blocks = "\n\n".join(f"Paragraph {i}: " + "some words here " * 12 for i in range(200))
    return {
        "heading of spaces": "# " + "a " * (SIZE // 2),
        "*a repeated": "*a " * (SIZE // 3),
        "[ repeated": "[" * SIZE,
        "backticks": "`a``" * (SIZE // 4),
        "~~ repeated": "~~a " * (SIZE // 4),
        "![a]( repeated": "![a](" * (SIZE // 5),
        "> nested 2,500 deep": "> " * 2_500 + "end",
        "one paragraph": paragraph[:SIZE],
        "one code fence": f"```python\n{code}\n```"[:SIZE],
        "200 paragraphs": blocks[:SIZE],
    }


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def streamed(text: str) -> float:
    stream = MarkdownStream()

    def run() -> None:
        for end in range(FRAME, len(text) + FRAME, FRAME):
            stream.parts(text[:end])
        stream.parts(text, final=True)

    return timed(run)


def naive(text: str) -> float:
    def run() -> None:
        for end in range(FRAME, len(text) + FRAME, FRAME):
            render_markdown(text[:end])
        render_markdown(text)

    return timed(run)


def main() -> None:
    print(f"{'text':<22} {'size':>7} {'one render':>11} {'streamed':>9} {'naive':>9} {'ratio':>7}")
    for name, text in texts().items():
        once = timed(lambda text=text: render_markdown(text))  # type: ignore[misc]
        ours = streamed(text)
        theirs = naive(text)
        print(
            f"{name:<22} {len(text) / 1000:>5.1f}KB {once:>10.3f}s {ours:>8.2f}s {theirs:>8.2f}s "
            f"{theirs / ours:>6.1f}x"
        )


if __name__ == "__main__":
    main()

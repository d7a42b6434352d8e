"""``compare``'s answer diff in bounded time: long answers finish (in a subprocess with a
generous timeout, so a regression fails instead of hanging CI), and what was not diffed
word by word is said in a note."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from streamscope.core.comparison.runs import WORD_DIFF_CHARS, diff_text

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def test_long_answers_compare_in_bounded_time() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(BENCHMARKS)!r})
        from bench_compare_text import SHAPES
        from streamscope.core.comparison.runs import diff_text
        for shape, make in SHAPES.items():
            for size in (100_000, 5_000_000):
                a, b = make(size)
                d = diff_text(a, b, "a", "b")
                assert "".join(op.before for op in d.ops) == a
                assert "".join(op.after for op in d.ops) == b
                print(shape, size, 0 <= d.ratio <= 1)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("True") == 6


def test_a_stretch_too_long_is_shown_whole_with_a_note() -> None:
    before = " ".join(f"a{i}" for i in range(WORD_DIFF_CHARS))  # one paragraph, one line
    after = before.replace("a5 ", "b5 ")
    diff = diff_text(before, after, "x", "y")
    assert [op.tag for op in diff.ops] == ["replace"]
    assert diff.note == (
        "1 changed stretch too long to diff word by word: shown removed and added whole"
    )
    small = diff_text(
        "p1 same\n\np2 old words here\n\np3", "p1 same\n\np2 new words here\n\np3", "x", "y"
    )
    assert small.note == ""
    assert [(op.tag, op.before, op.after) for op in small.ops] == [
        ("equal", "p1 same\n\np2 ", "p1 same\n\np2 "),
        ("replace", "old", "new"),
        ("equal", " words here\n\np3", " words here\n\np3"),
    ]
    assert 0.8 < small.ratio < 1

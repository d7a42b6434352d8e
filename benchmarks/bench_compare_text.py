"""What ``compare``'s answer diff costs on long answers: bounded by paragraphs first, lines
within changed paragraphs, words only within small changed stretches.

Run: ``.venv/bin/python benchmarks/bench_compare_text.py``. Prints, for answers of 10 KB to
5 MB in three shapes (a report with 10% of its paragraphs edited; two unrelated texts; one
long paragraph with no line breaks, edited in 1% of its words), the time of
:func:`~streamscope.core.comparison.runs.diff_text` and its note; then the baseline (the former
diff: difflib over every word of both texts) at the sizes where it still finishes, side by
side, as ratios. The issue's targets: 100,000 characters under 1 s, 5 MB under 5 s.
Last, what comparing the text a reader sees adds (issue 18: ``reading_text``, Markdown
rendered to words, on answers up to its limit), as a ratio to the diff itself.
"""

from __future__ import annotations

import difflib
import functools
import random
import re
import time
from collections.abc import Callable

from streamscope.core.comparison.reading import READING_LIMIT, reading_text
from streamscope.core.comparison.runs import diff_text

WORDS = re.compile(r"\s+|\w+|[^\w\s]")
VOCABULARY = [f"w{i}" for i in range(3000)] + ["the", "a", "of", "and", "to", "in", "is"]


def words(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(VOCABULARY) for _ in range(count)]


def report(size: int, seed: int, edit: float) -> tuple[str, str]:
    """Paragraphs of about 500 characters; ``edit`` of them changed in a few words."""
    rng = random.Random(seed)
    paragraphs: list[list[str]] = []
    total = 0
    while total < size:
        para = words(rng, 80)
        paragraphs.append(para)
        total += sum(len(w) + 1 for w in para) + 2
    edited = []
    for para in paragraphs:
        copy = list(para)
        if rng.random() < edit:
            for _ in range(5):
                copy[rng.randrange(len(copy))] = rng.choice(VOCABULARY)
        edited.append(copy)
    return (
        "\n\n".join(" ".join(p) for p in paragraphs),
        "\n\n".join(" ".join(p) for p in edited),
    )


def unrelated(size: int, seed: int) -> tuple[str, str]:
    a, _ = report(size, seed, 0)
    b, _ = report(size, seed + 1, 0)
    return a, b


def one_paragraph(size: int, seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    a = words(rng, size // 5)
    b = [rng.choice(VOCABULARY) if rng.random() < 0.01 else w for w in a]
    return " ".join(a), " ".join(b)


def old_diff(before: str, after: str) -> float:
    """The former diff_text's word diff: difflib over every word of both texts."""
    a, b = WORDS.findall(before), WORDS.findall(after)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matcher.get_opcodes()
    return matcher.ratio()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


SHAPES: dict[str, Callable[[int], tuple[str, str]]] = {
    "report, 10% edited": lambda n: report(n, 1, 0.1),
    "unrelated texts": lambda n: unrelated(n, 2),
    "one paragraph, 1% edited": lambda n: one_paragraph(n, 3),
}


def main() -> None:
    print("diff_text (bounded): seconds for two answers of each size")
    for shape, make in SHAPES.items():
        for size in (10_000, 100_000, 1_000_000, 5_000_000):
            a, b = make(size)
            start = time.perf_counter()
            diff = diff_text(a, b, "a", "b")
            seconds = time.perf_counter() - start
            note = diff.note or "everything diffed word by word"
            print(f"  {shape:26} {len(a):>9,} chars: {seconds:7.3f} s  ({note})")
    print("\nbaseline (difflib over all words) vs bounded, same texts")
    for shape, make in SHAPES.items():
        for size in (5_000, 10_000, 20_000):
            a, b = make(size)
            old = timed(functools.partial(old_diff, a, b))
            new = timed(functools.partial(diff_text, a, b, "a", "b"))
            print(
                f"  {shape:26} {len(a):>7,} chars: baseline {old:7.3f} s, bounded {new:7.3f} s, "
                f"ratio {old / max(new, 1e-9):7.1f}x"
            )

    print("\nreading_text (Markdown to a reader's words) vs diff_text, one answer, Markdown report")
    for size in (10_000, 100_000, READING_LIMIT):
        a, b = report(size, 4, 0.1)
        a, b = (_markdown(t)[:size] for t in (a, b))
        read = timed(functools.partial(reading_text, a)) + timed(functools.partial(reading_text, b))
        taken = timed(functools.partial(diff_text, reading_text(a), reading_text(b), "a", "b"))
        print(
            f"  {len(a):>9,} chars: reading both {read:6.3f} s, diff {taken:6.3f} s, "
            f"ratio {read / max(taken, 1e-9):5.2f}x"
        )


def _markdown(text: str) -> str:
    """A report as Markdown: every tenth paragraph a table, a bold word in the others."""
    out = []
    for k, para in enumerate(text.split("\n\n")):
        if k % 10 == 9:
            cells = para.split()[:12]
            rows = [f"| {a} | {b} |" for a, b in zip(cells[::2], cells[1::2], strict=False)]
            out.append("| word | next |\n| --- | --- |\n" + "\n".join(rows))
        else:
            head, _, rest = para.partition(" ")
            out.append(f"**{head}** {rest}")
    return "\n\n".join(out)


if __name__ == "__main__":
    main()

"""Assistant text as HTML: markdown-it-py as configured, streamed block by block, never unsafe.

The reference is markdown-it-py itself (CommonMark + GFM tables and strikethrough, raw HTML
off): our output must be its output, up to our documented changes (headings two levels
down, tables in a scroll box, links opening in a new tab). Streaming must end exactly where
rendering the whole text does, however the text was cut.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from streamscope.widgets.render.markdown import (
    MAX_NESTING,
    MarkdownStream,
    is_safe_url,
    render_markdown,
)
from streamscope.widgets.render.sanitize import clean

# Chat-style texts: what a model writes, and the cases two hand-written renderers got wrong.
CORPUS = [
    "*italic with **bold** inside*",
    "***x***",
    "**bold with *italic* inside** and __underscores__",
    "Here are the results:\n| city | temp |\n|---|---:|\n| Lisbon | 21 |\n| Porto | 18 |",
    "Entities: &lt;tag&gt; &amp; &copy; &#x27; &quot;",
    "Setext heading\n==============\n\nAnother\n-------\n\ntext",
    "A code span ending in a backslash: `C:\\path\\`",
    "A hard line break\\\nafter a backslash, and one with two spaces  \nhere.",
    "See [the docs][docs] and [again][docs].\n\n[docs]: https://example.com/docs",
    "1. first\n2. second with `code`\n   ```python\n   print('in a list')\n   ```\n3. third",
    "- a\n- b\n\n  continued paragraph in b\n- c",
    "> quoted\n> > nested quote\n\nafter",
    "Links: [site](https://example.com), <https://auto.example>, [mail](mailto:a@b.c)",
    "```\nunclosed fence\nstill code",
    "~~struck~~ and ~single~ tilde",
    "Snake_case_words and 2*3*4 and a * lone star",
    "# Title\n\n## Subtitle\n\n### Third\n\nBody.",
    "Tab\tseparated\ttext and trailing spaces   ",
    "| a | b |\n|---|---|\n| `|` in code | x |",
    "Text with <b>raw html</b> and <script>alert(1)</script>",
    "---\n\n***\n\n___",
    "    indented code block\n\nparagraph",
    "Émoji 🎉 and CJK 漢字 and RTL עברית",
    "A [link with *emphasis*](https://x.org) inside.",
    "Line one\nline two (a soft break)",
]


def _reference() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING}).enable(
        ["table", "strikethrough"]
    )


def _undo_our_changes(html: str) -> str:
    """Our output with the documented changes undone, to compare with markdown-it-py."""
    html = re.sub(r"<(/?)h(\d)>", lambda m: f"<{m.group(1)}h{int(m.group(2)) - 2}>", html)
    html = html.replace("</table>\n</div>", "</table>")
    html = html.replace(' target="_blank"', "").replace('<pre tabindex="0">', "<pre>")
    return html.replace('<div class="ss-table-wrap" tabindex="0">', "")


@pytest.mark.parametrize("text", CORPUS)
def test_renders_as_markdown_it_does(text: str) -> None:
    ours = "\n".join(render_markdown(text))
    expected = _reference().render(text).strip("\n")
    assert _undo_our_changes(ours) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*italic with **bold** inside*", "<em>italic with <strong>bold</strong> inside</em>"),
        ("***x***", "<em><strong>x</strong></em>"),
        ("See:\n| a |\n|---|\n| 1 |", "<table>"),
        ("&lt;x&gt;", "&lt;x&gt;"),
        ("Title\n=====", "<h3>Title</h3>"),
        ("`a\\`", "<code>a\\</code>"),
        ("a\\\nb", "a<br />\nb"),
        ("[r]\n\n[r]: https://e.com", '<a href="https://e.com" target="_blank">r</a>'),
    ],
)
def test_the_cases_the_old_renderers_got_wrong(text: str, expected: str) -> None:
    assert expected in "\n".join(render_markdown(text))


def test_one_part_per_top_level_block() -> None:
    parts = render_markdown("# A\n\npara\n\n- x\n- y\n\n```\ncode\n```")
    assert [p.split(">")[0].split()[0] for p in parts] == ["<h3", "<p", "<ul", "<pre"]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JaVaScRiPt:x", "java\tscript:x", "data:text/html,x", "vbscript:x",
     "file:///etc/passwd", "/relative", "#anchor", "mailto:"],
)  # fmt: skip
def test_only_http_and_mailto_links(url: str) -> None:
    assert not is_safe_url(url)
    html = "\n".join(render_markdown(f"[click]({url})"))
    assert "<a" not in html
    assert "click" in html


def test_images_are_never_loaded() -> None:
    html = "\n".join(render_markdown("![a cat](https://x.org/cat.png) ![x](javascript:y)"))
    assert "<img" not in html
    assert '<a class="ss-md-image" href="https://x.org/cat.png"' in html
    assert "image: a cat" in html
    assert "javascript" in html and 'href="javascript' not in html


def test_raw_html_is_text() -> None:
    html = clean("\n".join(render_markdown("<img src=x onerror=alert(1)> <script>x</script>")))
    assert "<img" not in html and "<script" not in html
    assert "&lt;img" in html


def test_nesting_beyond_the_limit_keeps_every_character() -> None:
    text = "> " * 2_500 + "the end"
    parts = render_markdown(text)
    assert len(parts) == 1
    assert parts[0].startswith('<pre class="ss-md-source">')
    assert "the end" in parts[0]
    assert parts[0].count("&gt;") == 2_500


def _stream(text: str, rng: random.Random) -> MarkdownStream:
    stream = MarkdownStream()
    pos = 0
    while pos < len(text):
        pos = min(len(text), pos + rng.randint(1, 12))
        stream.parts(text[:pos])
    return stream


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("text", CORPUS)
def test_streaming_ends_where_the_whole_text_renders(text: str, seed: int) -> None:
    stream = _stream(text, random.Random(seed))
    assert stream.parts(text, final=True) == render_markdown(text)


@pytest.mark.parametrize("text", [t for t in CORPUS if "]:" not in t])
def test_streaming_matches_even_before_the_final_render(text: str) -> None:
    """Without late reference definitions, the incremental parts are already exact."""
    stream = _stream(text, random.Random(7))
    assert stream.parts(text) == render_markdown(text)


def test_streaming_freezes_finished_blocks() -> None:
    stream = MarkdownStream()
    first = stream.parts("# Title\n\nSome text")
    frozen = first[0]
    later = stream.parts("# Title\n\nSome text that goes on\n\nand a new paragraph")
    assert later[0] is frozen  # rendered once, the same object: not rendered again


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab *_`~[]()!#>-|:\n\\&<")), max_size=200))
def test_any_text_streams_to_its_whole_render(text: str) -> None:
    stream = _stream(text, random.Random(len(text)))
    assert stream.parts(text, final=True) == render_markdown(text)


def test_a_long_open_block_is_parsed_on_growth_and_loses_nothing_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past OPEN_BLOCK_LIMIT a huge paragraph is re-parsed only every 25% of growth (so the
    parsing a stream costs stays linear); the text in between shows as plain text."""
    from streamscope.widgets.render import markdown

    parsed: list[int] = []
    real = markdown._MD.parse

    def counting(src: str, env: Any = None) -> Any:
        parsed.append(len(src))
        return real(src, env)

    monkeypatch.setattr(markdown._MD, "parse", counting)
    text = "[" * 40_000
    stream = MarkdownStream()
    for end in range(400, len(text) + 1, 400):
        parts = stream.parts(text[:end])
        shown = re.sub(r"<[^>]+>", "", "".join(parts))
        assert shown.count("[") == end  # every character is on the page
    assert sum(parsed) < 6 * len(text)  # not 100 frames × the whole paragraph
    assert stream.parts(text, final=True) == render_markdown(text)

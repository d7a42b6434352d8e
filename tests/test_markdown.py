"""The safe Markdown renderer: what renders, and what hostile input can never become."""

from __future__ import annotations

import pytest
from html_checks import assert_inert, hrefs, parse, visible_text
from hypothesis import given, settings
from hypothesis import strategies as st

from streamscope.widgets.markdown import is_safe_url, markdown_to_html

LINK_ATTRS = 'rel="noopener noreferrer nofollow" target="_blank"'

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](java\nscript:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:text/html,<script>alert(1)</script>)",
    '[a"><svg onload=alert(1)>](https://example.com)',
    '[x](https://example.com/"><svg onload=alert(1)>)',
    '[x](https://example.com/" onmouseover="alert(1))',
    '[x](https://example.com "t" onmouseover="alert(1)")',
    '`"><svg onload=alert(1)>`',
    '```\n"><svg onload=alert(1)>\n```',
    '```js" onload="alert(1)\ncode\n```',
    "<iframe src=javascript:alert(1)></iframe>",
    "<a href=javascript:alert(1)>x</a>",
    "![x](javascript:alert(1))",
    '![a" onerror="alert(1)](https://example.com/i.png)',
    '<https://example.com/"onmouseover=alert(1)>',
    "<javascript:alert(1)>",
    "https://example.com/<svg/onload=alert(1)>",
    "**<img src=x onerror=alert(1)>**",
    "> <script>alert(1)</script>",
    "- <iframe></iframe>\n- [x](javascript:alert(1))",
    "| <script> | [x](javascript:alert(1)) |\n|---|---|\n| <img src=x onerror=alert(1)> | b |",
    "# <svg onload=alert(1)>",
    "\x00<script>\x00",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '[x](mailto:a@example.com"onclick="alert(1))',
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_stays_inert(source: str) -> None:
    out = markdown_to_html(source)
    assert_inert(out)
    lowered = out.lower()
    for forbidden in ("<script", "<iframe", "<img", "<svg", "<style", "<math", '<a href="java'):
        assert forbidden not in lowered
    for href in hrefs(out):
        assert "javascript" not in href.lower()
        assert href.startswith(("http://", "https://", "mailto:"))


def test_hostile_markup_is_visible_as_text() -> None:
    source = 'Hi <img src=x onerror=alert(1)> and <script>alert("x")</script>'
    out = markdown_to_html(source)
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert visible_text(out) == source


def test_rejected_links_are_plain_text() -> None:
    for source in ("[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](data:,hi)"):
        out = markdown_to_html(source)
        assert "<a" not in out
        assert visible_text(out) == source


def test_entity_tricks_are_not_decoded_into_urls() -> None:
    out = markdown_to_html("[x](&#106;avascript:alert(1))")
    assert "<a" not in out
    # The entity is shown as the model wrote it, not decoded.
    assert visible_text(out) == "[x](&#106;avascript:alert(1))"


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.com", True),
        ("HTTP://EXAMPLE.COM", True),
        ("mailto:a@example.com", True),
        ("mailto:", False),
        ("javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("ftp://example.com", False),
        ("data:text/html,x", False),
        ("//example.com", False),
        ("/relative", False),
    ],
)
def test_is_safe_url(url: str, safe: bool) -> None:
    assert is_safe_url(url) is safe


def test_paragraphs_and_line_breaks() -> None:
    out = markdown_to_html("one\ntwo\n\nthree")
    assert out == "<p>one<br>two</p>\n<p>three</p>"


def test_headings() -> None:
    out = markdown_to_html("# One\n## Two ##\n###### Six\n####### seven")
    assert '<h1 class="ss-md-h" data-level="1">One</h1>' in out
    assert '<h2 class="ss-md-h" data-level="2">Two</h2>' in out
    assert '<h6 class="ss-md-h" data-level="6">Six</h6>' in out
    assert "<p>####### seven</p>" in out


def test_heading_offset_demotes_but_keeps_the_level() -> None:
    out = markdown_to_html("# One\n##### Five", heading_offset=2)
    assert '<h3 class="ss-md-h" data-level="1">One</h3>' in out
    assert '<h6 class="ss-md-h" data-level="5">Five</h6>' in out


def test_emphasis_strong_strike_and_code() -> None:
    out = markdown_to_html("**bold** *it* _it2_ __b2__ ~~gone~~ `a*b*c` snake_case_name 2 * 3 * 4")
    assert "<strong>bold</strong>" in out
    assert "<em>it</em>" in out
    assert "<em>it2</em>" in out
    assert "<strong>b2</strong>" in out
    assert "<del>gone</del>" in out
    assert '<code class="ss-code-inline">a*b*c</code>' in out
    assert "snake_case_name" in out
    assert "2 * 3 * 4" in out


def test_code_span_content_is_escaped_and_literal() -> None:
    out = markdown_to_html("use `<b>**x**</b>` here")
    assert '<code class="ss-code-inline">&lt;b&gt;**x**&lt;/b&gt;</code>' in out


def test_fenced_code_block_with_sanitized_language() -> None:
    out = markdown_to_html('```Py"thon <x> extra\nif a < b:\n    print("*x*")\n```\nafter')
    assert out.startswith('<pre class="ss-code"><code class="language-python" data-lang="python">')
    assert "if a &lt; b:\n    print(&quot;*x*&quot;)</code></pre>" in out
    assert "<p>after</p>" in out
    unclosed = markdown_to_html("~~~\nstill code")
    assert unclosed == '<pre class="ss-code"><code>still code</code></pre>'


def test_lists() -> None:
    out = markdown_to_html("- a\n- b\n  - c\n- d\n\n1. one\n2. two\n\n3) three")
    assert out.startswith(
        "<ul>\n<li>a</li>\n<li>b\n<ul>\n<li>c</li>\n</ul></li>\n<li>d</li>\n</ul>"
    )
    assert "<ol>\n<li>one</li>\n<li>two</li>\n</ol>" in out
    assert '<ol start="3">\n<li>three</li>\n</ol>' in out


def test_loose_list_items_get_paragraphs() -> None:
    out = markdown_to_html("- a\n\n- b")
    assert out == "<ul>\n<li><p>a</p></li>\n<li><p>b</p></li>\n</ul>"


def test_blockquote_and_rule() -> None:
    out = markdown_to_html("> quoted **x**\n> more\n\n---\n\n***")
    assert out.startswith("<blockquote>\n<p>quoted <strong>x</strong><br>more</p>\n</blockquote>")
    assert out.count("<hr>") == 2


def test_links() -> None:
    out = markdown_to_html(
        '[the *docs*](https://example.com/a?b=1&c=2 "Title") and [m](mailto:x@y.z)'
    )
    assert (
        f'<a href="https://example.com/a?b=1&amp;c=2" title="Title" {LINK_ATTRS}>'
        "the <em>docs</em></a>"
    ) in out
    assert f'<a href="mailto:x@y.z" {LINK_ATTRS}>m</a>' in out


def test_markup_in_a_link_title_cannot_break_the_attribute() -> None:
    for source in (
        '[a](https://x.example "`x` onmouseover=alert(1)")',
        '[a](https://x.example "\\* onmouseover=alert(1)")',
        '[a](https://x.example "**b** onmouseover=alert(1)")',
    ):
        out = markdown_to_html(source)
        assert_inert(out)
        assert hrefs(out) == ["https://x.example"]


def test_link_with_parentheses_in_url() -> None:
    out = markdown_to_html("[wiki](https://en.wikipedia.org/wiki/Foo_(bar))")
    assert hrefs(out) == ["https://en.wikipedia.org/wiki/Foo_(bar)"]


def test_autolinks() -> None:
    out = markdown_to_html("see <https://a.example/x> or https://b.example/y?q=1&r=2. Done")
    assert hrefs(out) == ["https://a.example/x", "https://b.example/y?q=1&r=2"]
    assert visible_text(out) == "see https://a.example/x or https://b.example/y?q=1&r=2. Done"


def test_images_are_never_loaded() -> None:
    out = markdown_to_html("![a cat](https://example.com/cat.png)")
    assert "<img" not in out
    assert visible_text(out) == "[image: a cat] https://example.com/cat.png"
    assert '<span class="ss-image-url">https://example.com/cat.png</span>' in out
    assert hrefs(out) == []


def test_table() -> None:
    out = markdown_to_html("| a | b |\n|:--|--:|\n| 1 | **2** |\n| x |")
    tags, text = parse(out)
    assert [t for t, _ in tags].count("tr") == 3
    assert '<td style="text-align:right"><strong>2</strong></td>' in out
    assert out.startswith('<div class="ss-table-wrap"><table>')
    assert "1" in text and "x" in text


def test_backslash_escapes() -> None:
    out = markdown_to_html(r"\*not em\* and \`tick\`")
    assert "<em>" not in out and "<code" not in out
    assert visible_text(out) == "*not em* and `tick`"


def test_empty_and_whitespace() -> None:
    assert markdown_to_html("") == ""
    assert markdown_to_html("\n\n  \n") == ""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"<>\"'&`*_~[]()!#-+|:/\\ \n\t=.1a",
                *(
                    "javascript:",
                    "onerror=",
                    "<script>",
                    "https://",
                    "](",
                    "```",
                    "&#106;",
                    "<img ",
                ),
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_any_input_is_inert(source: str) -> None:
    out = markdown_to_html(source)
    assert_inert(out)

"""Regions: splices that bring a page up to date, the static expansion, and the sanitizer wall."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from view_harness import apply_patch, node_page_parts

from streamscope.widgets.render.regions import RegionStore, common_prefix, slot
from streamscope.widgets.render.sanitize import clean, wire_text


@settings(max_examples=300)
@given(st.text(), st.text())
def test_common_prefix(a: str, b: str) -> None:
    k = common_prefix(a, b)
    assert a[:k] == b[:k]
    assert k == min(len(a), len(b)) or a[k] != b[k]


texts = st.text(alphabet=st.sampled_from(list("ab<>&\"'é🎉\n")), max_size=30)
versions = st.lists(
    st.lists(texts.map(lambda t: f"<p>{t}</p>"), max_size=5), min_size=1, max_size=8
)


@settings(max_examples=200, deadline=None)
@given(versions)
def test_ops_rebuild_exactly_what_the_store_holds(history: list[list[str]]) -> None:
    store = RegionStore()
    page: dict[str, list[str]] = {}
    for seq, parts in enumerate(history, 1):
        op = store.update("r", parts)
        if op is not None:
            apply_patch(page, {"seq": seq, "ops": [op]})
        assert page.get("r", []) == store.parts.get("r", [])


def test_a_growing_part_costs_only_its_new_characters() -> None:
    store = RegionStore()
    store.update("r", ["<p>" + "x" * 10_000 + "</p>"])
    op = store.update("r", ["<p>" + "x" * 10_000 + "yz</p>"])
    assert op == ["r", 1, [0, 4, "yz</p>"]]


def test_splices_count_utf16_code_units() -> None:
    store = RegionStore()
    store.update("r", ["<p>a🎉🎉</p>"])
    op = store.update("r", ["<p>a🎉b</p>"])
    assert op is not None
    _, count, (index, drop, tail) = op
    assert (count, index, tail) == (1, 0, "b</p>")
    assert drop == 2 + len("</p>")  # one astral character is two UTF-16 units


def test_unchanged_parts_are_not_sent_and_later_parts_are() -> None:
    store = RegionStore()
    store.update("r", ["<p>a</p>", "<p>b</p>", "<p>c</p>"])
    assert store.update("r", ["<p>a</p>", "<p>b</p>", "<p>c</p>"]) is None
    assert store.update("r", ["<p>a</p>", "<p>B</p>", "<p>c</p>"]) == [
        "r", 3, [1, len("b</p>"), "B</p>"]
    ]  # fmt: skip
    assert store.update("r", ["<p>a</p>"]) == ["r", 1]


def test_several_changed_parts_are_each_a_splice() -> None:
    store = RegionStore()
    rows = [f"<li>row {i} " + "x" * 500 + "</li>" for i in range(4)]
    store.update("r", rows)
    grown = [row.replace("</li>", "yy</li>") for row in rows]
    op = store.update("r", grown)
    assert op == ["r", 4, *([i, len("</li>"), "yy</li>"] for i in range(4))]


def test_expand_fills_slots_and_leaves_out_controls() -> None:
    store = RegionStore()
    store.update("root", [f"<div>{slot('child', cls='c')}{slot('ctl:buttons')}</div>"])
    store.update("child", ["<p>one</p>", f"<p>two {slot('grandchild', 'span')}</p>"])
    store.update("grandchild", ["<b>three</b>"])
    store.update("ctl:buttons", ['<button type="button">Stop</button>'])
    static = store.expand("root")
    assert "<p>one</p>" in static and "<b>three</b>" in static
    assert "Stop" not in static
    assert "Stop" in store.expand("root", controls=True)


def test_expand_is_iterative() -> None:
    store = RegionStore()
    for depth in range(5_000):
        store.update(f"r{depth}", [f"<div>{slot(f'r{depth + 1}')}</div>"])
    assert store.expand("r0").count("<div>") >= 5_000


def test_text_that_spells_a_slot_is_not_a_slot() -> None:
    store = RegionStore()
    fake = '&lt;div data-ss-region="secret"&gt;&lt;/div&gt;'
    store.update("root", [f"<p>{fake}</p>"])
    store.update("secret", ["<b>hidden</b>"])
    assert "hidden" not in store.expand("root")


def test_the_sanitizer_keeps_our_markup_and_drops_the_rest() -> None:
    kept = '<details open="" data-ss-key="k"><summary>s</summary><p class="x">t</p></details>'
    assert clean(kept) == kept
    hostile = (
        '<img src=x onerror="alert(1)"><script>alert(1)</script><a href="javascript:x">a</a>'
        '<p onclick="x" style="color:red">p</p><iframe src="x"></iframe>'
    )
    out = clean(hostile)
    for bad in ("<img", "<script", "javascript:", "onclick", "color:red", "<iframe", "onerror"):
        assert bad not in out


def test_lone_surrogates_become_replacement_characters() -> None:
    assert wire_text("a\ud83db") == "a\ufffdb"
    assert wire_text("ok 🎉") == "ok 🎉"
    assert clean("<p>a\udc00</p>") == "<p>a\ufffd</p>"


def test_surface_js_applies_patches_like_the_kernel(tmp_path: Path) -> None:
    store = RegionStore()
    initial = {"root": "r", "seq": 0, "regions": {}}
    patches = []
    history = [
        ["<p>a</p>"],
        ["<p>ab🎉</p>", "<p>x</p>"],
        ["<p>ab🎉c</p>", "<p>x</p>", "<p>y</p>"],
        ["<p>ab🎉c</p>"],
        ["<p>é</p>", "<p>z</p>"],
    ]
    for seq, parts in enumerate(history, 1):
        op = store.update("r", parts)
        assert op is not None
        patches.append({"type": "patch", "seq": seq, "ops": [op]})
    # delivered out of order: the store buffers, asks for a resync once, then catches up
    shuffled = [patches[0], patches[2], patches[1], patches[3], patches[4]]
    result = node_page_parts(initial, shuffled, tmp_path)
    assert result["parts"] == store.snapshot()
    assert result["seq"] == len(history)
    assert [m["type"] for m in result["sent"]] == ["resync"]

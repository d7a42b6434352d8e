"""What checking tool arguments against their schema while they stream costs the reducer.

Run: ``.venv/bin/python benchmarks/bench_validation.py [repeat]``. Reduces each stream with a
plain ``StreamState()`` (unvalidated) and with the tools' schemas
(``StreamState(tools=...)``: every value checked once, when it completes) and prints the
times and the ratio validated / unvalidated, for:

1. the gallery's 200 KB recording (``write_file_200kb``: one 205 KB string argument in
   about 900 deltas; its schemas come from the cassette's header);
2. the heavy message (heavy_message.py: four tool calls of 50 KB of JSON each, thousands
   of small values, 8-byte deltas interleaved), and the same at 200 KB per tool, where
   linear work grows 4x.

Each in two ways: the input (and its violations) read once at the end, and read after
every event (the worst a view can do; a view reads once per frame).

Then the two candidate engines of issue 19, side by side (``engines``): ``jsonschema-rs``
(Rust; patterns on the ``regex`` crate, linear time) and ``jsonschema`` with
``pattern``/``patternProperties`` on ``google-re2`` (linear time; install it to run that
column: ``pip install google-re2``): time to validate the heavy message's arguments whole,
the backtracking pattern of the issue at growing lengths, and agreement with the reference
(``jsonschema`` itself) on the corpus of ``tests/schema_corpus.py``. jsonschema-rs is the
one streamscope uses.
"""

from __future__ import annotations

import functools
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from heavy_message import heavy_message_events

from streamscope.core import StreamState, gallery
from streamscope.core.io.cassette import read_cassette
from streamscope.core.schema.validation import validate_arguments
from streamscope.core.stream.blocks import ToolUseBlock

EDIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "minLength": 1, "pattern": r"\.py$"},
        "mode": {"type": "string", "enum": ["create", "overwrite", "patch"]},
        "options": {
            "type": "object",
            "properties": {
                "dry_run": {"type": "boolean"},
                "indent": {"type": "integer", "minimum": 0, "maximum": 8},
                "encoding": {"type": "string"},
                "ratio": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "additionalProperties": False,
        },
        "edits": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer", "minimum": 1},
                    "text": {"type": "string", "maxLength": 1000},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
                },
                "required": ["line", "text"],
                "additionalProperties": False,
            },
        },
        "summary": {"type": "string"},
    },
    "required": ["path", "mode", "edits"],
    "additionalProperties": False,
}
HEAVY_TOOLS = {f"write_file_{k}": EDIT_SCHEMA for k in range(4)}


def reduce_once(events: list[Any], tools: Any) -> int:
    state = StreamState(tools=tools)
    for event in events:
        state.apply(event)
    state.finish()
    found = 0
    for block in state.blocks:
        if isinstance(block, ToolUseBlock):
            _ = block.input
            found += len(block.violations)
    return found


def reduce_reading_every_event(events: list[Any], tools: Any) -> int:
    state = StreamState(tools=tools)
    found = 0
    for event in events:
        state.apply(event)
        for block in state.blocks:
            if isinstance(block, ToolUseBlock):
                _ = block.input
                found = len(block.violations)
    state.finish()
    return found


def best_of(
    fn: Callable[[list[Any], Any], int], events: list[Any], tools: Any, repeat: int
) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn(events, tools)
        times.append(time.perf_counter() - start)
    return min(times)


def row(label: str, events: list[Any], tools: Any, repeat: int) -> dict[str, float]:
    assert reduce_once(events, tools) == 0, "the benchmark's arguments must be valid"
    out: dict[str, float] = {}
    for mode, fn in (("end", reduce_once), ("every event", reduce_reading_every_event)):
        plain = best_of(fn, events, None, repeat)
        checked = best_of(fn, events, tools, repeat)
        out[mode] = checked
        print(
            f"  {label:28} read at {mode:11}: unvalidated {plain:7.3f} s, "
            f"validated {checked:7.3f} s, ratio {checked / plain:5.2f}x"
        )
    return out


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    cassette = read_cassette(gallery.path("write_file_200kb"))
    request = cassette.request or {}
    print(f"best of {repeat}; validated: StreamState(tools=...) with each tool's input_schema\n")
    print(f"write_file_200kb: {len(cassette.events):,} events, schemas from the header")
    row("200 KB recording", cassette.events, request.get("tools"), repeat)
    heavy50 = heavy_message_events(50_000)
    heavy200 = heavy_message_events(200_000)
    print(f"\nheavy message: {len(heavy50):,} events (50 KB per tool), {len(heavy200):,} (200 KB)")
    small = row("heavy, 50 KB per tool", heavy50, HEAVY_TOOLS, repeat)
    large = row("heavy, 200 KB per tool", heavy200, HEAVY_TOOLS, repeat)
    print("\ngrowth of the validated reducer, 50 -> 200 KB per tool (linear: 4x)")
    for mode in ("end", "every event"):
        print(f"  read at {mode:11}: {large[mode] / small[mode]:5.1f}x")


def re2_validator_class() -> Any:
    """``jsonschema``'s draft 2020-12 validator with its patterns on RE2 (linear time)."""
    import jsonschema
    import re2

    def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Any:
        if isinstance(instance, str) and not re2.search(patrn, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    def pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Any:
        if not isinstance(instance, dict):
            return
        for patrn, subschema in patterns.items():
            for key, value in instance.items():
                if re2.search(patrn, key):
                    yield from validator.descend(value, subschema, path=key, schema_path=patrn)

    return jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        {"pattern": pattern, "patternProperties": pattern_properties},
    )


def engines(repeat: int) -> None:
    import jsonschema
    import jsonschema_rs

    sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    from schema_corpus import GROUPS

    try:
        re2_class: Any = re2_validator_class()
    except ImportError:
        re2_class = None
    options: dict[str, Any] = {"pattern_options": jsonschema_rs.RegexOptions()}
    print("\nengines side by side (best of", repeat, "runs)")
    events = heavy_message_events(200_000)
    state = StreamState()
    for event in events:
        state.apply(event)
    state.finish()
    inputs = [b.input for b in state.blocks if isinstance(b, ToolUseBlock)]
    assert len(json.dumps(inputs)) > 800_000, "the heavy message's four inputs, parsed"
    rs = jsonschema_rs.validator_for(EDIT_SCHEMA, **options)
    ref = jsonschema.Draft202012Validator(EDIT_SCHEMA)

    def best(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    t_rs = best(lambda: [rs.is_valid(i) for i in inputs])
    t_ref = best(lambda: [ref.is_valid(i) for i in inputs])
    line = f"  heavy message, 4 x 200 KB whole: jsonschema-rs {t_rs * 1e3:8.2f} ms"
    if re2_class is not None:
        re2v = re2_class(EDIT_SCHEMA)
        t_re2 = best(lambda: [re2v.is_valid(i) for i in inputs])
        line += f", jsonschema+re2 {t_re2 * 1e3:8.2f} ms ({t_re2 / t_rs:5.1f}x)"
    print(line + f", jsonschema (re) {t_ref * 1e3:8.2f} ms ({t_ref / t_rs:5.1f}x)")
    t_ours = best(lambda: [validate_arguments(EDIT_SCHEMA, i) for i in inputs])
    print(
        f"  validate_arguments (streaming order, words): {t_ours * 1e3:8.2f} ms "
        f"({t_ours / t_rs:5.1f}x jsonschema-rs alone)"
    )
    backtracking = {"pattern": "^(\\w+\\s?)*$"}
    rs_bt = jsonschema_rs.validator_for(backtracking, **options)
    for n in (20, 24, 35, 10_000):
        value = "a" * n + "!"
        t_rs_bt = best(functools.partial(rs_bt.is_valid, value))
        row = f"  pattern ^(\\w+\\s?)*$, {n:>6} chars: jsonschema-rs {t_rs_bt * 1e6:9.1f} us"
        if re2_class is not None:
            t_re2_bt = best(functools.partial(re2_class(backtracking).is_valid, value))
            row += f", jsonschema+re2 {t_re2_bt * 1e6:9.1f} us"
        if n <= 24:
            plain = jsonschema.Draft202012Validator(backtracking)
            t_plain = best(functools.partial(plain.is_valid, value))
            row += f", jsonschema (re) {t_plain * 1e6:11.1f} us"
        else:
            row += ", jsonschema (re) never returns"
        print(row)
    pairs = [(schema, value) for _, schema, values in GROUPS for value in values]
    agree_rs = agree_re2 = judged = 0
    for schema, value in pairs:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
            expected: object = jsonschema.Draft202012Validator(schema).is_valid(value)
        except Exception:
            expected = "unusable"
        judged += 1
        try:
            got: object = jsonschema_rs.validator_for(schema, **options).is_valid(value)
        except Exception:
            got = "unusable"
        agree_rs += got == expected
        if re2_class is not None:
            try:
                got = re2_class(schema).is_valid(value) if expected != "unusable" else expected
            except Exception:
                got = "raised"
            agree_re2 += got == expected
    print(
        f"  agreement with jsonschema on the corpus's {judged} judged pairs: "
        f"jsonschema-rs {agree_rs / judged:.1%}"
        + (f", jsonschema+re2 {agree_re2 / judged:.1%}" if re2_class is not None else "")
    )


if __name__ == "__main__":
    main()
    engines(int(sys.argv[1]) if len(sys.argv) > 1 else 5)

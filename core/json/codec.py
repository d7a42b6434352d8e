"""JSON in and out of the core: the exact text, strict JSON, and no recursion at any depth.

How it works: ``docs/internals.md``, section ``streamscope.core.json.codec``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any, Final, TypeVar

from streamscope.core.json.depth import MAX_DEPTH, NestingTooDeepError, json_depth, text_depth
from streamscope.core.json.partial import PartialJSON

__all__ = [
    "coerce_json",
    "copy_json",
    "dumps_exact",
    "limit_depth",
    "loads",
]

# Below this depth json's C encoder is used (it recurses once per level; the interpreter's
# limit is 1,000 frames in all, callers included); deeper values take the iterative encoder.
_C_ENCODER_DEPTH: Final = 200
_MAX_NOTES: Final = 20  # coercions described one by one; the rest are counted
_INT_BITS: Final = 14_000  # ints this long may exceed str()'s 4,300-digit limit: checked
_SURROGATE: Final = re.compile("[\ud800-\udfff]")

_T = TypeVar("_T")


# --------------------------------------------------------------------------- reading


def loads(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads(text)``, but nesting deeper than ``max_depth`` is a ValueError
    (:class:`NestingTooDeepError`) and any depth up to it parses, however deep the caller's
    stack is. Never raises ``RecursionError``."""
    if text.count("[") + text.count("{") > max_depth:
        depth = text_depth(text)
        if depth > max_depth:
            raise NestingTooDeepError(f"JSON nested {depth} levels deep (the limit is {max_depth})")
    try:
        return json.loads(text)
    except RecursionError:
        pass
    # json's C decoder recursed into the interpreter's limit: parse without recursion.
    parser = PartialJSON(max_depth=max_depth)
    parser.feed(text)
    parser.finish()
    if parser.error is not None:
        raise ValueError(parser.error)
    return parser.value


# --------------------------------------------------------------------------- copying


def copy_json(value: _T) -> _T:
    """A deep copy of JSON data (dicts and lists; anything else is shared, as immutable),
    made without recursion. Shared and cyclic containers are copied once, as
    ``copy.deepcopy`` does."""
    if type(value) is dict:
        root: Any = {}
    elif type(value) is list:
        root = []
    else:
        return value
    memo: dict[int, Any] = {id(value): root}
    stack: list[tuple[Any, Any]] = [(value, root)]

    def copy_of(item: Any) -> Any:
        """A container's copy (made once, filled later from the stack); a leaf as is."""
        kind = type(item)
        if kind is not dict and kind is not list:
            return item
        copied = memo.get(id(item))
        if copied is None:
            copied = memo[id(item)] = {} if kind is dict else []
            stack.append((item, copied))
        return copied

    while stack:
        source, target = stack.pop()
        if type(source) is dict:
            for key, item in source.items():
                target[key] = copy_of(item)
        else:
            target.extend(copy_of(item) for item in source)
    return root  # type: ignore[no-any-return]


def limit_depth(data: Any, max_depth: int) -> Any:
    """JSON data no deeper than ``max_depth``: a copy in which each container that would be
    deeper is replaced by its JSON text (a string), so it is still there to read. Data
    within the limit comes back as is."""
    if json_depth(data) <= max_depth:
        return data
    if max_depth < 1:
        return dumps_exact(data)
    root: Any = {} if isinstance(data, dict) else []
    stack: list[tuple[Any, Any, int]] = [(data, root, 1)]
    while stack:
        source, target, depth = stack.pop()
        pairs = source.items() if isinstance(source, dict) else ((None, v) for v in source)
        for key, item in pairs:
            if isinstance(item, (dict, list)):
                if depth >= max_depth:
                    item = dumps_exact(item)
                else:
                    copied: Any = {} if isinstance(item, dict) else []
                    stack.append((item, copied, depth + 1))
                    item = copied
            if key is None:
                target.append(item)
            else:
                target[key] = item
    return root


# --------------------------------------------------------------------------- coercing


def _is_json_data(value: object, max_depth: int | None) -> bool:
    """True when ``value`` is plain JSON data (dict with str keys, list, str, int, finite
    float, bool, None; exact types) no deeper than ``max_depth``; walked without recursion."""
    limit = max_depth if max_depth is not None else MAX_DEPTH
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        for item in stack[-1]:
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue
            if kind is int:
                if item.bit_length() > _INT_BITS:
                    return False
                continue
            if kind is float:
                if not math.isfinite(item):
                    return False
                continue
            if kind is dict:
                for key in item:
                    if type(key) is not str:
                        return False
                if len(stack) > limit:
                    return False
                stack.append(iter(item.values()))
                break
            if kind is list:
                if len(stack) > limit:
                    return False
                stack.append(iter(item))
                break
            return False
        else:
            stack.pop()
    return True


class _Notes:
    """The coercions made, described one by one up to a limit, then counted."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.more = 0

    def add(self, path: str, what: str) -> None:
        if len(self.lines) < _MAX_NOTES:
            self.lines.append(f"{path}: {what}")
        else:
            self.more += 1

    def result(self) -> list[str]:
        if self.more:
            return [*self.lines, f"... and {self.more} more"]
        return list(self.lines)


def _key(key: object, path: str, notes: _Notes) -> str:
    """A dict key as a string: what ``json.dumps`` writes for None, bools and numbers."""
    if type(key) is str:
        return key
    if isinstance(key, str):
        return str.__str__(key)
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return _int_text(int(key))
    if isinstance(key, float):
        if not math.isfinite(key):
            notes.add(path, f"key {key!r} written as a string")
        return float.__repr__(key)
    if isinstance(key, (bytes, bytearray, memoryview)):
        notes.add(path, "bytes key written as text")
        return bytes(key).decode("utf-8", errors="backslashreplace")
    notes.add(path, f"{type(key).__name__} key written as its repr()")
    return _safe_repr(key)


def _int_text(value: int) -> str:
    try:
        return int.__repr__(value)
    except ValueError:  # longer than sys.get_int_max_str_digits()
        digits = int(value.bit_length() * 0.30103) + 1
        return f"<integer of about {digits} digits>"


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a broken __repr__ must not stop the write
        return f"<{type(value).__name__} (repr failed: {type(exc).__name__})>"


def _open(value: Any, path: str, notes: _Notes) -> tuple[Any, Iterator[tuple[Any, Any]] | None]:
    """Convert one value: a JSON scalar (and None), or a new empty container plus the
    ``(key, child)`` pairs to fill it with (key None for lists)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value, None
    if kind is int:
        if value.bit_length() > _INT_BITS:
            text = _int_text(value)
            if text.startswith("<"):
                notes.add(path, f"an {text[1:-1]} written as a string")
                return text, None
        return value, None
    if kind is float:
        if math.isfinite(value):
            return value, None
        notes.add(path, f"{value!r} written as null")
        return None, None
    if kind is dict or isinstance(value, Mapping):
        try:
            items = list(value.items())
        except Exception as exc:
            notes.add(
                path, f"unreadable {kind.__name__} ({type(exc).__name__}) written as its repr()"
            )
            return _safe_repr(value), None
        return {}, ((_key(k, path, notes), v) for k, v in items)
    if kind is list or kind is tuple:
        return [], ((None, v) for v in value)
    if isinstance(value, str):
        return str.__str__(value), None
    if isinstance(value, bool):
        return bool(value), None
    if isinstance(value, int):
        return _open(int(value), path, notes)
    if isinstance(value, float):
        return _open(float.__float__(value), path, notes)
    if isinstance(value, (list, tuple)):
        return [], ((None, v) for v in value)
    if isinstance(value, (set, frozenset)):
        notes.add(path, f"{kind.__name__} written as a list")
        items = list(value)
        with contextlib.suppress(Exception):  # the order only makes files reproducible
            items.sort(key=_safe_repr)
        return [], ((None, v) for v in items)
    if isinstance(value, (bytes, bytearray, memoryview)):
        notes.add(path, f"{kind.__name__} written as text")
        return bytes(value).decode("utf-8", errors="backslashreplace"), None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        try:
            fields = [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
        except Exception as exc:
            notes.add(path, f"unreadable dataclass ({type(exc).__name__}) written as its repr()")
            return _safe_repr(value), None
        return {}, iter(fields)
    if callable(getattr(value, "model_dump", None)) or callable(getattr(value, "to_dict", None)):
        from streamscope.core.json.plain import dump_model

        try:
            data = dump_model(value, "auto", warnings=False)
        except Exception as exc:
            notes.add(path, f"{kind.__name__} could not be dumped ({exc}); written as its repr()")
            return _safe_repr(value), None
        if data is not value:
            if isinstance(data, dict):
                return {}, ((_key(k, path, notes), v) for k, v in data.items())
            return _open(data, path, notes)
    notes.add(path, f"{kind.__name__} written as its repr()")
    return _safe_repr(value), None


def coerce_json(value: Any, *, max_depth: int | None = None) -> tuple[Any, list[str]]:
    """``value`` as plain JSON data, and a sentence per coercion made (see the module
    docstring). Plain JSON data comes back as the same object with no notes; anything
    else is a new tree. Beyond ``max_depth`` (None: no limit) raises
    :class:`NestingTooDeepError`. Never recurses; never raises otherwise."""
    if _is_json_data(value, max_depth):
        return value, []
    notes = _Notes()
    root, items = _open(value, "$", notes)
    if items is None:
        return root, notes.result()
    # frames: (pairs to convert, container they go into, id of the source, its path)
    stack: list[tuple[Iterator[tuple[Any, Any]], Any, int, str]] = [(items, root, id(value), "$")]
    on_path = {id(value)}
    while stack:
        pairs, target, ident, path = stack[-1]
        for key, item in pairs:
            child_path = f"{path}[{key!r}]" if key is not None else f"{path}[{len(target)}]"
            converted, child_items = _open(item, child_path, notes)
            if child_items is not None and id(item) in on_path:
                notes.add(child_path, "a container inside itself written as '<cycle>'")
                converted, child_items = "<cycle>", None
            if key is None:
                target.append(converted)
            else:
                target[key] = converted
            if child_items is not None:
                if max_depth is not None and len(stack) >= max_depth:
                    raise NestingTooDeepError(f"nested deeper than {max_depth} levels")
                stack.append((child_items, converted, id(item), child_path))
                on_path.add(id(item))
                break
        else:
            stack.pop()
            on_path.discard(ident)
    return root, notes.result()


# --------------------------------------------------------------------------- writing


class _Refused(Exception):
    """Raised by the fast path's ``default``: the value needs coercing."""


def _refuse(value: object) -> object:
    raise _Refused


def _escape_surrogates(text: str) -> str:
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dumps_exact(
    value: Any,
    *,
    indent: int | str | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
    ensure_ascii: bool = False,
    notes: list[str] | None = None,
) -> str:
    """``value`` as strict JSON text that keeps its strings exactly; never raises.

    Same arguments and output as ``json.dumps`` for plain JSON data, except that a lone
    surrogate is written as its ``\\udXXX`` escape even with ``ensure_ascii=False`` (so
    the text encodes to UTF-8). Anything JSON cannot hold is coerced as the module
    docstring says, and when ``notes`` is given a sentence per coercion is appended to it.
    Any depth is written (deep values without recursion).
    """
    try:
        text = json.dumps(
            value,
            ensure_ascii=ensure_ascii,
            allow_nan=False,
            indent=indent,
            separators=separators,
            sort_keys=sort_keys,
            default=_refuse,
        )
    except (_Refused, ValueError, TypeError, RecursionError):
        data, found = coerce_json(value)
        if notes is not None:
            notes.extend(found)
        if json_depth(data) < _C_ENCODER_DEPTH:
            text = json.dumps(
                data,
                ensure_ascii=ensure_ascii,
                indent=indent,
                separators=separators,
                sort_keys=sort_keys,
            )
        else:
            text = _encode_deep(data, indent, separators, sort_keys, ensure_ascii)
    return _escape_surrogates(text)


def _encode_deep(
    data: Any,
    indent: int | str | None,
    separators: tuple[str, str] | None,
    sort_keys: bool,
    ensure_ascii: bool,
) -> str:
    """``json.dumps`` of plain JSON data, same output, with an explicit stack."""
    if isinstance(indent, int):
        indent = " " * indent
    if separators is None:
        separators = (", ", ": ") if indent is None else (",", ": ")
    item_sep, key_sep = separators
    string: Callable[[str], str] = encode_basestring_ascii if ensure_ascii else encode_basestring
    out: list[str] = []

    def scalar(item: Any) -> str:
        if item is None:
            return "null"
        if item is True:
            return "true"
        if item is False:
            return "false"
        if isinstance(item, str):
            return string(item)
        if isinstance(item, int):
            return int.__repr__(item)
        return float.__repr__(item)

    def open_(item: Any) -> tuple[Iterator[tuple[Any, Any]], str] | None:
        """Write the opening of a non-empty container; None for anything else."""
        if isinstance(item, dict) and item:
            pairs = sorted(item.items()) if sort_keys else item.items()
            out.append("{")
            return iter(pairs), "}"
        if isinstance(item, list) and item:
            out.append("[")
            return ((None, v) for v in item), "]"
        if isinstance(item, dict):
            out.append("{}")
        elif isinstance(item, list):
            out.append("[]")
        else:
            out.append(scalar(item))
        return None

    first = open_(data)
    if first is None:
        return "".join(out)
    # frames: [pairs, closer, is this the first member]
    stack: list[list[Any]] = [[first[0], first[1], True]]
    while stack:
        frame = stack[-1]
        pair = next(frame[0], None)
        level = len(stack)
        if pair is None:
            stack.pop()
            if indent is not None:
                out.append("\n" + indent * (level - 1))
            out.append(frame[1])
            continue
        if not frame[2]:
            out.append(item_sep)
        frame[2] = False
        if indent is not None:
            out.append("\n" + indent * level)
        key, item = pair
        if key is not None:
            out.append(string(key))
            out.append(key_sep)
        opened = open_(item)
        if opened is not None:
            stack.append([opened[0], opened[1], True])
    return "".join(out)

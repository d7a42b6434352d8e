"""Incremental parsing of one JSON document that arrives in fragments.

How it works: ``docs/internals.md``, section ``streamscope.core.json.partial``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from json.decoder import JSONDecoder
from typing import Final, TypeAlias

from streamscope.core.json.depth import MAX_DEPTH, json_depth

try:
    from _json import scanstring  # json's C string decoder (CPython)
except ImportError:  # pragma: no cover - other interpreters
    from json.decoder import py_scanstring as scanstring  # type: ignore[attr-defined,no-redef]

__all__ = ["MISSING", "PartialJSON"]


class _Missing:
    """Type of :data:`MISSING`: no value has started yet."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __copy__(self) -> _Missing:
        return self

    def __deepcopy__(self, memo: object) -> _Missing:
        return self

    def __reduce__(self) -> str:
        return "MISSING"  # pickles as a reference to the module-level singleton


MISSING: Final[object] = _Missing()
"""Sentinel returned by :attr:`PartialJSON.value` before any value has started."""

_Container: TypeAlias = "dict[str, object] | list[object]"

# Parser states.
_VALUE: Final = 0  # a value must start (top level, after ':' or after ',' in a list)
_VALUE_OR_CLOSE: Final = 1  # just after '['
_KEY_OR_CLOSE: Final = 2  # just after '{'
_KEY: Final = 3  # after ',' in an object
_COLON: Final = 4  # after an object key
_AFTER: Final = 5  # after a member of the innermost container
_STRING: Final = 6  # inside a string (key or value)
_NUMBER: Final = 7  # inside a number token
_LITERAL: Final = 8  # inside true / false / null
_DONE: Final = 9  # top-level value complete; only whitespace may follow
_ERROR: Final = 10  # syntax error; further input is ignored

# Runs of string body that need no decoding: everything but '"', '\' and control characters.
_STR_RUN: Final = re.compile(r'[^"\\\x00-\x1f]+')
_WS_RUN: Final = re.compile(r"[ \t\n\r]+")
_WS_CHARS: Final = " \t\n\r"
# A maximal run of number characters. In valid JSON a number is always followed by
# whitespace, ',', ']', '}' or the end, so the run is exactly one number token.
_NUM_RUN: Final = re.compile(r"[0-9eE+\-.]+")
_NUMBER_TOKEN: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_BULK_FAILURES: Final = 4  # failed C-decoder tries allowed per fed text
_FAST_MIN: Final = 64  # remaining characters from which a json.scanstring attempt pays off
_HEX4: Final = re.compile(r"[0-9a-fA-F]{4}")
_HEX_PREFIX: Final = re.compile(r"[0-9a-fA-F]*")
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_LITERALS: Final[dict[str, tuple[str, object]]] = {
    "t": ("true", True),
    "f": ("false", False),
    "n": ("null", None),
}


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


# json.loads semantics minus NaN / Infinity: decodes a whole container in C when a large
# text holds all of it (see PartialJSON._run).
_DECODER: Final = JSONDecoder(parse_constant=_reject_constant)


class PartialJSON:
    """Incrementally parse one JSON document fed in arbitrary chunks.

    :attr:`value` returns the live containers the parser keeps filling (no copy is made on
    read, which would make reading quadratic): callers that keep a value across later
    :meth:`feed` calls must copy it themselves.

    ``on_complete(path, value, whole)``, when given, is called once for every value the
    moment it is complete, in document order (members before their container): a string
    at its closing quote, a number or literal when the character after it arrives, an
    object or array at its closing bracket. ``path`` is the value's JSON path (``()`` for
    the top level); ``whole`` is True for a container that arrived in one piece (decoded
    at once from one fed text), whose members were not reported one by one. It costs one
    attribute test per completed value when not given, nothing on the hot path (a piece of
    string body). It must not raise.
    """

    __slots__ = (
        "_base",
        "_carry",
        "_dirty",
        "_error",
        "_fed",
        "_finished",
        "_high",
        "_key",
        "_leaf",
        "_lit_n",
        "_lit_value",
        "_lit_word",
        "_max_depth",
        "_num",
        "_on_complete",
        "_path",
        "_pieces",
        "_root",
        "_slot",
        "_stack",
        "_started",
        "_state",
        "_str_key",
        "_tok_start",
    )

    def __init__(
        self,
        *,
        max_depth: int = MAX_DEPTH,
        on_complete: Callable[[tuple[str | int, ...], object, bool], object] | None = None,
    ) -> None:
        self._max_depth = max_depth
        self._on_complete = on_complete
        self._state: int = _VALUE
        self._started = False  # a top-level value has started
        self._finished = False
        self._error: str | None = None
        self._root: object = MISSING
        self._stack: list[_Container] = []  # open containers, outermost first
        self._path: list[str | int] = []  # slot of each open container but the root
        self._key = ""  # last complete key of the innermost object
        self._leaf = False  # a string value, number or literal is being written
        self._slot: str | int = 0  # its slot in the innermost container
        # String being scanned: decoded pieces, pending high surrogate from a \u escape,
        # undecoded tail of an escape split across chunks.
        self._str_key = False
        self._pieces: list[str] = []
        self._dirty = False  # pieces of a string value not yet copied into its container
        self._high = ""
        self._carry = ""
        self._num: list[str] = []  # pieces of the number token being scanned
        self._lit_word = ""
        self._lit_value: object = None
        self._lit_n = 0  # characters of _lit_word matched so far
        self._tok_start = 0  # offset where the current number or literal began
        self._fed = 0  # characters fed so far
        self._base = 0  # offset of the text being scanned

    # ------------------------------------------------------------------ public API

    def feed(self, chunk: str) -> None:
        """Consume the next fragment of the document. Never raises.

        Input after :meth:`finish` or after a syntax error is ignored.
        """
        if self._state == _STRING and not self._carry and not self._high:
            # Hot path: a piece of string body (most deltas). Plain text is kept as is;
            # complete escapes are decoded by json's C scanner. Anything else (a quote, an
            # escape cut at the end, a surrogate half, a control character) takes the
            # general path below.
            decoded: str | None = None
            if _STR_RUN.fullmatch(chunk) is not None:
                decoded = chunk
            elif (
                '"' not in chunk
                and chunk
                and chunk[-1] != "\\"
                and (chunk.rfind("\\u") < len(chunk) - 5)
            ):
                try:
                    decoded = scanstring(f'"{chunk}"', 1)[0]
                except ValueError:
                    decoded = None
                if decoded and "\ud800" <= decoded[-1] <= "\udbff":
                    decoded = None
            if decoded is not None:
                self._fed += len(chunk)
                self._pieces.append(decoded)
                if not self._str_key:
                    self._dirty = True
                return
        if self._finished or self._state == _ERROR:
            return
        try:
            carry = self._carry
            self._base = self._fed - len(carry)
            self._fed += len(chunk)
            if carry:
                self._carry = ""
                chunk = carry + chunk
            self._run(chunk)
        except Exception as exc:  # defensive: feed must never raise
            self._fail(f"internal parser error at offset {self._fed}: {exc!r}")

    def finish(self) -> None:
        """Mark the end of input: completes a top-level number, or records a truncation."""
        if self._finished:
            return
        self._finished = True
        state = self._state
        if state in (_ERROR, _DONE):
            return
        if state == _NUMBER and not self._stack:
            self._end_number("".join(self._num))
            return
        self._fail(f"unexpected end of JSON input at offset {self._fed}")

    @property
    def value(self) -> object:
        """Current best value, or :data:`MISSING` if no value has started (live, not a copy)."""
        if self._dirty:
            self._dirty = False
            pieces = self._pieces
            if len(pieces) == 1:
                text = pieces[0]
            else:
                text = "".join(pieces)
                self._pieces = [text]
            self._set_leaf(text)
        return self._root

    @property
    def has_value(self) -> bool:
        """Whether :attr:`value` has something to show."""
        return self._root is not MISSING

    @property
    def done(self) -> bool:
        """A complete top-level value was parsed, followed by nothing but whitespace."""
        return self._state == _DONE

    @property
    def error(self) -> str | None:
        """The first syntax error, with its character offset, or None."""
        return self._error

    @property
    def streaming_path(self) -> tuple[str | int, ...] | None:
        """Path of the innermost value still being written.

        ``()`` means the top-level value itself is open; None when done, after an error or
        before anything started. Containers along the path are still streaming too; every
        other member of :attr:`value` is complete.
        """
        if not self._started or self._state in (_DONE, _ERROR):
            return None
        if self._leaf and self._stack:
            return (*self._path, self._slot)
        return tuple(self._path)

    # ------------------------------------------------------------------ scanning

    def _run(self, text: str) -> None:
        pos = 0
        n = len(text)
        # A large text may hold whole containers: json's C decoder tries each one. A failed
        # try (the container is still incomplete) costs a scan of the rest of the text, so
        # after _BULK_FAILURES failures in one call the rest is parsed here: linear either way.
        failures = 0 if n > _FAST_MIN else _BULK_FAILURES
        while pos < n:
            state = self._state
            if state == _STRING:
                pos = self._scan_string(text, pos, n)
                continue
            if state == _NUMBER:
                pos = self._scan_number(text, pos, n)
                continue
            if state == _LITERAL:
                pos = self._scan_literal(text, pos, n)
                continue
            if state == _ERROR:
                return
            c = text[pos]
            if c in _WS_CHARS:
                match = _WS_RUN.match(text, pos)
                assert match is not None
                pos = match.end()
                continue
            if state == _AFTER:
                top = self._stack[-1]
                if c == ",":
                    self._state = _KEY if isinstance(top, dict) else _VALUE
                elif c == ("}" if isinstance(top, dict) else "]"):
                    self._close()
                else:
                    closer = "}" if isinstance(top, dict) else "]"
                    self._fail_at(pos, f"expected ',' or '{closer}'", c)
                    return
                pos += 1
            elif state in (_VALUE, _VALUE_OR_CLOSE):
                if c == "]" and state == _VALUE_OR_CLOSE:
                    self._close()
                    pos += 1
                    continue
                if failures < _BULK_FAILURES and (c == "{" or c == "[") and n - pos > _FAST_MIN:
                    try:
                        item, end = _DECODER.raw_decode(text, pos)
                    except Exception:  # incomplete, invalid or too deep: parse it here
                        failures += 1
                    else:
                        if self._fits(text, pos, end, item):
                            self._started = True
                            self._complete_leaf(item)
                            pos = end
                            continue
                        failures = _BULK_FAILURES  # too deep: parsed here, up to the cap
                pos = self._start_value(text, pos)
            elif state in (_KEY, _KEY_OR_CLOSE):
                if c == '"':
                    self._str_key = True
                    self._pieces = []
                    self._state = _STRING
                elif c == "}" and state == _KEY_OR_CLOSE:
                    self._close()
                else:
                    expected = "string key or '}'" if state == _KEY_OR_CLOSE else "string key"
                    self._fail_at(pos, f"expected {expected}", c)
                    return
                pos += 1
            elif state == _COLON:
                if c != ":":
                    self._fail_at(pos, "expected ':'", c)
                    return
                self._state = _VALUE
                pos += 1
            else:  # _DONE
                self._fail_at(pos, "unexpected data after the JSON value", c)
                return

    def _fits(self, text: str, pos: int, end: int, item: object) -> bool:
        """Whether a container decoded from ``text[pos:end]`` fits under the depth cap."""
        room = self._max_depth - len(self._stack)
        brackets = text.count("[", pos, end) + text.count("{", pos, end)
        return brackets <= room or json_depth(item) <= room

    def _start_value(self, text: str, pos: int) -> int:
        """Begin the value whose first character is ``text[pos]``; return the new position."""
        c = text[pos]
        self._started = True
        if c == '"':
            self._slot = self._attach("")
            self._leaf = True
            self._str_key = False
            self._pieces = []
            self._state = _STRING
            return pos + 1
        if c == "{" or c == "[":
            stack = self._stack
            if len(stack) >= self._max_depth:
                self._fail_at(pos, f"JSON nested deeper than {self._max_depth} levels", c)
                return len(text)
            container: _Container = {} if c == "{" else []
            if stack:
                self._path.append(self._attach(container))
            else:
                self._root = container
            stack.append(container)
            self._state = _KEY_OR_CLOSE if c == "{" else _VALUE_OR_CLOSE
            return pos + 1
        if c == "-" or "0" <= c <= "9":
            self._begin_leaf(pos)
            self._num = []
            self._state = _NUMBER
            return pos
        literal = _LITERALS.get(c)
        if literal is not None:
            self._begin_leaf(pos)
            self._lit_word, self._lit_value = literal
            self._lit_n = 0
            self._state = _LITERAL
            return pos
        self._fail_at(pos, "expected a JSON value", c)
        return len(text)

    def _scan_string(self, text: str, pos: int, n: int) -> int:
        pieces = self._pieces
        if not self._str_key:
            self._dirty = True
        match = _STR_RUN.match
        fast = True
        while pos < n:
            run = match(text, pos)
            if run is not None:
                if self._high:
                    pieces.append(self._high)
                    self._high = ""
                end = run.end()
                pieces.append(run.group())
                if end == n:
                    return n
                pos = end
            c = text[pos]
            if c == '"':
                self._end_string()
                return pos + 1
            if c != "\\":
                self._fail_at(pos, "invalid control character in string", c)
                return n
            if fast and n - pos > _FAST_MIN and not self._high:
                # Escapes cost a Python iteration each; if the string closes in this text,
                # let json's C scanner decode the rest (json.loads semantics by definition).
                # Tried at most once per call, so the text is scanned at most twice. Not worth
                # it for short texts (typical deltas are 1-20 characters).
                fast = False
                if text.find('"', pos) != -1:
                    try:
                        decoded, end = scanstring(text, pos)
                    except ValueError:  # unterminated or invalid: the loop below decides
                        pass
                    else:
                        pieces.append(decoded)
                        self._end_string()
                        return end
            if pos + 1 == n:
                self._carry = text[pos:]
                return n
            esc = text[pos + 1]
            if esc == "u":
                digits = text[pos + 2 : pos + 6]
                if len(digits) < 4:
                    if _HEX_PREFIX.fullmatch(digits) is None:
                        self._fail_at(pos, "invalid \\uXXXX escape", text[pos : pos + 6])
                    else:
                        self._carry = text[pos:]
                    return n
                if _HEX4.fullmatch(digits) is None:
                    self._fail_at(pos, "invalid \\uXXXX escape", text[pos : pos + 6])
                    return n
                code = int(digits, 16)
                pos += 6
                high = self._high
                if high:
                    self._high = ""
                    if 0xDC00 <= code <= 0xDFFF:  # second half of a surrogate pair
                        pieces.append(chr(0x10000 + ((ord(high) - 0xD800) << 10) + code - 0xDC00))
                        continue
                    pieces.append(high)  # lone high surrogate, as json.loads keeps it
                if 0xD800 <= code <= 0xDBFF:
                    self._high = chr(code)  # hold back until we know if a low half follows
                else:
                    pieces.append(chr(code))
            else:
                char = _ESCAPES.get(esc)
                if char is None:
                    self._fail_at(pos, "invalid escape", text[pos : pos + 2])
                    return n
                if self._high:
                    pieces.append(self._high)
                    self._high = ""
                pieces.append(char)
                pos += 2
        return pos

    def _end_string(self) -> None:
        pieces = self._pieces
        if self._high:
            pieces.append(self._high)
            self._high = ""
        text = pieces[0] if len(pieces) == 1 else "".join(pieces)
        self._pieces = []
        if self._str_key:
            self._key = text
            self._state = _COLON
            return
        self._dirty = False
        self._set_leaf(text)
        self._leaf = False
        self._state = _AFTER if self._stack else _DONE
        if self._on_complete is not None:
            self._on_complete((*self._path, self._slot) if self._stack else (), text, False)

    def _scan_number(self, text: str, pos: int, n: int) -> int:
        run = _NUM_RUN.match(text, pos)
        end = run.end() if run is not None else pos
        if end == n:
            self._num.append(text[pos:])
            return n
        self._num.append(text[pos:end])
        self._end_number("".join(self._num))
        return end

    def _end_number(self, token: str) -> None:
        self._num = []
        match = _NUMBER_TOKEN.fullmatch(token)
        if match is None:
            shown = token if len(token) <= 40 else token[:40] + "..."
            self._fail(f"invalid number {shown!r} at offset {self._tok_start}")
            return
        number: object
        if match.group(1) is None and match.group(2) is None:
            try:
                number = int(token)
            except ValueError:  # more digits than sys.get_int_max_str_digits(), like json.loads
                self._fail(f"integer with too many digits at offset {self._tok_start}")
                return
        else:
            number = float(token)
        self._complete_leaf(number)

    def _scan_literal(self, text: str, pos: int, n: int) -> int:
        word = self._lit_word
        matched = self._lit_n
        need = len(word) - matched
        part = text[pos : pos + need]
        if word.startswith(part, matched):
            if len(part) == need:
                self._complete_leaf(self._lit_value)
                return pos + need
            self._lit_n = matched + len(part)
            return n
        bad = 0
        while part[bad] == word[matched + bad]:
            bad += 1
        self._fail_at(pos + bad, f"invalid literal (expected {word!r})", part[bad])
        return n

    # ------------------------------------------------------------------ tree building

    def _attach(self, item: object) -> str | int:
        """Put ``item`` into the innermost container (or make it the root); return its slot."""
        if not self._stack:
            self._root = item
            return 0
        top = self._stack[-1]
        if isinstance(top, dict):
            top[self._key] = item
            return self._key
        top.append(item)
        return len(top) - 1

    def _begin_leaf(self, pos: int) -> None:
        """A number or literal starts: it is shown only once complete."""
        self._leaf = True
        self._tok_start = self._base + pos
        if self._stack:
            top = self._stack[-1]
            self._slot = self._key if isinstance(top, dict) else len(top)

    def _complete_leaf(self, item: object) -> None:
        slot = self._attach(item)
        self._leaf = False
        self._state = _AFTER if self._stack else _DONE
        if self._on_complete is not None:
            whole = isinstance(item, (dict, list))  # a container decoded in one piece
            self._on_complete((*self._path, slot) if self._stack else (), item, whole)

    def _set_leaf(self, text: str) -> None:
        """Replace the string value being written (the last one attached) by ``text``."""
        if not self._stack:
            self._root = text
            return
        top = self._stack[-1]
        if isinstance(top, dict):
            top[self._key] = text
        else:
            top[-1] = text

    def _close(self) -> None:
        if self._on_complete is not None:
            self._on_complete(tuple(self._path), self._stack[-1], False)
        self._stack.pop()
        if self._stack:
            self._path.pop()
            self._state = _AFTER
        else:
            self._state = _DONE

    def _fail_at(self, pos: int, what: str, got: str) -> None:
        self._fail(f"{what} at offset {self._base + pos}, got {got!r}")

    def _fail(self, message: str) -> None:
        if self._error is None:
            self._error = message
        self._state = _ERROR

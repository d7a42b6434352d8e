"""Tools for the tool loop: plain Python functions with a JSON schema the model can call.

How it works: ``docs/internals.md``, section ``streamscope.core.tools.tool``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, overload

from docstring_parser import Docstring, ParseError, epydoc, google, numpydoc, rest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema

from streamscope.core.json.plain import dump_model
from streamscope.core.schema.validation import Violation, validate_arguments
from streamscope.core.tools.checks import positive_seconds
from streamscope.core.tools.names import check_tool_name

__all__ = [
    "Tool",
    "ToolInputError",
    "ToolResult",
    "ToolSpec",
    "is_async_callable",
    "json_default",
    "normalize_tools",
    "parse_docstring",
    "result_content",
    "tool",
]

_CONTENT_BLOCK_TYPES = frozenset({"text", "image", "document", "search_result"})

ToolSpec = typing.Union["Tool", Callable[..., Any], dict[str, Any]]
"""What ``ToolLoop(tools=[...])`` accepts: a :class:`Tool`, a plain function, or a raw dict."""

# --------------------------------------------------------------------------- docstrings

# docstring_parser's Google sections, plus the parameter sections Google's style guide and
# Napoleon also accept.
_GOOGLE = google.GoogleParser(
    [
        *google.DEFAULT_SECTIONS,
        google.Section("Keyword Args", "param", google.SectionType.MULTIPLE),
        google.Section("Keyword Arguments", "param", google.SectionType.MULTIPLE),
        google.Section("Other Parameters", "param", google.SectionType.MULTIPLE),
    ]
)
# What docstring_parser.parse(style=AUTO) tries, in its order, with the Google parser above.
_PARSERS: tuple[Callable[[str], Docstring], ...] = (
    rest.parse,
    _GOOGLE.parse,
    numpydoc.parse,
    epydoc.parse,
)


def _reading(parse: Callable[[str], Docstring], text: str) -> Docstring | None:
    try:
        return parse(text)
    except ParseError:
        return None


def _parse(text: str) -> Docstring:
    """The reading of ``text`` that finds the most sections (docstring_parser's AUTO rule)."""
    readings = [found for parse in _PARSERS if (found := _reading(parse, text)) is not None]
    return max(readings, key=lambda reading: len(reading.meta), default=Docstring())


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """``(description, {parameter: description})`` from a Google, NumPy, reST or Epydoc
    docstring, read by docstring_parser.

    The description is the summary (its lines joined by spaces), then a blank line and the
    longer description, as the SDK's ``@beta_tool`` sends it. Parameter descriptions are
    joined onto one line; attributes, returns and raises are left out.
    """
    if not doc or not doc.strip():
        return "", {}
    parsed = _parse(inspect.cleandoc(doc))
    summary = parsed.short_description or ""
    details = parsed.long_description or ""
    if details and not parsed.blank_after_short_description:
        # A summary wrapped over several lines: its first paragraph continues the summary.
        rest_of_summary, _, details = details.partition("\n\n")
        summary = f"{summary} {rest_of_summary}"
    description = _one_line(summary)
    if details.strip():
        description = f"{description}\n\n{details.strip()}"
    params: dict[str, str] = {}
    for param in parsed.params:
        text = _one_line(param.description)
        if param.args[0] == "attribute" or not text:
            continue
        for name in param.arg_name.split(","):  # NumPy's "x, y : int"
            params.setdefault(name.strip().lstrip("*"), text)
    return description, params


# --------------------------------------------------------------------------- schemas


class _SchemaWithoutFieldTitles(GenerateJsonSchema):
    """pydantic's JSON schema minus the auto-generated per-field titles (noise for a model)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


class ToolInputError(ValueError):
    """The model's arguments for a tool did not validate.

    ``errors`` lists one readable line per problem (``"days: expected integer, got string
    \"3\""``); ``violations`` the same as :class:`~streamscope.core.schema.validation.Violation`
    objects (the schema's, or pydantic's when only the conversion failed); ``str()`` is
    the whole message, suitable as an ``is_error`` tool result.
    """

    def __init__(
        self, tool_name: str, errors: list[str], violations: list[Violation] | None = None
    ) -> None:
        self.tool_name = tool_name
        self.errors = errors
        self.violations: list[Violation] = list(violations or [])
        lines = "\n".join(f"- {e}" for e in errors)
        super().__init__(f"Invalid arguments for tool {tool_name!r}:\n{lines}")


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _conversion_violations(exc: ValidationError) -> list[Violation]:
    out: list[Violation] = []
    for error in exc.errors(include_url=False):
        path = tuple(p for p in error.get("loc", ()) if isinstance(p, (str, int)))
        out.append(Violation(path, str(error.get("msg", "invalid")), str(error.get("type", ""))))
    return out


def _format_validation_error(exc: ValidationError) -> list[str]:
    out: list[str] = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error.get("loc", ())) or "(arguments)"
        line = f"{loc}: {error.get('msg', 'invalid')}"
        if error.get("type") not in {"missing", "extra_forbidden"} and "input" in error:
            line += f" (got {_short_repr(error['input'])})"
        elif error.get("type") == "extra_forbidden":
            line += " (unexpected argument)"
        out.append(line)
    return out


def _has_description(annotation: Any) -> bool:
    if typing.get_origin(annotation) is not typing.Annotated:
        return False
    return any(isinstance(meta, FieldInfo) and meta.description for meta in annotation.__metadata__)


def is_async_callable(fn: Any) -> bool:
    """True when calling ``fn`` returns a coroutine (async functions, partials of them,
    objects with an ``async def __call__``, SDK methods wrapped with ``functools.wraps``)."""
    target = inspect.unwrap(fn)
    if inspect.iscoroutinefunction(target):
        return True
    call = getattr(type(target), "__call__", None)  # noqa: B004 - a callable object's method
    return call is not None and inspect.iscoroutinefunction(inspect.unwrap(call))


def _annotated(fn: Any) -> Any:
    """Where ``fn``'s annotations live: the function of a partial, a callable's ``__call__``."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    if inspect.isroutine(fn) or inspect.isclass(fn):
        return fn
    return getattr(type(fn), "__call__", fn)  # noqa: B004 - a callable object's method


class Tool:
    """A Python function the model can call.

    Parameters
    ----------
    fn:
        The function (sync or async). Bound methods work; a function whose first
        parameter is ``self``/``cls`` is bound when accessed through an instance.
    name:
        The tool name sent to the API (default: the function's ``__name__``). Checked now
        against the API's rule (``^[a-zA-Z0-9_-]{1,64}$``): a ``ValueError`` says why a name
        (``<lambda>``, ``""``, spaces, over 64 characters) would be refused.
    description:
        Overrides the docstring's description (summary and longer description).
    cache_control:
        Added to the tool's API entry (e.g. ``{"type": "ephemeral"}`` on the last tool).
    timeout:
        Seconds a call may run before the tool loop gives up on it (None: the loop's
        ``tool_timeout``). Overrides the loop's for this tool.

    Attributes
    ----------
    input_model: the pydantic model built from the signature.
    input_schema: its JSON schema (the ``input_schema`` the API receives).
    is_async: True when calling the function returns an awaitable.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        cache_control: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"a tool must be callable, not {type(fn).__name__}")
        self.fn = fn
        target = fn.func if isinstance(fn, functools.partial) else fn
        doc_description, param_docs = parse_docstring(inspect.getdoc(target))
        self.description: str = doc_description if description is None else description
        self.cache_control = cache_control
        self.timeout = positive_seconds("timeout", timeout)
        if name is None:
            name = getattr(target, "__name__", "") or type(target).__name__
        self.name: str = check_tool_name(name)  # the API's rule, now rather than a 400 later
        self.is_async = is_async_callable(fn)
        self._positional_only: list[str] = []
        self._takes_var_kwargs = False
        self._unbound_first: str | None = None
        self._param_names: dict[str, str] = {}
        self.input_model: type[BaseModel] = self._build_model(param_docs)
        self.input_schema: dict[str, Any] = self._build_schema()
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__wrapped__ = fn

    # ------------------------------------------------------------------ building

    def _build_model(self, param_docs: dict[str, str]) -> type[BaseModel]:
        try:
            signature = inspect.signature(self.fn)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"tool {self.name!r}: cannot read the signature ({exc})") from exc
        self._hint_error: str | None = None
        try:
            hints = typing.get_type_hints(_annotated(self.fn), include_extras=True)
        except Exception as exc:  # unresolvable forward references: use the raw annotations
            hints = {}
            self._hint_error = f"{type(exc).__name__}: {exc}"
        fields: dict[str, Any] = {}
        params = list(signature.parameters.values())
        if (
            params
            and params[0].name in {"self", "cls"}
            and params[0].kind in {params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD}
        ):
            self._unbound_first = params[0].name
            params = params[1:]
        for param in params:
            if param.kind is param.VAR_POSITIONAL:
                raise TypeError(
                    f"tool {self.name!r}: *{param.name} cannot be described to the model; "
                    "use named parameters"
                )
            if param.kind is param.VAR_KEYWORD:
                self._takes_var_kwargs = True
                continue
            if param.kind is param.POSITIONAL_ONLY:
                self._positional_only.append(param.name)
            annotation = hints.get(param.name, param.annotation)
            if annotation is inspect.Parameter.empty:
                annotation = Any
            default = ... if param.default is inspect.Parameter.empty else param.default
            extra: dict[str, Any] = {}
            doc = param_docs.get(param.name)
            if doc and not _has_description(annotation):
                extra["description"] = doc  # Field(description=...) in Annotated wins
            # Fields get neutral names and the parameter name as alias, so parameters
            # named like BaseModel attributes (schema, json, model_config...) still work.
            internal = f"p{len(fields)}"
            self._param_names[internal] = param.name
            fields[internal] = (annotation, Field(default, alias=param.name, **extra))
        config = ConfigDict(extra="allow" if self._takes_var_kwargs else "forbid")
        try:
            model: type[BaseModel] = create_model(f"{self.name}_input", __config__=config, **fields)
        except Exception as exc:
            raise TypeError(self._build_error("cannot build an input model", exc)) from exc
        return model

    def _build_error(self, what: str, exc: Exception) -> str:
        message = f"tool {self.name!r}: {what} ({exc})"
        if self._hint_error:
            message += (
                f"; its annotations could not be resolved ({self._hint_error}): define the "
                "types they name at module level"
            )
        return message

    def _build_schema(self) -> dict[str, Any]:
        try:
            schema = self.input_model.model_json_schema(schema_generator=_SchemaWithoutFieldTitles)
        except Exception as exc:
            raise TypeError(
                self._build_error("cannot make a JSON schema of its parameters", exc)
            ) from exc
        schema.pop("title", None)
        schema.setdefault("properties", {})
        if self._takes_var_kwargs:
            schema["additionalProperties"] = True
        return schema

    # ------------------------------------------------------------------ using

    def validate(self, tool_input: Any) -> dict[str, Any]:
        """The model's arguments checked and converted: keyword arguments for the function.

        First the rule of :mod:`streamscope.core.schema.validation`: ``tool_input`` must satisfy
        :attr:`input_schema` as JSON Schema, without coercion (``"3"`` is not an integer),
        exactly as a view's live marks check it. Then the pydantic model converts it
        (nested models arrive as model instances, as the function's annotations ask).
        Raises :class:`ToolInputError` listing every problem; a check or conversion that
        cannot finish (``RecursionError``, ``OverflowError``...) is one too, never another
        exception.
        """
        try:
            return self._validate(tool_input)
        except ToolInputError:
            raise
        except (RecursionError, OverflowError, ValueError, TypeError, MemoryError) as exc:
            # A check or conversion that could not finish (a 401-digit integer against
            # multiple_of, a 400-deep recursive model): the arguments were not checked, so
            # the call must not run; it says why, as any invalid arguments do.
            what = f"{type(exc).__name__}: {_short_repr(str(exc), 200)}"
            raise ToolInputError(
                self.name,
                [f"(arguments): could not be checked or converted ({what})"],
                [Violation((), f"not checked: {what}", "conversion_error")],
            ) from exc

    def _validate(self, tool_input: Any) -> dict[str, Any]:
        # A schema the validator cannot use ("not checked") leaves the decision to pydantic.
        violations = [
            v
            for v in validate_arguments(self.input_schema, tool_input)
            if v.keyword != "not_checked"
        ]
        if violations:
            raise ToolInputError(self.name, [str(v) for v in violations], violations)
        if not isinstance(tool_input, dict):
            raise ToolInputError(
                self.name,
                [f"(arguments): expected a JSON object, got {type(tool_input).__name__}"],
                [Violation((), "expected object", "type")],
            )
        try:
            validated = self.input_model.model_validate(tool_input)
        except ValidationError as exc:
            raise ToolInputError(
                self.name, _format_validation_error(exc), _conversion_violations(exc)
            ) from exc
        kwargs = {
            self._param_names[field]: getattr(validated, field)
            for field in type(validated).model_fields
        }
        if validated.model_extra:
            kwargs.update(validated.model_extra)
        return kwargs

    def bind(self, kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """``(args, kwargs)`` to call the function with (positional-only parameters first)."""
        rest = dict(kwargs)
        args = [rest.pop(name) for name in self._positional_only if name in rest]
        return args, rest

    def to_param(self) -> dict[str, Any]:
        """The tool's entry in the request's ``tools`` list."""
        param: dict[str, Any] = {"name": self.name}
        if self.description:
            param["description"] = self.description
        param["input_schema"] = self.input_schema
        if self.cache_control is not None:
            param["cache_control"] = self.cache_control
        return param

    @property
    def needs_binding(self) -> bool:
        """True for a method accessed through its class (``self`` is still missing)."""
        return self._unbound_first is not None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __get__(self, instance: Any, owner: type | None = None) -> Tool:
        if instance is None or self._unbound_first is None:
            return self
        bound = self.fn.__get__(instance, owner)
        return Tool(
            bound,
            name=self.name,
            description=self.description,
            cache_control=self.cache_control,
            timeout=self.timeout,
        )

    def __repr__(self) -> str:
        kind = "async " if self.is_async else ""
        return f"<{kind}Tool {self.name!r}>"


@overload
def tool(
    fn: Callable[..., Any],
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    cache_control: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> Tool: ...


@overload
def tool(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    cache_control: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    cache_control: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a :class:`Tool`: ``@tool`` or ``@tool(name=..., description=..., timeout=...)``.

    The result is still callable like the function.
    """
    options: dict[str, Any] = {
        "name": name,
        "description": description,
        "cache_control": cache_control,
        "timeout": timeout,
    }
    if fn is not None:
        return Tool(fn, **options)

    def decorate(f: Callable[..., Any]) -> Tool:
        return Tool(f, **options)

    return decorate


def normalize_tools(tools: Iterable[ToolSpec]) -> list[Tool | dict[str, Any]]:
    """Tools for a request: functions become :class:`Tool`; dicts pass through unchanged.

    Raises ``ValueError`` for duplicate names, a dict without a ``name``, or a method
    tool that was never bound to an instance.
    """
    out: list[Tool | dict[str, Any]] = []
    seen: set[str] = set()
    for item in tools:
        entry: Tool | dict[str, Any]
        if isinstance(item, (Tool, dict)):
            entry = item
        elif callable(item):
            entry = Tool(item)
        else:
            raise TypeError(f"not a tool: {item!r} (pass a function, a Tool or a tool dict)")
        if isinstance(entry, Tool) and entry.needs_binding:
            raise ValueError(
                f"tool {entry.name!r} is a method used through its class: pass it through an "
                f"instance (obj.{entry.name})"
            )
        name = entry.name if isinstance(entry, Tool) else entry.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"a tool dict needs a 'name': {entry!r}")
        if isinstance(entry, dict) and entry.get("type") in (None, "custom"):
            check_tool_name(name, what="a client tool")
        if name in seen:
            raise ValueError(f"two tools are named {name!r}")
        seen.add(name)
        out.append(entry)
    return out


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ToolResult:
    """What a tool may return to control its ``tool_result`` exactly.

    ``content`` is a string or a list of content blocks (text, image, document...);
    ``is_error=True`` reports a failure to the model without raising.
    """

    content: str | list[dict[str, Any]]
    is_error: bool = False


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)`` for tool results: pydantic models, dataclasses, sets,
    bytes; anything else as ``str(value)``."""
    data = dump_model(value, "plain")
    if data is not value:
        return data
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def result_content(value: Any) -> str | list[dict[str, Any]]:
    """A tool's return value as ``tool_result`` content: a str as is, a list of content
    blocks (dicts typed text/image/document/search_result) as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    if (
        isinstance(value, list)
        and value
        and all(isinstance(b, dict) and b.get("type") in _CONTENT_BLOCK_TYPES for b in value)
    ):
        return value
    return json.dumps(value, ensure_ascii=False, default=json_default)

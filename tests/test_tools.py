"""Tool: JSON schemas from signatures and docstrings, argument validation, tool lists."""

from __future__ import annotations

import asyncio
import datetime
import functools
import warnings
from typing import Annotated, Any, Literal, Optional

import pytest
from pydantic import BaseModel, Field

from streamscope.core.tools.tool import Tool, ToolInputError, normalize_tools, parse_docstring, tool


class Address(BaseModel):
    street: str
    zip_code: str = Field(description="Postal code")


def book(
    guest: str,
    nights: int = 1,
    room: Literal["single", "double"] = "single",
    note: Optional[str] = None,  # noqa: UP045 - Optional on purpose
    tags: list[str] | None = None,
    prices: dict[str, float] | None = None,
    address: Address | None = None,
    floor: Annotated[int, Field(ge=0, le=20, description="Floor wanted")] = 1,
) -> str:
    """Book a hotel room.

    A longer explanation, sent to the model
    as written.

    Args:
        guest: Full name of the guest.
        nights (int): Number of nights,
            at least one.
        room: Room type.
        floor: Ignored here: Field(description=...) wins.

    Returns:
        A confirmation.
    """
    return f"{guest}:{nights}:{room}:{note}:{tags}:{prices}:{address}:{floor}"


BOOK_DESCRIPTION = "Book a hotel room.\n\nA longer explanation, sent to the model\nas written."


def test_schema_from_signature_and_google_docstring() -> None:
    t = Tool(book)
    assert t.name == "book"
    assert t.description == BOOK_DESCRIPTION
    schema = t.input_schema
    assert schema["type"] == "object"
    assert schema["required"] == ["guest"]
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["guest"] == {"type": "string", "description": "Full name of the guest."}
    assert props["nights"] == {
        "type": "integer",
        "default": 1,
        "description": "Number of nights, at least one.",
    }
    assert props["room"]["enum"] == ["single", "double"]
    assert props["room"]["description"] == "Room type."
    assert props["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert props["tags"]["anyOf"][0] == {"type": "array", "items": {"type": "string"}}
    assert props["prices"]["anyOf"][0] == {
        "type": "object",
        "additionalProperties": {"type": "number"},
    }
    assert props["address"]["anyOf"][0] == {"$ref": "#/$defs/Address"}
    assert schema["$defs"]["Address"]["properties"]["zip_code"]["description"] == "Postal code"
    assert props["floor"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 20,
        "default": 1,
        "description": "Floor wanted",
    }
    assert "title" not in schema and all("title" not in p for p in props.values())
    assert t.to_param() == {
        "name": "book",
        "description": BOOK_DESCRIPTION,
        "input_schema": schema,
    }


def test_validate_converts_and_returns_keyword_arguments() -> None:
    t = Tool(book)
    kwargs = t.validate(
        {"guest": "Ada", "nights": 3, "address": {"street": "Rue", "zip_code": "75"}}
    )
    assert kwargs["nights"] == 3 and kwargs["room"] == "single" and kwargs["floor"] == 1
    assert isinstance(kwargs["address"], Address)  # nested models arrive as models
    assert t(**kwargs).startswith("Ada:3:single:None")
    assert t.validate({"guest": "Ada", "nights": 3.0})["nights"] == 3  # JSON: 3.0 is an integer


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        ({"guest": "Ada", "nights": "3"}, 'nights: expected integer, got string "3"'),
        ({"guest": "Ada", "nights": True}, "nights: expected integer, got boolean true"),
        ({"guest": "Ada", "floor": 2.5}, "floor: expected integer, got number 2.5"),
        ({"guest": 7}, "guest: expected string, got integer 7"),
    ],
)
def test_validate_does_not_coerce(arguments: dict[str, Any], line: str) -> None:
    """The rule is the schema's, without pydantic's lax coercion ("3" for an int)."""
    with pytest.raises(ToolInputError) as info:
        Tool(book).validate(arguments)
    assert info.value.errors == [line]
    assert [str(v) for v in info.value.violations] == [line]


def test_validate_lists_every_problem() -> None:
    t = Tool(book)
    with pytest.raises(ToolInputError) as info:
        t.validate({"nights": "many", "room": "suite", "floor": 99, "gust": "typo"})
    err = info.value
    assert err.tool_name == "book"
    assert str(err).startswith("Invalid arguments for tool 'book':\n- ")
    assert err.errors == [
        'nights: expected integer, got string "many"',
        'room: must be one of "single", "double" (got "suite")',
        "floor: must be ≤ 20 (got 99)",
        'gust: unexpected property "gust" (not in the schema)',
        '(arguments): missing required property "guest"',
    ]
    assert [v.keyword for v in err.violations] == [
        "type",
        "enum",
        "maximum",
        "additionalProperties",
        "required",
    ]
    with pytest.raises(ToolInputError, match=r"\(arguments\): expected object, got array"):
        t.validate([1, 2])
    assert isinstance(err, ValueError)


def test_what_the_schema_does_not_say_is_left_to_pydantic() -> None:
    """A value the schema allows but the annotation cannot take (a ``format``): pydantic's
    conversion reports it, as a violation too."""

    def on(day: datetime.date) -> str:
        return day.isoformat()

    with pytest.raises(ToolInputError) as info:
        Tool(on).validate({"day": "not a date"})
    assert info.value.errors[0].startswith("day: Input should be a valid date")
    assert info.value.violations[0].path == ("day",)


def test_numpy_and_sphinx_docstrings() -> None:
    def numpy_style(x: int, y: str = "a") -> None:
        """Numpy style summary
        over two lines.

        Parameters
        ----------
        x : int
            The x value.
        y : str, optional
            The y value,
            continued.

        Returns
        -------
        None
        """

    def sphinx_style(x: int, y: int) -> None:
        """Sphinx summary.

        :param x: The x.
        :param int y: The y,
            continued.
        :returns: nothing
        """

    n = Tool(numpy_style)
    assert n.description == "Numpy style summary over two lines."
    assert n.input_schema["properties"]["x"]["description"] == "The x value."
    assert n.input_schema["properties"]["y"]["description"] == "The y value, continued."
    s = Tool(sphinx_style)
    assert s.description == "Sphinx summary."
    assert s.input_schema["properties"]["x"]["description"] == "The x."
    assert s.input_schema["properties"]["y"]["description"] == "The y, continued."
    assert parse_docstring(None) == ("", {})
    assert parse_docstring("Only a line.") == ("Only a line.", {})


# --- one docstring per style docstring_parser reads: summary + details, every parameter ---


def google_style(city: str, days: int = 1, *, units: str = "metric", **extra: str) -> None:
    """Forecast for a city.

    Uses the nearest station.
    Falls back to the region.

    Args:
        city: The city,
            as its usual name.
        days (int): How many days.

    Keyword Args:
        units: "metric" or "imperial".
        **extra: Passed to the provider.

    Attributes:
        station: Not a parameter.

    Returns:
        The forecast.
    """


def numpy_style(city: str, days: int = 1, lat: float = 0, lon: float = 0) -> None:
    """Forecast for a city.

    Uses the nearest station.
    Falls back to the region.

    Parameters
    ----------
    city : str
        The city,
        as its usual name.
    days : int, optional
        How many days.
    lat, lon : float
        Where, when the city is ambiguous.

    Returns
    -------
    dict
        The forecast.
    """


def rest_style(city: str, days: int = 1, units: str = "metric") -> None:
    """Forecast for a city.

    Uses the nearest station.
    Falls back to the region.

    :param city: The city,
        as its usual name.
    :param int days: How many days.
    :keyword units: "metric" or "imperial".
    :returns: The forecast.
    :raises ValueError: for an unknown city.
    """


def epydoc_style(city: str, days: int = 1) -> None:
    """Forecast for a city.

    Uses the nearest station.
    Falls back to the region.

    @param city: The city,
        as its usual name.
    @type city: str
    @param days: How many days.
    @return: The forecast.
    """


FORECAST = "Forecast for a city.\n\nUses the nearest station.\nFalls back to the region."
CITY = "The city, as its usual name."


@pytest.mark.parametrize(
    ("fn", "params"),
    [
        (
            google_style,
            {
                "city": CITY,
                "days": "How many days.",
                "units": '"metric" or "imperial".',
                "extra": "Passed to the provider.",
            },
        ),
        (
            numpy_style,
            {
                "city": CITY,
                "days": "How many days.",
                "lat": "Where, when the city is ambiguous.",
                "lon": "Where, when the city is ambiguous.",
            },
        ),
        (rest_style, {"city": CITY, "days": "How many days.", "units": '"metric" or "imperial".'}),
        (epydoc_style, {"city": CITY, "days": "How many days."}),
    ],
    ids=["google", "numpy", "rest", "epydoc"],
)
def test_each_docstring_style(fn: Any, params: dict[str, str]) -> None:
    assert parse_docstring(fn.__doc__) == (FORECAST, params)
    t = Tool(fn)
    assert t.description == t.to_param()["description"] == FORECAST
    described = {
        name: prop["description"]
        for name, prop in t.input_schema["properties"].items()
        if "description" in prop
    }
    assert described == {name: text for name, text in params.items() if name != "extra"}


def test_a_summary_over_several_lines_is_one_line() -> None:
    doc = "Forecast for\na city.\n\nDetails here.\n\nMore details."
    assert parse_docstring(doc) == ("Forecast for a city.\n\nDetails here.\n\nMore details.", {})


@pytest.mark.parametrize(
    "doc",
    [
        "Summary.\n\n:param x The x.",  # reST field without its colon
        "Summary.\n\nArgs:\n    x The x without a colon.",
        "Summary.\n\n@param x The x.",
    ],
)
def test_a_malformed_section_is_kept_as_text_not_an_error(doc: str) -> None:
    description, params = parse_docstring(doc)
    assert description.startswith("Summary.\n\n") and "The x" in description
    assert params == {}


def test_no_docstring_no_description() -> None:
    def bare(x: int) -> None: ...

    assert parse_docstring("   \n  ") == ("", {})
    assert "description" not in Tool(bare).to_param()


def test_decorator_forms_and_overrides() -> None:
    @tool
    def plain(a: int) -> int:
        """Add one."""
        return a + 1

    @tool(name="renamed", description="Custom text.", cache_control={"type": "ephemeral"})
    async def fetch(url: str) -> str:
        return url

    assert isinstance(plain, Tool) and plain(1) == 2 and plain.__doc__ == "Add one."
    assert not plain.is_async
    assert fetch.is_async and fetch.name == "renamed"
    assert asyncio.run(fetch("u")) == "u"
    assert fetch.to_param() == {
        "name": "renamed",
        "description": "Custom text.",
        "input_schema": {
            "type": "object",
            "properties": {"url": {"type": "string"}},
            "required": ["url"],
            "additionalProperties": False,
        },
        "cache_control": {"type": "ephemeral"},
    }

    def undocumented(x):  # type: ignore[no-untyped-def]
        return x

    param = Tool(undocumented).to_param()
    assert "description" not in param and param["input_schema"]["properties"] == {"x": {}}


def test_async_callable_objects_and_methods() -> None:
    class Searcher:
        def __init__(self) -> None:
            self.prefix = "hit:"

        async def __call__(self, q: str) -> str:
            return q

        @tool
        def search(self, q: str, limit: int = 3) -> str:
            """Search things."""
            return f"{self.prefix}{q}:{limit}"

    assert Tool(Searcher(), name="searcher").is_async
    unbound = Searcher.search
    assert unbound.needs_binding and "self" not in unbound.input_schema["properties"]
    bound = Searcher().search
    assert not bound.needs_binding and bound.name == "search"
    assert bound(**bound.validate({"q": "x"})) == "hit:x:3"
    with pytest.raises(ValueError, match="through an instance"):
        normalize_tools([Searcher.search])
    assert Tool(Searcher().search.fn).input_schema["required"] == ["q"]


def test_positional_only_var_kwargs_and_var_args() -> None:
    def pos(a: int, /, b: int) -> int:
        return a - b

    t = Tool(pos)
    args, kwargs = t.bind(t.validate({"a": 5, "b": 2}))
    assert args == [5] and kwargs == {"b": 2} and t(*args, **kwargs) == 3

    def extra(a: int, **options: Any) -> dict[str, Any]:
        return {"a": a, **options}

    e = Tool(extra)
    assert e.input_schema["additionalProperties"] is True
    assert e.validate({"a": 1, "colour": "red"}) == {"a": 1, "colour": "red"}

    def star(*items: int) -> int:
        return sum(items)

    with pytest.raises(TypeError, match=r"\*items"):
        Tool(star)
    with pytest.raises(TypeError, match="callable"):
        Tool("not a function")  # type: ignore[arg-type]


def test_unschemable_parameter_is_a_clear_error() -> None:
    class Opaque:
        pass

    def f(x: Opaque) -> None:
        return None

    with pytest.raises(TypeError, match="tool 'f'"):
        Tool(f)


def test_normalize_tools() -> None:
    server = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}

    def a() -> None:
        """A."""

    tools = normalize_tools([a, server, Tool(lambda: None, name="b")])
    assert isinstance(tools[0], Tool) and tools[0].name == "a"
    assert tools[1] is server  # passed through unchanged
    with pytest.raises(ValueError, match="two tools are named 'a'"):
        normalize_tools([a, Tool(a)])
    with pytest.raises(ValueError, match="needs a 'name'"):
        normalize_tools([{"type": "bash_20250124"}])
    with pytest.raises(TypeError, match="not a tool"):
        normalize_tools([42])  # type: ignore[list-item]


def test_parameter_names_that_clash_with_pydantic_and_partials() -> None:
    def query(sql: str, schema: str = "public", json: bool = False, model_config: int = 1) -> str:
        """Run SQL.

        Args:
            schema: Database schema.
        """
        return f"{sql}|{schema}|{json}|{model_config}"

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "shadows an attribute" warning either
        t = Tool(query)
    assert list(t.input_schema["properties"]) == ["sql", "schema", "json", "model_config"]
    assert t.input_schema["properties"]["schema"]["description"] == "Database schema."
    kwargs = t.validate({"sql": "select 1", "schema": "s", "json": True})
    assert kwargs == {"sql": "select 1", "schema": "s", "json": True, "model_config": 1}
    assert t(**kwargs) == "select 1|s|True|1"
    with pytest.raises(ToolInputError, match="schema: expected string, got integer 3"):
        t.validate({"sql": "x", "schema": 3})
    p = Tool(functools.partial(query, json=True))
    assert p.name == "query" and p.description == "Run SQL."
    assert p.input_schema["properties"]["json"]["default"] is True


class Query(BaseModel):
    text: str


class Finder:
    """Finds things."""

    async def __call__(self, query: Query, limit: int = 5) -> str:
        return f"{query.text}:{limit}"


def test_string_annotations_of_partials_and_callable_objects_resolve() -> None:
    # this module uses `from __future__ import annotations`: every annotation is a string
    def search(query: Query, page: int = 1) -> str:
        return f"{query.text}:{page}"

    p = Tool(functools.partial(search, page=2), name="search")
    assert p.input_schema["properties"]["query"] == {"$ref": "#/$defs/Query"}
    assert p(**p.validate({"query": {"text": "a"}})) == "a:2"
    f = Tool(Finder())
    assert f.name == "Finder" and f.description == "Finds things." and f.is_async
    assert asyncio.run(f(**f.validate({"query": {"text": "b"}}))) == "b:5"

    class Local(BaseModel):
        x: int

    def uses_local(v: Local) -> None:
        return None

    with pytest.raises(TypeError, match="define the types they name at module level"):
        Tool(uses_local)


def test_a_tool_timeout_is_checked_and_kept() -> None:
    @tool(timeout=2)
    def slow(x: int) -> int:
        return x

    class Worker:
        @tool(timeout=0.5)
        def work(self, x: int) -> int:
            return x

    assert slow.timeout == 2.0 and Tool(lambda: None, name="t").timeout is None
    assert Worker().work.timeout == 0.5  # kept when the method is bound
    assert "timeout" not in slow.to_param()  # the loop's business, not the model's
    with pytest.raises(ValueError, match="timeout must be a positive, finite number"):
        Tool(lambda: None, name="t", timeout=0)
    with pytest.raises(TypeError, match="timeout must be a number of seconds or None"):
        tool(timeout="5")(lambda: None)  # type: ignore[call-overload]

"""dump_model: the one model-to-data helper, in each of the shapes its callers need."""

from __future__ import annotations

from typing import Any

from anthropic.types import RawContentBlockDeltaEvent, ToolUseBlock
from pydantic import BaseModel, Field

from streamscope.core.json.codec import coerce_json
from streamscope.core.json.plain import dump_model
from streamscope.core.tools.tool import json_default
from streamscope.core.wire.sdk import event_to_dict


class Point(BaseModel):
    x_pos: int = Field(alias="xPos")
    label: str | None = None


def sdk_delta() -> RawContentBlockDeltaEvent:
    return RawContentBlockDeltaEvent.model_validate(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}
    )


def test_sdk_models_dump_as_their_to_dict_in_wire_and_auto_shape() -> None:
    event = sdk_delta()
    assert dump_model(event) == event.to_dict(mode="json") == dump_model(event, "auto")
    block = ToolUseBlock.model_construct(id="toolu_1", name="f", input={"a": 1}, type="tool_use")
    assert dump_model(block) == block.to_dict(mode="json")
    assert "caller" not in dump_model(block)  # unset: left out on the wire
    assert dump_model(block, "plain") == block.model_dump(mode="json")
    assert dump_model(block, "plain")["caller"] is None  # plain: every field


def test_other_pydantic_models_wire_plain_and_auto() -> None:
    point = Point(xPos=3)
    assert dump_model(point) == {"xPos": 3}
    assert dump_model(point, "plain") == {"x_pos": 3, "label": None}
    assert dump_model(point, "auto") == {"x_pos": 3, "label": None}
    assert dump_model(point, exclude={"x_pos"}) == {}


def test_anything_else_comes_back_as_is() -> None:
    for value in ({"type": "ping"}, [1, 2], "text", None, 3.5, b"raw"):
        assert dump_model(value) is value
        assert dump_model(value, "plain") is value


class LooseSdkShape:
    """Not pydantic, but has the SDK's to_dict (wire shape only)."""

    def to_dict(self, mode: str = "python") -> dict[str, Any]:
        return {"mode": mode}


def test_to_dict_without_pydantic_is_used_for_the_wire_shape_only() -> None:
    value = LooseSdkShape()
    assert dump_model(value) == {"mode": "json"} == dump_model(value, "auto")
    assert dump_model(value, "plain") is value


def test_callers_keep_their_shapes() -> None:
    event = sdk_delta()
    assert event_to_dict(event) == event.to_dict(mode="json")
    # cassette meta and dumps_exact: SDK models in wire shape, other models plain
    assert coerce_json(event) == (event.to_dict(mode="json"), [])
    assert coerce_json(Point(xPos=1)) == ({"x_pos": 1, "label": None}, [])
    assert json_default(event) == event.model_dump(mode="json")
    assert json_default(Point(xPos=1)) == {"x_pos": 1, "label": None}
    assert json_default({1, 2}) == [1, 2]

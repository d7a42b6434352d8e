"""Models to plain data: the one place that turns SDK and pydantic models into JSON data.

Callers need one of three shapes:

- ``"wire"``: the API's JSON, what an SDK model's ``to_dict(mode="json")`` gives (wire
  names, fields the API did not send left out). Events, messages and blocks are reduced,
  compared and recorded in this shape.
- ``"plain"``: pydantic's default JSON dump (field names, every field), for what a user's
  tool returns.
- ``"auto"``: SDK models (they have ``to_dict``) in wire shape, any other pydantic model
  plain, for user metadata written to a cassette.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any, Literal

__all__ = ["Shape", "dump_model"]

Shape = Literal["wire", "plain", "auto"]


def dump_model(
    value: object,
    shape: Shape = "wire",
    *,
    exclude: Set[str] | None = None,
    warnings: bool = True,
) -> Any:
    """``value`` as JSON data in ``shape`` if it is a model; anything else is returned as is.

    ``exclude`` leaves fields out (by field name); ``warnings=False`` silences pydantic's
    serializer warnings (models built loosely from newer wire shapes warn, yet dump exactly
    what was received).
    """
    model_dump = getattr(value, "model_dump", None)
    to_dict = getattr(value, "to_dict", None)
    wire = shape == "wire" or (shape == "auto" and callable(to_dict))
    if callable(model_dump):
        if wire:
            # what the SDK's to_dict(mode="json") does, with exclude and warnings passed on
            return model_dump(
                mode="json", by_alias=True, exclude_unset=True, exclude=exclude, warnings=warnings
            )
        return model_dump(mode="json", exclude=exclude, warnings=warnings)
    if wire and callable(to_dict):  # shaped like an SDK model without being pydantic
        return to_dict(mode="json")
    return value

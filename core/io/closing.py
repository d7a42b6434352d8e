"""``with`` / ``async with`` for objects that must be closed: enter gives the object back,
exit closes it."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["AsyncClosing", "Closing"]

_T = TypeVar("_T")


class Closing:
    """Mixin: ``with obj:`` gives ``obj`` and calls ``obj.close()`` on the way out."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClosing:
    """Mixin: ``async with obj:`` gives ``obj`` and awaits ``obj.aclose()`` on the way out."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self: _T) -> _T:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

"""The public surface: what each package exports, the deprecated names, and no shadowing.

Names dropped from ``streamscope.core.__all__`` still resolve for one release, each with a
``DeprecationWarning`` that names its module. No public name may share its name with a
submodule unless it is that submodule (``streamscope.core.replay`` the function once hid
``core/replay.py`` the module).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import subprocess
import sys
import warnings
from types import ModuleType

import pytest

import streamscope.core
import streamscope.widgets

# Everything streamscope.core exported before the trim: each must still resolve.
EXPORTED_BEFORE = [
    "DEFAULT_PRICES",
    "PRICES_AS_OF",
    "AsyncReplayClient",
    "AsyncSourceLoopError",
    "Block",
    "Cassette",
    "CassetteWriter",
    "Change",
    "CostEstimate",
    "Decision",
    "GenericBlock",
    "IncompleteStreamError",
    "LoopObserver",
    "ModelPrice",
    "PartialJSON",
    "PriceTable",
    "Problem",
    "RedactedThinkingBlock",
    "Replay",
    "ReplayClient",
    "ReplayExhaustedError",
    "SSEDecoder",
    "Stepper",
    "StreamAPIError",
    "StreamState",
    "StreamingInterface",
    "TextBlock",
    "ThinkingBlock",
    "Tool",
    "ToolCall",
    "ToolInputError",
    "ToolLoop",
    "ToolResult",
    "ToolRun",
    "ToolUseBlock",
    "Turn",
    "Usage",
    "aiter_events",
    "arecord",
    "areplay",
    "estimate_cost",
    "event_to_dict",
    "iter_events",
    "parse_sse_events",
    "read_cassette",
    "read_events",
    "read_timed_events",
    "record",
    "replay",
    "tool",
    "write_cassette",
]
# Added since (issue 12): the data of the wire inspector, compare() and the copy button.
ADDED_SINCE = {"Violation", "compare_runs", "request_code", "load_conversation"}
# Added since (issue 20): why a cache missed.
ADDED_SINCE |= {"CacheExplanation", "cache_diagnostics", "explain_cache"}
DEPRECATED = streamscope.core._DEPRECATED
PACKAGES = [streamscope.core, streamscope.widgets]


def test_every_name_exported_before_is_kept_or_deprecated() -> None:
    assert len(EXPORTED_BEFORE) == 51
    public, deprecated = set(streamscope.core.__all__), set(DEPRECATED)
    assert not public & deprecated
    assert set(EXPORTED_BEFORE) == (public - {"gallery"} - ADDED_SINCE) | deprecated
    assert public >= ADDED_SINCE


@pytest.mark.parametrize("name", sorted(DEPRECATED))
def test_deprecated_name_warns_and_resolves_to_its_module_object(name: str) -> None:
    home = importlib.import_module(DEPRECATED[name])
    assert name in home.__all__
    with pytest.warns(DeprecationWarning, match=rf"import it from {DEPRECATED[name]}$") as seen:
        value = getattr(streamscope.core, name)
    assert value is getattr(home, name)
    assert len(seen) == 1 and seen[0].filename == __file__  # blamed on the caller's line
    with pytest.warns(DeprecationWarning, match=name):
        exec(f"from streamscope.core import {name}", {})


def test_public_names_resolve_without_warning() -> None:
    for package in PACKAGES:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for name in package.__all__:
                assert getattr(package, name) is not None
            exec(f"from {package.__name__} import *", {})


def test_unknown_names_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        streamscope.core.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(streamscope.core, "as_dict")


def submodules(package: ModuleType) -> set[str]:
    return {info.name for info in pkgutil.iter_modules(package.__path__)}


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_no_public_name_shadows_a_submodule(package: ModuleType) -> None:
    for name in set(package.__all__) & submodules(package):
        value = getattr(package, name)
        assert isinstance(value, ModuleType) and value.__name__ == f"{package.__name__}.{name}"


def test_playback_module_and_the_functions_that_once_hid_modules() -> None:
    from streamscope.core.playback import Replay

    assert streamscope.core.playback.Replay is Replay
    assert callable(streamscope.core.replay) and streamscope.core.replay.__module__.endswith(
        ".playback"
    )
    with pytest.warns(DeprecationWarning, match="render_stream_html"):
        assert callable(streamscope.widgets.snapshot)
    assert importlib.util.find_spec("streamscope.core.replay") is None
    assert importlib.util.find_spec("streamscope.widgets.snapshot") is None
    assert importlib.util.find_spec("streamscope.core.synthetic") is None
    assert "replay" not in submodules(streamscope.core)
    assert "snapshot" not in submodules(streamscope.widgets)


def test_the_packages_themselves_use_no_deprecated_name() -> None:
    code = (
        "import importlib, pkgutil, streamscope.core, streamscope.widgets\n"
        "for pkg in (streamscope.core, streamscope.widgets):\n"
        "    for info in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + info.name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error:importing:DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

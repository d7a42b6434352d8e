"""The oldest supported ``anthropic`` SDK (pyproject's ``anthropic>=`` floor) still imports
streamscope and replays every gallery recording, through the core, the replay client, the
real SDK client and a headless view, to the same final messages as the installed SDK; what
the floor's SDK does not know (a block type, a message field) is read from what it parsed.

The floor's venv (the SDK at exactly the floor, the other dependencies as pip resolves them)
is made once and kept under the temporary folder; each run installs the checkout's wheel
into it with ``--no-deps``. Only package registries are reached.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import typing
from pathlib import Path
from typing import Any

import anthropic
import pytest
from anthropic.types.beta import BetaRawMessageStreamEvent
from conftest import skip_or_fail
from packaging.version import Version
from pydantic import TypeAdapter
from sdk_floor_probe import _extra_streams

from streamscope.core import gallery

ROOT = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).resolve().parent / "sdk_floor_probe.py"
TIMEOUT = 300


def _project() -> dict[str, Any]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return typing.cast(dict[str, Any], data["project"])


def _floor() -> tuple[str, list[str]]:
    """The SDK's floor and the other runtime dependencies, as pyproject says them."""
    dependencies: list[str] = _project()["dependencies"]
    (sdk,) = [d for d in dependencies if re.match(r"anthropic\b", d)]
    found = re.fullmatch(r"anthropic>=([0-9][0-9.]*)", sdk.replace(" ", ""))
    assert found, f"pyproject names the SDK as {sdk!r}: a floor reads 'anthropic>=X.Y'"
    return found.group(1), [d for d in dependencies if d != sdk]


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _pip(python: Path, *arguments: str) -> None:
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *arguments],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        skip_or_fail(f"pip could not install {arguments} from the registry:\n{done.stderr[-2000:]}")


def _floor_venv(floor: str, others: list[str]) -> Path:
    """A venv with anthropic==floor and the other dependencies, made once and kept."""
    key = hashlib.sha256(json.dumps([floor, others, sys.version]).encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / "streamscope-sdk-floor" / f"anthropic-{floor}-{key}"
    python = home / "bin" / "python"
    if python.exists():
        return python
    building = home.with_name(f"{home.name}.{os.getpid()}.tmp")
    shutil.rmtree(building, ignore_errors=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", str(building)], cwd=building.parent)
    # the interpreter's path is kept relative to the venv, so the folder can be renamed
    _pip(building / "bin" / "python", f"anthropic=={floor}", *others)
    try:
        building.rename(home)
    except OSError:  # another run made it meanwhile
        shutil.rmtree(building, ignore_errors=True)
    return python


def _probe(python: Path, cwd: Path) -> tuple[dict[str, Any], str]:
    # -I: neither the checkout nor the probe's folder is on sys.path, nor PYTHON* variables
    done = _run([str(python), "-I", str(PROBE)], cwd=cwd)
    return json.loads(done.stdout), done.stderr


@pytest.fixture(scope="module")
def floor_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)], cwd=out)
    (wheel,) = out.glob("*.whl")
    return wheel


def test_the_extra_streams_are_todays_wire() -> None:
    """The probe's streams beyond the gallery validate against the installed SDK's events."""
    adapter: TypeAdapter[Any] = TypeAdapter(BetaRawMessageStreamEvent)
    for events in _extra_streams().values():
        for event in events:
            model = adapter.validate_python(event)
            assert model.to_dict(mode="json") == event  # no field left unknown


def test_the_oldest_sdk_replays_the_gallery_as_todays(floor_wheel: Path, tmp_path: Path) -> None:
    floor, others = _floor()
    python = _floor_venv(floor, others)
    # the venv is kept between runs: the checkout's wheel replaces the streamscope in it
    _pip(python, "--no-deps", "--force-reinstall", str(floor_wheel))
    old, old_errors = _probe(python, tmp_path)
    new, new_errors = _probe(Path(sys.executable), tmp_path)

    assert Version(old["anthropic"]) == Version(floor), old["anthropic"]
    assert new["anthropic"] == anthropic.__version__
    assert old["streamscope"].startswith(str(python.parents[1])), old["streamscope"]
    assert old["widgets"] and new["widgets"]  # the headless view ran on both
    assert old_errors == "" == new_errors  # no warning either (an old SDK's loose models)
    # what the floor's SDK does not know is read from what it parsed (the extra stream has
    # some): when the floor knows every type, the extra stream needs a newer one
    missing = {
        part: sorted(set(new["known"][part]) - set(old["known"][part])) for part in new["known"]
    }
    extra_types = {
        event["content_block"]["type"]
        for events in _extra_streams().values()
        for event in events
        if event["type"] == "content_block_start"
    }
    assert extra_types & set(missing["blocks"]), (missing, extra_types)
    assert "input_transformations" in missing["message"], missing
    names = [r.name for r in gallery.list_recordings()]
    assert list(new["recordings"]) == names == list(old["recordings"])
    for group in ("recordings", "extra"):
        differ = {
            name: [path for path in entry if old[group][name][path] != entry[path]]
            for name, entry in new[group].items()
        }
        assert not any(differ.values()), {k: v for k, v in differ.items() if v}
    for group in (new["recordings"], new["extra"]):
        for entry in group.values():
            assert entry["view"]["html"]
            assert entry["view"]["message"] == entry["sdk"]["message"] == entry["core"]

"""The example notebooks: each ``.ipynb`` paired with a ``py:percent`` text (jupytext) that
a reviewer reads, committed without outputs, and each one runs headless with no API key in
well under 90 seconds, leaving a ``text/html`` picture of every widget it displayed (what
GitHub and nbviewer show)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from notebook_run import EXAMPLES, execute, text_of, widget_outputs

NOTEBOOKS = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))
TEXTS = sorted(p.name for p in EXAMPLES.glob("*.py"))
LANE = re.compile(r'<section class="ss-lane"[^>]*\bdata-kind="([a-z_]+)"')
VIEW_STATUS = re.compile(r'<div class="ss-view [^"]*" data-status="([a-z_ ]+)"')

# What each notebook must leave behind: lane kinds and fragments in its widgets' HTML
# pictures, and lines it printed (proof that its claims held when it ran).
EXPECTED: dict[str, dict[str, list[str]]] = {
    "01_quickstart.ipynb": {
        "lanes": ["thinking", "text", "tool"],
        "html": ["ss-tool-row", "ss-timeline", "ss-final", "get_exchange_rate"],
        "printed": ["stop reason: tool_use", "of the output, 361 tokens were thinking"],
    },
    "02_parallel_tools.ipynb": {
        "lanes": ["thinking", "text", "tool"],
        "html": ["ss-tool-row", "ss-timeline", "find_hotels"],
        "printed": ["finished: get_weather", "['get_weather', 'search_flights', 'find_hotels'"],
    },
    "03_thinking_and_signatures.ipynb": {
        "lanes": ["thinking", "redacted_thinking", "text", "tool"],
        "html": ["ss-signature"],
        "printed": ["omitted: True", "signature unchanged: True", "redacted data unchanged: True"],
    },
    "04_prompt_caching.ipynb": {
        "lanes": ["text"],
        "html": ["ss-usage", "14,213"],
        "printed": ["whole loop: hit rate", "10 × the call: cached"],
    },
    "05_tool_loop.ipynb": {
        "lanes": ["thinking", "text", "tool"],
        "html": ["ss-conv", "send_email"],
        "printed": ["stop reason of the loop: end_turn", "tool_use ids answered in order: True"],
    },
    "06_your_own_key.ipynb": {
        "lanes": ["thinking", "text"],
        "html": ["ss-final"],
        "printed": ["no API key: replaying", "same message: True", "requests seen: 1"],
    },
}


def test_at_least_six_notebooks_each_with_expectations() -> None:
    assert len(NOTEBOOKS) >= 6
    assert set(NOTEBOOKS) == set(EXPECTED)


def test_every_notebook_is_paired_with_its_text() -> None:
    assert [Path(name).stem for name in NOTEBOOKS] == [Path(name).stem for name in TEXTS]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_and_its_text_agree(name: str) -> None:
    """What ``jupytext --sync`` would do is nothing: the text is what jupytext writes for the
    notebook, byte for byte, and the notebook's cells are what it reads from the text."""
    path = EXAMPLES / name
    text = path.with_suffix(".py").read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert jupytext.writes(nb, fmt="py:percent") == text, "run: jupytext --sync " + str(path)
    from_text = jupytext.reads(text, fmt="py:percent")
    assert [(c.cell_type, c.source) for c in from_text.cells] == [
        (c.cell_type, c.source) for c in nb.cells
    ]
    assert "jupytext_version:" not in text  # no churn when someone's jupytext is newer


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs(name: str) -> None:
    nb = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"]
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == []
            assert cell["execution_count"] is None


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_headless(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Plain nbclient, nothing set: nobody can click (05's approval is decided by the view's
    # policy after its grace period), and no key reaches the kernel.
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-must-not-reach-the-kernel")
    run = execute(EXAMPLES / name, Path(sys.executable), tmp_path / "kernels", timeout=90)
    assert run.seconds < 90, f"{name} took {run.seconds:.1f} s"

    nb = run.notebook
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", output
            assert "sk-ant-" not in json.dumps(output)

    # Every view finished and replaced its output with its static picture: a saved copy of
    # this notebook shows the pictures anywhere, with no widget left to be "not found".
    assert widget_outputs(nb) == [], f"{name} left a live widget in its outputs"
    pictures = [
        output["data"]["text/html"]
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if 'class="ss-static' in output.get("data", {}).get("text/html", "")
    ]
    assert pictures, f"{name} displayed no view"
    for picture in pictures:
        statuses = VIEW_STATUS.findall(picture)
        assert statuses, "no StreamView picture"
        assert set(statuses) <= {"done", "stopped", "failed"}, f"views not finished: {statuses}"

    every = "".join(pictures)
    expected = EXPECTED[name]
    assert set(expected["lanes"]) <= set(LANE.findall(every))
    for fragment in expected["html"]:
        assert fragment in every, fragment
    printed = text_of(nb)
    for line in expected["printed"]:
        assert line in printed, line

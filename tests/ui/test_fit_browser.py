"""No value is cut: every figure and every cell of the views fits its box, in every host.

One page per host (JupyterLab 4 with the file browser open and closed, Notebook 7, marimo)
shows the views mid-stream and finished: a stream without its request (the long label
"first token, from message_start") held open mid-stream with estimated figures, the same
stream finished, a replay with its request, a tool loop (in Jupyter also one waiting for an
approval), a comparison, and a bench mid-stream (Jupyter) and finished. The viewport is then
resized so the first view is 600, 800, 950, 1200 and 1600 px wide, and at each width every
element carrying a figure (``data-ss-figure``) and every cell of a panel, header, lane head,
loop header, comparison table and bench column is measured: its text fits its box
(``scrollWidth <= clientWidth``) and no ancestor up to the view pushes it out or clips it.
The measurement is first shown the cut issue 18 saw (the timing cell's old layout), so it is
known to see one.

On the same pages: where a view is 1,000 px or wider (its panel beside the lanes), lanes,
timeline, wire list and request box stand one under the other with no gap (Notebook 7's
empty area under the timeline); lists in views keep their numbers and bullets (marimo's reset
took them); every code box has view.css's one box rule's style, whatever the host's own
``pre`` rule says; every timeline's bars stand on its axis (JupyterLab's list padding moved
a static picture's rows off it).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from streams import held_recording
from test_marimo_browser import marimo_run
from ui_harness import UI_TIMEOUT_MS, NotebookSession

pytestmark = pytest.mark.browser

WIDTHS = (600, 800, 950, 1200, 1600)
DONE = "fit-cells-done"
BENCH = ("three_models_haiku", "three_models_sonnet", "three_models_opus")

CHECKED = ", ".join(
    (
        "[data-ss-figure]",
        ".ss-final > section",
        ".ss-final :is(dt, dd, th, td, p, li)",
        ".ss-header > *",
        ".ss-header .ss-position",
        ".ss-lane-head > *",
        ".ss-conv-header > *",
        ".ss-conv-turn-head",
        ".ss-conv-run-head > *",
        ".ss-compare-table :is(th, td)",
        ".ss-bench-run > *",
    )
)
"""What must fit: figures, and the cells of the panel, headers, comparison and bench."""

SETUP = """
import asyncio
import time

from streamscope.core import AsyncReplayClient, ToolLoop, gallery
from streamscope.core.io.cassette import read_cassette
from streamscope.widgets import ConversationView, StreamView, acompare_live, compare, replay

RECORDED = read_cassette(gallery.path("parallel_tools"))
QUESTION = [{"role": "user", "content": "When should I use a process pool?"}]


def fed(title, upto):
    # the recorded events without their request ("first token, from message_start"), at
    # their recorded times; held open mid-stream unless every event is given
    view = StreamView(title=title)
    start = time.monotonic() - RECORDED.times[upto - 1] - 0.5
    for event, at in zip(RECORDED.events[:upto], RECORDED.times[:upto]):
        view.apply(event, at=start + at)
    return view


def get_weather(location: str, start_date: str, end_date: str, units: str = "celsius") -> dict:
    \"\"\"The forecast.\"\"\"
    return {"forecast": "sunny"}


def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict:
    \"\"\"Runs of a CI pipeline.\"\"\"
    return {"runs": [{"id": 4812}, {"id": 4815}, {"id": 4819}]}


def get_team(team: str) -> dict:
    \"\"\"A team's contact details.\"\"\"
    return {"team": team, "email": "platform-team@acme.example"}


def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
    \"\"\"The end of a job's log.\"\"\"
    return f"run {run_id} {job}: exit code 1"


def send_email(to: list[str], subject: str, body: str) -> dict:
    \"\"\"Send an email.\"\"\"
    return {"status": "sent"}


def tool_loop(approval):
    return ToolLoop(
        AsyncReplayClient(gallery.conversation("tool_loop"), speed=None),
        model="claude-sonnet-4-5", max_tokens=8192,
        tools=[list_ci_runs, get_team, get_job_log, send_email],
        require_approval=approval,
    )
"""
MID = 'mid = fed("mid-stream, no request", 60)'
FINISHED = 'done = fed("finished, no request", len(RECORDED.events))\ndone.finish()'
REPLAYED = 'replayed = await replay(gallery.path("thinking_summarized"), speed=None)'
CACHED = 'cached = await replay(gallery.path("cache_hit"), speed=None)'  # panel > lanes
BOXES = (  # code boxes: a bash run's stdout and stderr, a Markdown code block
    'ran = await replay(gallery.path("code_execution"), speed=None)\n'
    'coded = await replay(gallery.path("thinking_omitted"), speed=None)'
)
LOOP = """
loop = tool_loop([])
conversation = ConversationView(loop)
{show}
_ = await loop.arun("Why did the nightly build fail? Email the platform team.")
"""
COMPARE = (
    "compared = compare(gallery.conversation('weekend_parallel'),"
    " gallery.conversation('weekend_sequential'), labels=['parallel', 'one at a time'])"
)
BENCH_DONE = f"""
benched = await acompare_live(
    {list(BENCH)!r},
    {{"haiku": {{"model": "claude-haiku-4-5-20251001"}}, "sonnet": {{}},
     "opus": {{"model": "claude-opus-4-1-20250805"}}}},
    speed=None, model="claude-sonnet-4-5-20250929", max_tokens=512, messages=QUESTION,
)
"""
# Jupyter only: a loop waiting for an approval and a bench mid-stream, as tasks (the cell
# ends; the bench's runs are held an hour after their 12th event)
WAITING = """
waiting_loop = tool_loop(["send_email"])
waiting = ConversationView(waiting_loop)
display(waiting)
waiting_task = asyncio.ensure_future(waiting_loop.arun("Why did the nightly build fail?"))
"""
BENCH_LIVE = f"""
bench_task = asyncio.ensure_future(acompare_live(
    [f"held_{{name}}.jsonl" for name in {list(BENCH)!r}],
    {{"haiku": {{"model": "claude-haiku-4-5-20251001"}}, "sonnet": {{}},
     "opus": {{"model": "claude-opus-4-1-20250805"}}}},
    model="claude-sonnet-4-5-20250929", max_tokens=512, messages=QUESTION,
))
"""

JUPYTER_CELLS = [
    SETUP,
    MID + "\ndisplay(mid)",
    FINISHED + "\ndisplay(done)",
    REPLAYED,
    CACHED,
    BOXES,
    LOOP.format(show="display(conversation)"),
    WAITING,
    COMPARE + "\ndisplay(compared)",
    BENCH_LIVE,
    BENCH_DONE,
    f"print('{DONE}')",
]

MEASURE = """
(selector) => {
  // every element, through open shadow roots (marimo draws a widget in one)
  const all = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      all.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const VIEW = '.ss-view, .ss-conv, .ss-compare, .ss-bench';
  const up = (el) => el.parentElement || (el.parentNode && el.parentNode.host) || null;
  const unseen = (el) => {
    for (let a = el; a; a = up(a)) {
      const s = getComputedStyle(a);
      if (s.display === 'none' || s.visibility === 'hidden') return true;
      if (s.clip === 'rect(0px, 0px, 0px, 0px)') return true;  // text for pages without styles
      if (a !== el && a.tagName === 'DETAILS' && !a.open && !a.matches('summary')) return true;
      if (a.matches(VIEW)) return false;
    }
    return false;
  };
  const what = (el) => {
    const figure = el.getAttribute('data-ss-figure');
    const text = el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60);
    const name = `${el.tagName.toLowerCase()}.${el.className || ''}`;
    return `${name}${figure ? `[${figure}]` : ''} "${text}"`;
  };
  const bad = [];
  let checked = 0;
  for (const el of all) {
    if (!el.matches(selector) || !el.closest(VIEW) || !el.getClientRects().length) continue;
    if (unseen(el)) continue;
    checked++;
    const style = getComputedStyle(el);
    if (style.display !== 'inline' && el.scrollWidth > el.clientWidth) {
      bad.push(`${what(el)}: scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`);
      continue;
    }
    const box = el.getBoundingClientRect();
    for (let a = up(el); a; a = up(a)) {
      const s = getComputedStyle(a);
      if (s.display === 'inline' || s.display === 'contents') continue;
      const r = a.getBoundingClientRect();
      const clips = s.overflowX !== 'visible';
      const left = clips ? r.left + a.clientLeft : r.left;
      const right = clips ? left + a.clientWidth : r.right;
      if (box.left < left - 0.5 || box.right > right + 0.5) {
        const where = `[${box.left.toFixed(1)}, ${box.right.toFixed(1)}]`;
        bad.push(`${what(el)} ${where} leaves ${a.tagName.toLowerCase()}.${a.className}` +
                 ` [${left.toFixed(1)}, ${right.toFixed(1)}]`);
        break;
      }
      if (s.overflowY === 'hidden' || s.overflowY === 'clip') {
        const top = r.top + a.clientTop;
        if (box.top < top - 0.5 || box.bottom > top + a.clientHeight + 0.5) {
          bad.push(`${what(el)} is clipped by ${a.tagName.toLowerCase()}.${a.className}`);
          break;
        }
      }
      if (a.matches(VIEW)) break;
    }
  }
  return {checked, bad};
}
"""

VIEW_WIDTH = """() => {
  const find = (root) => {
    const view = root.querySelector('.ss-view');
    if (view) return view;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const v = find(el.shadowRoot); if (v) return v; }
    }
    return null;
  };
  const view = find(document);
  return view ? view.getBoundingClientRect().width : 0;
}"""


FIND_ALL = """
  const found = [];
  const walk = (root) => {
    found.push(...root.querySelectorAll(SELECTOR));
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
"""
WIDE_LAYOUT = (
    """() => {
  // every view drawn in two columns: lanes, timeline, wire and request one under the other
  // in the first (no gap when the panel beside them is taller), the panel in the second
  const SELECTOR = '.ss-view';"""
    + FIND_ALL
    + """
  const bad = [];
  let wide = 0;
  for (const view of found) {
    const body = view.querySelector(':scope > .ss-body');
    if (!body || getComputedStyle(body).display !== 'grid') continue;
    wide++;
    const box = (cls) => body.querySelector(`:scope > .${cls}`).getBoundingClientRect();
    const names = ['ss-lanes', 'ss-timeline-box', 'ss-wire-box', 'ss-request-box']
      .filter((cls) => body.querySelector(`:scope > .${cls}`));
    const boxes = names.map(box);
    const title = (view.querySelector('.ss-header') || view).textContent.slice(0, 60);
    for (let k = 1; k < names.length; k++) {
      const [above, below] = [boxes[k - 1], boxes[k]];
      if (Math.abs(below.left - above.left) > 1 || Math.abs(below.top - above.bottom) > 1) {
        bad.push(`${title}: ${names[k]} at (${below.left}, ${below.top}), not under ` +
                 `${names[k - 1]} (${above.left}, ${above.bottom})`);
      }
    }
    const panel = body.querySelector(':scope > :is(.ss-final, .ss-final-box)')
      .getBoundingClientRect();
    if (panel.left < boxes[0].right) bad.push(`${title}: the panel is not beside the lanes`);
  }
  return {wide, bad};
}"""
)
LISTS = (
    """() => {
  // a list in a view keeps its numbers or bullets
  const SELECTOR = ':is(.ss-view, .ss-conv) :is(ol, ul):not([class]) > li';"""
    + FIND_ALL
    + """
  const marks = found.map((li) => [li.parentElement.tagName, getComputedStyle(li).listStyleType]);
  const bad = marks.filter(([tag, type]) => tag === 'OL' ? type !== 'decimal'
    : !['disc', 'circle'].includes(type));
  return {count: found.length, bad: bad.map(([tag, type]) => `${tag} > li: ${type}`)};
}"""
)


CODE_BOXES = (
    """() => {
  // every box of code or raw text is drawn by view.css's one box rule, whatever the host's
  // own `pre` rule says (JupyterLab's `.jp-RenderedHTMLCommon pre`)
  const SELECTOR = ':is(.ss-view, .ss-conv) :is(.ss-text pre, .ss-stdout, .ss-stderr,' +
    ' .ss-tool-raw, .ss-generic, .ss-md-source, .ss-t, .ss-conv-result-text)';"""
    + FIND_ALL
    + r"""
  const bad = [];
  const kinds = new Set();
  let inHostPre = 0;
  for (const box of found) {
    const kind = box.closest('.ss-text') ? 'text pre' : box.classList[0];
    kinds.add(kind);
    if (box.closest('.jp-RenderedHTMLCommon')) inHostPre++;
    const s = getComputedStyle(box);
    const em = parseFloat(s.fontSize);
    const mono = getComputedStyle(box.closest('.ss-view, .ss-conv'))
      .getPropertyValue('--ss-mono').trim();
    const height = {'ss-tool-raw': 18, 'ss-generic': 18, 'ss-conv-result-text': 12}[kind] || 24;
    const margin = kind === 'ss-tool-raw' ? 2 : 0.4 * em;
    const want = {
      whiteSpace: 'pre-wrap', padding: '6px 8px', overflowY: 'auto',
      maxHeight: `${(height * em).toFixed(1)}`, marginTop: margin.toFixed(1),
      fontFamily: mono.replace(/\s*,\s*/g, ','),
    };
    const have = {
      whiteSpace: s.whiteSpace, padding: s.padding, overflowY: s.overflowY,
      maxHeight: parseFloat(s.maxHeight).toFixed(1), marginTop: parseFloat(s.marginTop)
        .toFixed(1), fontFamily: s.fontFamily.replace(/\s*,\s*/g, ','),
    };
    for (const key of Object.keys(want)) {
      if (want[key] !== have[key]) bad.push(`${kind}: ${key} ${have[key]}, not ${want[key]}`);
    }
  }
  return {kinds: [...kinds].sort(), inHostPre, bad: [...new Set(bad)]};
}"""
)


def check_code_boxes(page: Any, host: str) -> dict[str, Any]:
    """The code boxes of the page, each styled by the one box rule."""
    boxes: dict[str, Any] = page.evaluate(CODE_BOXES)
    assert {"text pre", "ss-stdout", "ss-stderr", "ss-tool-raw"} <= set(boxes["kinds"]), boxes
    assert not boxes["bad"], f"{host}: {boxes['bad']}"
    return boxes


TIMELINES = (
    """() => {
  // a timeline's tracks start and end where its axis does (JupyterLab's `ul, ol` padding in a
  // static picture moved the rows 2em right of the axis: bars read later than they were)
  const SELECTOR = ':is(.ss-view, .ss-conv) .ss-timeline';"""
    + FIND_ALL
    + """
  const bad = [];
  let count = 0;
  for (const figure of found) {
    const axis = figure.querySelector('.ss-tl-axis');
    const tracks = [...figure.querySelectorAll('.ss-tl-track')];
    if (!axis || !tracks.length || !axis.offsetWidth) continue;
    count++;
    const a = axis.getBoundingClientRect();
    for (const track of tracks) {
      const t = track.getBoundingClientRect();
      if (Math.abs(t.left - a.left) > 1 || Math.abs(t.right - a.right) > 1) {
        const where = figure.closest('.ss-static') ? 'static' : 'live';
        bad.push(`${where} ${figure.className}: track ${t.left.toFixed(0)}-` +
          `${t.right.toFixed(0)}, axis ${a.left.toFixed(0)}-${a.right.toFixed(0)}`);
        break;
      }
    }
  }
  return {count, bad};
}"""
)


def check_timelines(page: Any, host: str) -> None:
    """Every timeline's bars stand on its axis: tracks and axis share left and right edges."""
    timelines = page.evaluate(TIMELINES)
    assert timelines["count"] >= 3, f"{host}: {timelines}"
    assert not timelines["bad"], f"{host}: {timelines['bad']}"


def check_lists(page: Any, host: str) -> None:
    """Lists in views (a Markdown answer's, the panel's tool calls) keep their markers."""
    lists = page.evaluate(LISTS)
    assert lists["count"] >= 10, f"{host}: {lists}"
    assert not lists["bad"], f"{host}: lists without their markers: {sorted(set(lists['bad']))}"


def view_width(page: Any) -> float:
    width: float = page.evaluate(VIEW_WIDTH)
    return width


def at_width(page: Any, width: int, *, before: Any = None) -> float:
    """Resize the viewport until the first view is ``width`` px wide (its host's margins
    and side panels around it as they are); returns the width reached."""
    if before is not None:
        before(width)
    height = page.viewport_size["height"]
    for _ in range(8):
        have = view_width(page)
        if abs(have - width) < 1:
            break
        viewport = page.viewport_size["width"] + round(width - have)
        page.set_viewport_size({"width": max(320, viewport), "height": height})
        # the host's layout follows the resize (marimo's with a transition)
        page.wait_for_timeout(300)
    return view_width(page)


SQUEEZE = """(on) => {
  // the timing cells as issue 18 saw them at 950 px in JupyterLab: labels on one line in
  // max-content columns, the cell narrower than they are (a stylesheet, in the page and in
  // every shadow root: a live panel redraws its timing every second)
  const roots = [document.head];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { roots.push(el.shadowRoot); walk(el.shadowRoot); }
    }
  };
  walk(document);
  for (const root of roots) {
    for (const old of root.querySelectorAll('style[data-squeeze]')) old.remove();
    if (!on) continue;
    const style = document.createElement('style');
    style.dataset.squeeze = '';
    style.textContent = '.ss-timing dl { grid-template-columns: max-content max-content' +
      ' !important; max-width: 150px !important } .ss-timing dt { white-space: nowrap }';
    root.appendChild(style);
  }
}"""


def check_every_width(page: Any, host: str, *, before: Any = None, least: int = 0) -> None:
    """Measure at every width; fail with every element that does not fit, per width."""
    at_width(page, 950, before=before)
    page.evaluate(SQUEEZE, True)  # the measurement sees the cut that issue 18 saw
    cut = page.evaluate(MEASURE, CHECKED)["bad"]
    page.evaluate(SQUEEZE, False)
    assert any("[time_to_first_token]" in line for line in cut), f"{host}: not seen: {cut}"
    check_lists(page, host)
    check_code_boxes(page, host)
    check_timelines(page, host)
    failures = []
    for width in WIDTHS:
        reached = at_width(page, width, before=before)
        assert abs(reached - width) < 2, f"{host}: the view is {reached} px, not {width} px"
        result = page.evaluate(MEASURE, CHECKED)
        assert result["checked"] >= least, f"{host} at {width} px: only {result['checked']}"
        failures += [f"{host} at {width} px: {line}" for line in result["bad"]]
        if width >= 1200:  # the panel beside the lanes (from a 1000 px view)
            wide = page.evaluate(WIDE_LAYOUT)
            assert wide["wide"] >= 3, f"{host} at {width} px: {wide}"
            failures += [f"{host} at {width} px: {line}" for line in wide["bad"]]
    assert not failures, "\n".join(failures[:40])


def write_held(root: Path) -> None:
    for name in BENCH:
        held_recording(name, 12, root / f"held_{name}.jsonl")


def run_views(notebooks: NotebookSession, name: str, ui: Any) -> Any:
    write_held(notebooks.server.root)
    notebooks.run(name, JUPYTER_CELLS, ui=ui, wait_for=f".jp-OutputArea-output:has-text('{DONE}')")
    page = notebooks.page
    # everything is drawn: the held bench and the waiting loop are live, the rest final
    page.locator(".ss-conv-approval").first.wait_for()
    page.locator(".ss-mount .ss-bench .ss-bench-run").nth(2).wait_for()
    page.locator(".ss-static .ss-compare").nth(1).wait_for()  # compare's, the bench's
    page.locator(".ss-view[data-status='streaming']").first.wait_for()
    return page


def test_jupyterlab_every_value_fits(notebooks: NotebookSession) -> None:
    page = run_views(notebooks, "fit_lab.ipynb", "lab")
    for browser_panel, command in (("open", "expandLeft"), ("closed", "collapseLeft")):
        page.evaluate(f"() => window.jupyterapp.shell.{command}()")
        page.wait_for_function(
            "(open) => !window.jupyterapp.shell.leftCollapsed === open",
            arg=browser_panel == "open",
        )
        check_every_width(page, f"JupyterLab, file browser {browser_panel}", least=300)


def test_notebook7_every_value_fits(notebooks: NotebookSession) -> None:
    page = run_views(notebooks, "fit_nb7.ipynb", "notebook")
    full = {"on": False}

    def full_width(width: int) -> None:
        # Notebook 7 keeps a notebook 1200 px wide at most unless "Full Width" is on
        want = width > 1000
        if want != full["on"]:
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:toggle-full-width')")
            full["on"] = want

    check_every_width(page, "Notebook 7", before=full_width, least=300)


MARIMO_APP = """
import marimo

app = marimo.App(width="full")


@app.cell
def _():
{setup}
    return (RECORDED, QUESTION, fed, tool_loop, gallery, compare, replay, acompare_live,
            ConversationView)


@app.cell
def _(fed):
    {mid}
    mid
    return


@app.cell
def _(fed, RECORDED):
    {finished}
    done
    return


@app.cell
async def _(replay, gallery):
    {replayed}
    return


@app.cell
async def _(replay, gallery):
    {cached}
    return


@app.cell
async def _(replay, gallery):
{boxes}
    return


@app.cell
async def _(tool_loop, ConversationView, mo_out):
{loop}
    return


@app.cell
def _(compare, gallery):
    {compare}
    compared
    return


@app.cell
async def _(acompare_live, QUESTION):
{bench}
    return
"""


def marimo_app() -> str:
    def indent(code: str) -> str:
        return textwrap.indent(textwrap.dedent(code).strip(), "    ")

    loop = LOOP.format(show="import marimo as mo\nmo.output.append(mo.ui.anywidget(conversation))")
    return (
        MARIMO_APP.replace("{setup}", indent(SETUP))
        .replace("{mid}", MID)
        .replace("{finished}", FINISHED.replace("\n", "\n    "))
        .replace("{replayed}", REPLAYED)
        .replace("{cached}", CACHED)
        .replace("{boxes}", indent(BOXES))
        .replace(", mo_out", "")
        .replace("{loop}", indent(loop))
        .replace("{compare}", COMPARE)
        .replace("{bench}", indent(BENCH_DONE))
    )


def test_marimo_every_value_fits(page: Any, tmp_path: Path) -> None:
    notebook = tmp_path / "fit.py"
    notebook.write_text(marimo_app(), encoding="utf-8")
    with marimo_run(notebook, tmp_path) as url:
        page.goto(url)
        # four StreamViews (mid, finished, replayed, the loop's turns are in .ss-conv), the
        # loop finished, the comparison and the bench's comparison
        page.locator(".ss-conv[data-status='done']").first.wait_for(timeout=UI_TIMEOUT_MS)
        page.locator(".ss-compare").nth(1).wait_for(timeout=UI_TIMEOUT_MS)
        page.locator(".ss-view[data-status='streaming']").first.wait_for()
        page.locator(".ss-view[data-status='done']").nth(1).wait_for()
        check_every_width(page, "marimo", least=200)

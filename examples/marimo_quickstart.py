import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from streamscope.core import AsyncReplayClient, ToolLoop, gallery
    from streamscope.widgets import ConversationView, replay

    return AsyncReplayClient, ConversationView, ToolLoop, gallery, mo, replay


@app.cell
def _(mo):
    mo.md(r"""
    # streamscope in marimo

    streamscope's views are anywidgets, so marimo shows them like any widget
    (`mo.ui.anywidget(view)`, or a view as a cell's output). This notebook replays
    recorded streams, so **no API key is needed**: run it with
    `marimo edit examples/marimo_quickstart.py` or as an app with `marimo run`.

    What differs from Jupyter (measured with marimo 0.25):

    * **Live, yes; clicks, no.** The view updates live while a cell awaits a replay or
      a loop, but marimo hands a click to the kernel only after the running cell has
      finished. So while a stream runs, the view's Stop, Pause, Step and speed
      controls are shown disabled, and a tool call that needs approval is decided by
      the view's `approve=` policy (by default a denial) instead of waiting for a
      click that cannot come. To stop a running cell, interrupt the kernel.
    * **The widget is the final picture.** Jupyter's view replaces its output with a
      static HTML picture when it ends; marimo keeps the widget, which holds the
      final picture.
    """)
    return


@app.cell
async def _(gallery, replay):
    # One call: shows a StreamView in this cell's output, replays the recording into it
    # (here at twice its recorded pace) and returns the view.
    view = await replay(gallery.path("parallel_tools"), speed=2)
    return (view,)


@app.cell
def _(mo, view):
    _state = view.state
    mo.md(
        f"The view is **{view.status}**: {len(_state.blocks)} blocks, "
        f"{len(_state.tool_calls)} tool calls "
        f"({', '.join(call.name for call in _state.tool_calls)}), "
        f"stop reason `{_state.stop_reason or '–'}`, "
        f"{_state.usage.output_tokens:,} output tokens."
    )
    return


@app.cell
def _():
    # The tools of the gallery's four-turn tool_loop conversation, with canned data.
    def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict:
        """List the runs of a CI pipeline with a status, between two dates."""
        return {"runs": [{"id": 4812}, {"id": 4815}, {"id": 4819}]}

    def get_team(team: str) -> dict:
        """Contact details of a team."""
        return {"team": team, "email": f"{team}-team@acme.example"}

    def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
        """The last lines of a CI job's log."""
        return f"run {run_id}: {job} failed (exit code 1)"

    def send_email(to: list[str], subject: str, body: str) -> dict:
        """Send an email. Needs the user's approval."""
        return {"status": "sent"}

    tools = [list_ci_runs, get_team, get_job_log, send_email]
    return (tools,)


@app.cell
async def _(AsyncReplayClient, ConversationView, ToolLoop, gallery, mo, tools):
    # A whole tool loop, offline: the replay client serves the recorded turns. The client
    # and the loop are made here, so the cell can be run again.
    loop = ToolLoop(
        AsyncReplayClient(gallery.conversation("tool_loop"), speed=4),
        model="claude-sonnet-5-5",
        max_tokens=8192,
        tools=tools,
        require_approval=["send_email"],
        thinking={"type": "enabled", "budget_tokens": 4096},
        betas=["interleaved-thinking-2025-05-14"],
    )
    conversation = ConversationView(loop)
    mo.output.append(mo.ui.anywidget(conversation))
    _messages = await loop.arun(
        "The nightly pipeline went red. Find out why and email the platform team."
    )
    return (loop,)


@app.cell
def _(loop, mo):
    _runs = ", ".join(f"{run.name} ({run.status})" for run in loop.executions)
    mo.md(f"Stop reason of the loop: `{loop.stop_reason}`. Tool runs: {_runs}.")
    return


if __name__ == "__main__":
    app.run()

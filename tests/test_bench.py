"""The bench (``core.bench``, ``widgets.acompare_live``) driving the real SDK client over
``httpx2.MockTransport``: what each run sends, how many stream at once, a run that fails
alone, ``max_cost``, Stop, and that runs really overlap."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anthropic
import httpx2
import pytest
from mock_api import sse_body
from streams import error_event, message_end, message_start, text_events, thinking_events
from view_harness import Recorder, deliver, page_parts

from streamscope.core.comparison.bench import Bench, plan_runs
from streamscope.core.stream.blocks import TextBlock, ThinkingBlock
from streamscope.core.stream.state import StreamState
from streamscope.widgets import ComparisonView, acompare_live
from streamscope.widgets.bench import BenchView

Event = dict[str, Any]
HAIKU = "claude-haiku-4-5-20251001"
SONNET = "claude-sonnet-4-5-20250929"
COMMON: dict[str, Any] = {
    "model": SONNET,
    "max_tokens": 256,
    "system": "Answer in one sentence.",
    "messages": [{"role": "user", "content": "Why is the sky blue?"}],
}


def answer(model: str, text: str, output_tokens: int = 20) -> list[Event]:
    return [
        message_start(model),
        *text_events(0, text, 6),
        *message_end(output_tokens=output_tokens),
    ]


class StreamingAPI:
    """The Messages API over a mock transport whose answers stream in pieces, so requests
    overlap. ``answer_for(n, body)`` gives request n's events (or an ``httpx2.Response``
    to send as is); ``gate(n)`` is awaited before each piece of request n's stream after the
    first (a test holds streams open with it). Keeps each request's body and the loop time
    at which it arrived and its stream ended, and how many streams were open at most."""

    def __init__(
        self,
        answer_for: Callable[[int, dict[str, Any]], list[Event] | httpx2.Response],
        *,
        gate: Callable[[int], Any] | None = None,
        delay: Callable[[int], float] | None = None,
    ) -> None:
        self.answer_for = answer_for
        self.gate = gate
        self.delay = delay
        self.bodies: list[dict[str, Any]] = []
        self.arrived: list[float] = []
        self.ended: dict[int, float] = {}
        self.open = 0
        self.most_open = 0
        self.opened = asyncio.Event()

    async def _body(self, n: int, events: list[Event]) -> AsyncIterator[bytes]:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.opened.set()
        try:
            for k, event in enumerate(events):
                if k and self.gate is not None:
                    await self.gate(n)
                if k and self.delay is not None:
                    await asyncio.sleep(self.delay(n))  # the server's pace, not an assertion
                yield sse_body([event])
        finally:
            self.open -= 1
            self.ended[n] = asyncio.get_running_loop().time()

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        n = len(self.bodies)
        body = json.loads(request.content)
        self.bodies.append(body)
        self.arrived.append(asyncio.get_running_loop().time())
        found = self.answer_for(n, body)
        if isinstance(found, httpx2.Response):
            self.ended[n] = asyncio.get_running_loop().time()
            return found
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=self._body(n, found)
        )

    def client(self) -> anthropic.AsyncAnthropic:
        transport = httpx2.MockTransport(self.handle)
        return anthropic.AsyncAnthropic(
            api_key="sk-test", max_retries=0, http_client=httpx2.AsyncClient(transport=transport)
        )


def echo(n: int, body: dict[str, Any]) -> list[Event]:
    return answer(body["model"], f"Run {n}: Rayleigh scattering of sunlight by the air.")


def sent(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "stream"}


# ------------------------------------------------------------------ what is sent


def test_plan_merges_variants_with_common_and_repeats_samples() -> None:
    runs = plan_runs({"sonnet": {}, "haiku": {"model": HAIKU}}, COMMON, samples=2)
    assert [r.label for r in runs] == ["sonnet #1", "sonnet #2", "haiku #1", "haiku #2"]
    assert [r.request["model"] for r in runs] == [SONNET, SONNET, HAIKU, HAIKU]
    assert all(r.request["messages"] == COMMON["messages"] for r in runs)
    with pytest.raises(ValueError, match="no messages"):
        plan_runs([{"model": HAIKU}], {"max_tokens": 10})


def test_requests_are_the_variants_merged_with_common_one_per_run() -> None:
    api = StreamingAPI(echo)
    variants: dict[str, dict[str, Any]] = {
        "sonnet": {},
        "haiku": {"model": HAIKU},
        "thinking": {"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2048},
    }

    async def main() -> ComparisonView:
        return await acompare_live(api.client(), variants, samples=2, display=False, **COMMON)

    result = asyncio.run(main())
    bodies = sorted((sent(b) for b in api.bodies), key=lambda b: json.dumps(b, sort_keys=True))
    expected = sorted(
        [{**COMMON, **args} for args in variants.values() for _ in range(2)],
        key=lambda b: json.dumps(b, sort_keys=True),
    )
    assert bodies == expected
    assert all(b["stream"] is True for b in api.bodies)
    assert result.comparison.labels == (
        "sonnet #1", "sonnet #2", "haiku #1", "haiku #2", "thinking #1", "thinking #2"
    )  # fmt: skip
    # the comparison's runs are the finished states, and each saw its own request
    states = [run.states[0] for run in result.comparison.runs]
    assert all(isinstance(s, StreamState) and s.status == "done" for s in states)
    assert [s.model for s in states] == [SONNET, SONNET, HAIKU, HAIKU, SONNET, SONNET]
    assert states[4].request is not None and states[4].request["max_tokens"] == 2048
    assert result.comparison.row("model").differs


def test_concurrency_never_exceeds_the_cap() -> None:
    release = asyncio.Event()
    api: StreamingAPI

    async def gate(n: int) -> None:
        if api.open >= 3:  # three streams open: from now on every stream may go on
            release.set()
        await release.wait()

    api = StreamingAPI(echo, gate=gate)

    async def main() -> Bench:
        bench = Bench(api.client(), [{} for _ in range(8)], concurrency=3, **COMMON)
        await bench.arun()
        return bench

    bench = asyncio.run(main())
    assert len(api.bodies) == 8
    assert api.most_open == 3  # the cap was reached and never passed
    assert bench.most_running == 3
    assert all(r.phase == "done" for r in bench.executions)


def test_a_failing_run_fails_alone() -> None:
    def answers(n: int, body: dict[str, Any]) -> list[Event] | httpx2.Response:
        if n == 1:  # rate limited before the stream opens
            error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
            return httpx2.Response(429, json=error)
        if n == 2:  # overloaded mid-stream
            return [message_start(SONNET), *text_events(0, "Half an ans", 4, stop=False),
                    error_event()]  # fmt: skip
        if n == 3:
            error = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
            return httpx2.Response(529, json=error)
        return echo(n, body)

    api = StreamingAPI(answers)

    async def main() -> tuple[ComparisonView, BenchView]:
        bench = Bench(api.client(), [{} for _ in range(5)], concurrency=1, **COMMON)
        view = BenchView(bench, flush_timer=False)
        return await view.arun(), view

    result, view = asyncio.run(main())
    phases = [r.phase for r in view.bench.executions]
    assert phases == ["done", "failed", "failed", "failed", "done"]
    runs = view.bench.executions
    assert runs[1].state.failure is not None and "RateLimitError" in runs[1].state.failure
    # the SDK raises on the error event: the run keeps why, and what arrived before it
    assert runs[2].state.failure is not None and "overloaded_error" in runs[2].state.failure
    block = runs[2].state.blocks[0]
    assert isinstance(block, TextBlock) and block.text == "Half an ans"  # what arrived stays
    assert runs[3].state.failure is not None and "529" in runs[3].state.failure
    assert result.comparison.row("stop_reasons").texts[2] == "error"
    html = view.static_html()
    assert "Runs side by side" in html and "ss-compare-table" in html


def test_a_failure_shows_in_its_column_while_the_others_stream() -> None:
    release = asyncio.Event()

    async def gate(n: int) -> None:
        if n != 1:
            await release.wait()

    def answers(n: int, body: dict[str, Any]) -> list[Event]:
        if n == 1:
            return [message_start(SONNET), *text_events(0, "Half", 4, stop=False), error_event()]
        return echo(n, body)

    api = StreamingAPI(answers, gate=gate)
    seen: dict[str, str] = {}

    async def main() -> None:
        bench = Bench(api.client(), {"a": {}, "b": {}, "c": {}}, concurrency=3, **COMMON)
        view = BenchView(bench, flush_timer=False)
        task = asyncio.ensure_future(view.arun())
        while bench.executions[1].phase != "failed":
            await asyncio.sleep(0)
        seen["phases"] = ",".join(r.phase for r in bench.executions)
        seen["html"] = view.static_html()
        release.set()
        await task

    asyncio.run(main())
    assert seen["phases"] == "running,failed,running"
    assert "overloaded_error" in seen["html"] and 'role="alert"' in seen["html"]
    assert seen["html"].count('class="ss-bench-run"') == 3


def test_max_cost_stops_launches_and_says_so() -> None:
    api = StreamingAPI(lambda n, body: answer(body["model"], "An answer.", output_tokens=1000))

    async def main() -> BenchView:
        # one Sonnet run: 1,000 output tokens at $15/M = $0.015 (+ 25 input tokens)
        bench = Bench(api.client(), [{} for _ in range(6)], concurrency=1, max_cost=0.04, **COMMON)
        view = BenchView(bench, flush_timer=False)
        await view.arun()
        return view

    view = asyncio.run(main())
    bench = view.bench
    assert len(api.bodies) == 2  # a third run would pass $0.04
    assert [r.phase for r in bench.executions] == ["done", "done"] + ["skipped"] * 4
    assert bench.notice is not None and "max_cost $0.04" in bench.notice
    assert "stopped launching after 2 of 6 runs" in bench.notice
    assert bench.spent() <= 0.04
    html = view.static_html()
    assert "stopped launching after 2 of 6 runs" in html
    assert view.comparison is not None and len(view.comparison.comparison.runs) == 2


def test_stop_stops_all() -> None:
    hold = asyncio.Event()  # never set: streams stay open until stopped

    async def gate(n: int) -> None:
        await hold.wait()

    api = StreamingAPI(echo, gate=gate)

    async def main() -> BenchView:
        bench = Bench(api.client(), [{} for _ in range(6)], concurrency=3, **COMMON)
        view = BenchView(bench, flush_timer=False)
        recorder = Recorder(view)
        task = asyncio.ensure_future(view.arun())
        while api.open < 3:
            await asyncio.sleep(0)
        view._on_front_end_msg(
            view, {"type": "action", "action": "stop", "token": view.token}, None
        )  # the Stop button
        await asyncio.wait_for(task, 10)
        assert recorder.messages
        return view

    view = asyncio.run(main())
    phases = [r.phase for r in view.bench.executions]
    assert phases == ["stopped"] * 3 + ["skipped"] * 3
    assert len(api.bodies) == 3  # nothing launched after Stop
    # what arrived stays: each stopped run's message_start
    assert all(r.state.stopped and r.state.model == SONNET for r in view.bench.executions[:3])
    assert api.open == 0


# ------------------------------------------------------------------ overlap


def test_runs_really_overlap() -> None:
    """Four streams paced by the server (0.02 s to 0.05 s between events): the bench's
    wall time, from the first request to the last stream's end as the mock saw them, is
    within 1.3x of the slowest run's own time."""
    pace = {0: 0.02, 1: 0.03, 2: 0.04, 3: 0.05}
    api = StreamingAPI(echo, delay=lambda n: pace[n])

    async def main() -> None:
        await acompare_live(api.client(), [{} for _ in range(4)], display=False, **COMMON)

    asyncio.run(main())
    assert len(api.arrived) == 4
    first_end = min(api.ended.values())
    assert max(api.arrived) < first_end  # every request went out before any stream ended
    slowest = max(api.ended[n] - api.arrived[n] for n in range(4))
    wall = max(api.ended.values()) - min(api.arrived)
    assert wall <= 1.3 * slowest, (wall, slowest)


# ------------------------------------------------------------------ one output


def test_one_message_per_frame_for_all_runs() -> None:
    api = StreamingAPI(echo)

    async def main() -> tuple[BenchView, Recorder]:
        bench = Bench(api.client(), [{} for _ in range(4)], **COMMON)
        view = BenchView(bench, flush_timer=False, frame_interval=3600)
        recorder = Recorder(view)
        await view.arun()
        return view, recorder

    view, recorder = asyncio.run(main())
    patches = recorder.patches
    # frame_interval of an hour: the first change and the end flush, nothing per run
    assert len(patches) <= 3
    regions = {op[0] for p in patches for op in p["ops"]}
    assert "bench/body" in regions
    assert view._is_final()


def test_a_runs_thinking_is_folded_and_sent_once_a_page_opens_it() -> None:
    thought = "Pondering why the sky is blue. " * 8
    release = asyncio.Event()
    pieces: dict[int, int] = {}

    async def gate(n: int) -> None:  # all of the thinking, then hold the stream
        pieces[n] = pieces.get(n, 0) + 1
        if pieces[n] > 40:
            await release.wait()

    def answers(n: int, body: dict[str, Any]) -> list[Event]:
        return [
            message_start(SONNET),
            *thinking_events(0, thought),
            *text_events(1, "Rayleigh scattering, mostly.", 4),
            *message_end(),
        ]

    api = StreamingAPI(answers, gate=gate)
    seen: dict[str, dict[str, list[str]]] = {}

    async def main() -> None:
        bench = Bench(api.client(), [{}, {}], concurrency=2, **COMMON)
        view = BenchView(bench, flush_timer=False, frame_interval=0)
        initial = json.loads(json.dumps(view.picture))
        recorder = Recorder(view)
        task = asyncio.ensure_future(view.arun())
        while not all(
            r.state.blocks and r.state.blocks[0].complete for r in bench.executions
        ):  # both thinking blocks whole, the streams held after them
            await asyncio.sleep(0)
        view._flush()
        seen["before"] = page_parts(initial, recorder.patches)
        deliver(view, {"type": "want", "region": "lazy:r0.text/0"})
        seen["after"] = page_parts(initial, recorder.patches)
        release.set()
        await task

    asyncio.run(main())
    before, after = seen["before"], seen["after"]
    # folded: its count and its lazy slot are on the page, its text is not
    body = "".join(before["r0.lane/0"])
    assert "Thinking · 248 characters" in body and 'data-ss-lazy=""' in body
    assert "<details" in body and " open" not in body.split("</summary>")[0]
    assert not any(rid.startswith("lazy:") for rid in before)
    # opened on a page: that run's thinking is sent whole, the other run's is not
    assert "".join(after["lazy:r0.text/0"]).count("Pondering why the sky is blue.") == 8
    assert "lazy:r1.text/0" not in after


# ------------------------------------------------------------------ the bench's recordings

BENCH_RECORDINGS = [
    *(f"three_models_{k}" for k in ("haiku", "sonnet", "opus")),
    *(f"poem_sample_{k}" for k in range(1, 6)),
]


@pytest.mark.parametrize("name", BENCH_RECORDINGS)
def test_bench_recordings_validate_against_the_sdk_models(name: str) -> None:
    from anthropic.types.beta import BetaRawMessageStreamEvent
    from pydantic import TypeAdapter

    from streamscope.core.io import gallery

    adapter: TypeAdapter[Any] = TypeAdapter(BetaRawMessageStreamEvent)
    events = gallery.load_events(name)
    validated = [adapter.validate_python(e) for e in events if e["type"] != "ping"]
    assert len(validated) == len(events) - sum(e["type"] == "ping" for e in events)
    assert validated[-1].type == "message_stop"


def test_max_cost_counts_running_runs_at_their_worst_case() -> None:
    """Concurrent launches: before any run finished, each running run is committed at its
    worst case (its text at 4 characters a token, max_tokens of output)."""
    from streamscope.core.comparison.bench import worst_case_cost

    hold = asyncio.Event()

    async def gate(n: int) -> None:
        await hold.wait()

    api = StreamingAPI(echo, gate=gate)
    worst = worst_case_cost(COMMON)
    assert worst is not None and worst > 0

    async def main() -> Bench:
        bench = Bench(
            api.client(), [{} for _ in range(5)], concurrency=4, max_cost=2.5 * worst, **COMMON
        )
        task = asyncio.ensure_future(bench.arun())
        while bench.notice is None:
            await asyncio.sleep(0)
        hold.set()
        await task
        return bench

    bench = asyncio.run(main())
    assert [r.phase for r in bench.executions] == ["done", "done"] + ["skipped"] * 3
    assert len(api.bodies) == 2


def test_a_folded_thinking_lane_says_streaming_not_a_stale_count() -> None:
    # a bench column re-sends a lane's frame with its figures (every few seconds), not per
    # delta: a count there would read seconds old ("0 characters" 3 s into the thinking)
    from streamscope.widgets.render.lanes import Lane

    events = [message_start(SONNET), *thinking_events(0, "Pondering the sky. " * 4)]
    state = StreamState()
    for event in events[:-2]:  # the thinking's text, not its signature or its stop
        state.apply(event)
    block = state.blocks[0]
    assert isinstance(block, ThinkingBlock)
    folded = Lane(block, "r0.", "a0", fold_thinking=True)
    live = "".join(folded.regions(False)[folded.body_id])
    assert "Thinking · streaming" in live and "character" not in live.split("</summary>")[0]
    unfolded = Lane(block, "r0.", "a1")  # a StreamView's lane counts as the text arrives
    assert f"Thinking · {block.length} characters" in "".join(
        unfolded.regions(False)[unfolded.body_id]
    )
    for event in events[-2:]:
        state.apply(event)
    done = "".join(folded.regions(False)[folded.body_id])
    assert f"Thinking · {block.length} characters" in done


def test_a_finished_benchs_axis_ends_at_the_nearest_nice_tick() -> None:
    # live, the shared axis starts at 20 s and doubles; once every run is over it fits the
    # data (runs of a few ms here: 0-1 s, not 0-20 s with the bars in its first pixel)
    import re

    api = StreamingAPI(echo)

    async def main() -> BenchView:
        bench = Bench(api.client(), [{}, {}], concurrency=2, **COMMON)
        view = BenchView(bench, flush_timer=False)
        await view.arun()
        return view

    view = asyncio.run(main())
    axis = view.static_html().split('class="ss-tl-axis"', 1)[1].split("</div>", 1)[0]
    ticks = re.findall(r'<span class="ss-tl-tick">([^<]*)</span>', axis)
    assert ticks and ticks[-1] == "1 s", ticks

"""In-process measurements: rendering once, MessageStream with every yield a patch, the naive way.

CPU time is ``time.thread_time()`` of the one thread doing the work; each figure is
the median of several runs, after a warm-up.
"""

from __future__ import annotations

import gc
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_chatbot.conversation import streaming
from flask_chatbot.conversation.streaming import _SYNTAX, MessageStream
from flask_chatbot.rendering.renderer import Renderer, RenderOptions

from .text import _list, _paragraph, prefixes, reply

_renderer = Renderer(RenderOptions())


def render(text: str) -> str:
    return _renderer.render(text, from_user=False)


def cpu(work: Callable[[], object]) -> float:
    gc.collect()
    start = time.thread_time()
    work()
    return time.thread_time() - start


def median_cpu(work: Callable[[], object], runs: int) -> float:
    work()  # warm
    return statistics.median(cpu(work) for _ in range(runs))


def baseline(words: int, runs: int) -> float:
    """CPU to render the final message once (warm)."""
    text = reply(words)
    return median_cpu(lambda: render(text), runs)


def small_render_after_pause(runs: int, pause: float = 0.03) -> tuple[int, float, float]:
    """A tail-sized render (the first paragraph), warm and after ``pause`` s of sleep, as a paced stream's are."""
    text = reply(2000).split("\n\n")[0]
    warm = median_cpu(lambda: render(text), runs * 4)
    samples = []
    for _ in range(runs * 4):
        time.sleep(pause)
        samples.append(cpu(lambda: render(text)))
    return len(text), warm, statistics.median(samples)


def _kind(block: str) -> str:
    if block.startswith("```"):
        return "fenced code"
    if block.startswith("|"):
        return "table"
    if block.startswith(("- ", "1. ")):
        return "list"
    if block.startswith("#"):
        return "heading"
    return "paragraph"


def render_cost(runs: int) -> dict[str, Any]:
    """What a render call costs: fixed, per character by kind of block, Markdown's and bleach's shares."""
    text = reply(2000)
    one = median_cpu(lambda: [render("word") for _ in range(50)], runs) / 50
    kinds: dict[str, list[float]] = {}
    for block in text.split("\n\n"):
        entry = kinds.setdefault(_kind(block), [0, 0, 0.0])
        entry[0] += 1
        entry[1] += len(block)
        entry[2] += median_cpu(lambda: render(block), runs)  # noqa: B023 (called at once)
    md = _renderer.build_markdown(False)
    cleaner = _renderer.build_cleaner()
    html = md.reset().convert(text)
    markdown_cpu = median_cpu(lambda: md.reset().convert(text), runs)
    bleach_cpu = median_cpu(lambda: cleaner.clean(html), runs)
    return {"per_call": one, "kinds": kinds, "markdown": markdown_cpu, "bleach": bleach_cpu}


@dataclass
class StreamRun:
    words: int
    chars: int
    yields: int
    cpu: float
    render_cpu: float
    render_calls: int
    render_chars: int
    baseline: float
    triggers: dict[str, list[float]] = field(default_factory=dict)  # name: [calls, CPU]

    @property
    def ratio(self) -> float:
        return self.cpu / self.baseline

    @property
    def per_word(self) -> float:
        return self.cpu / self.words


def _stream_once(steps: list[str], counts: dict[str, float], triggers: dict[str, list[float]] | None) -> None:
    calls: list[float] = []

    def counted(text: str) -> str:
        start = time.thread_time()
        out = render(text)
        spent = time.thread_time() - start
        counts["cpu"] += spent
        counts["calls"] += 1
        counts["chars"] += len(text)
        calls.append(spent)
        return out

    stream = MessageStream(counted)
    for step in steps:
        calls.clear()
        patch = stream.update(step)
        if triggers is not None and patch is not None and calls:
            # _freeze renders before _update_tail: the first call is the frozen block's, if any.
            if "blocks" in patch:
                _count(triggers, "block frozen (rendered once)", calls.pop(0))
            for spent in calls:
                _count(triggers, _trigger_name(set(_SYNTAX.findall(patch["append"]))), spent)
    calls.clear()
    stream.finish()
    if triggers is not None:
        _count(triggers, "final render (`done`)", sum(calls))


def _count(triggers: dict[str, list[float]], name: str, spent: float) -> None:
    entry = triggers.setdefault(name, [0, 0.0])
    entry[0] += 1
    entry[1] += spent


def _trigger_name(found: set[str]) -> str:
    if not found:
        return "tail: plain words right after a block froze or a fence opened"
    if "\n" in found:
        return "tail: new line (list item, table row, heading, fence)"
    if "|" in found:
        return "tail: `|` (table cell)"
    if "`" in found:
        return "tail: `` ` `` (code span)"
    if "[" in found or "]" in found:
        return "tail: `[` `]` `(` `)` (link)"
    if "*" in found or "_" in found:
        return "tail: `*` `_` (emphasis)"
    return "tail: " + " ".join(sorted(f"`{c}`" for c in found))


def stream_every_yield(words: int, runs: int, base: float, text: str | None = None) -> StreamRun:
    """Every cumulative yield straight into MessageStream.update(), then finish(): no coalescing."""
    text = reply(words) if text is None else text
    steps = prefixes(text)
    triggers: dict[str, list[float]] = {}
    _stream_once(steps, {"cpu": 0.0, "calls": 0, "chars": 0}, triggers)  # warm, and what triggered renders
    samples = []
    for _ in range(runs):
        counts = {"cpu": 0.0, "calls": 0, "chars": 0}
        spent = cpu(lambda: _stream_once(steps, counts, None))  # noqa: B023 (called at once)
        samples.append((spent, counts))
    samples.sort(key=lambda s: s[0])
    spent, counts = samples[(len(samples) - 1) // 2]
    return StreamRun(
        words=words,
        chars=len(text),
        yields=len(steps),
        cpu=spent,
        render_cpu=counts["cpu"],
        render_calls=int(counts["calls"]),
        render_chars=int(counts["chars"]),
        baseline=base,
        triggers=triggers,
    )


def naive(words: int, runs: int) -> tuple[float, int]:
    """Re-render the whole text at every yield: CPU seconds, characters rendered."""
    steps = prefixes(reply(words))

    def work() -> None:
        for step in steps:
            render(step)

    render(steps[-1])
    return statistics.median(cpu(work) for _ in range(runs)), sum(len(s) for s in steps)


def shapes() -> dict[str, str]:
    """2,000-word replies of one kind of block each, beside the LLM-like mix."""
    numbered = _list(random.Random(3), 2000, numbered=True).replace("\n", "\n\n")
    return {
        "LLM-like mix (the reply above)": reply(2000),
        "one paragraph": _paragraph(random.Random(3), 2000),
        "one bullet list": _list(random.Random(3), 2000, numbered=False),
        "one loose numbered list (blank line between items)": numbered,
    }


def shape_runs(runs: int, what_if_big_tail: int = 512) -> list[tuple[str, StreamRun, StreamRun]]:
    """Each shape streamed every yield a patch, as the library is and with a smaller BIG_TAIL (a what-if)."""
    out = []
    for name, text in shapes().items():
        base = median_cpu(lambda: render(text), runs)  # noqa: B023 (called at once)
        now = stream_every_yield(2000, runs, base, text)
        saved = streaming.BIG_TAIL
        streaming.BIG_TAIL = what_if_big_tail
        try:
            what_if = stream_every_yield(2000, runs, base, text)
        finally:
            streaming.BIG_TAIL = saved
        out.append((name, now, what_if))
    return out


def fresh_thread_overhead(runs: int) -> float:
    """Extra CPU of the first render on a new thread (the renderer builds its Markdown and bleach objects
    per thread, and every reply's emitter is a new thread)."""
    samples = []
    for _ in range(runs * 2):
        times: list[float] = []

        def first_and_second() -> None:
            for _ in range(2):
                start = time.thread_time()
                render("word")
                times.append(time.thread_time() - start)  # noqa: B023 (joined in this iteration)

        thread = threading.Thread(target=first_and_second)
        thread.start()
        thread.join()
        samples.append(times[0] - times[1])
    return statistics.median(samples)

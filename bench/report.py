"""The benchmark's tables (printed) and docs/performance.md (``--write``)."""

from __future__ import annotations

import datetime
import os
import platform
from importlib import metadata
from typing import Any

from .live import Turn

TARGET = 3.0
LIBRARIES = ["Markdown", "bleach", "Flask", "simple-websocket", "flask-sock", "wsproto", "gunicorn", "websocket-client"]


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cpu": model,
        "cores": f"{os.cpu_count()} ({usable} usable)",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "libraries": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def times(x: float) -> str:
    return f"{x:,.1f}×"


def kb(n: float) -> str:
    return f"{n / 1000:,.1f} kB"


def _met(ratio: float) -> str:
    return "**met**" if ratio <= TARGET else "not met"


def _table(head: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(head) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


# -- the tables ------------------------------------------------------------------------


def _live_rows(r: dict[str, Any]) -> list[tuple[str, Turn]]:
    live = r["live"]
    return [
        ("unpaced, `stream_interval` 0.03 (default)", live["unpaced"][False]),
        ("unpaced, `stream_interval` 0.03, deflate", live["unpaced"][True]),
        ("100 words/s, `stream_interval` 0.03 (default)", live["paced"]["plain"]),
        ("100 words/s, `stream_interval` 0.03, deflate", live["paced"]["deflate"]),
        ("100 words/s, `stream_interval` 0.1", live["paced"]["interval_0.1"]),
        ("every yield a patch (`stream_interval` 0, 1,000 words/s)", live["every"][False]),
        ("every yield a patch, deflate", live["every"][True]),
    ]


def summary_table(r: dict[str, Any]) -> str:
    ip = r["inprocess"]
    base = ip["baseline"][2000]
    rows = []
    for name, t in _live_rows(r):
        spread = f"{times(t.extra['cpu_min'] / base)}–{times(t.extra['cpu_max'] / base)} ({t.extra['runs']:.0f})"
        rows.append(
            [
                f"live: {name}",
                f"{t.patches:,}",
                ms(t.cpu),
                f"**{times(t.cpu / base)}**",
                spread,
                times((t.cpu - t.fn_cpu) / base),
                _met(t.cpu / base),
            ]
        )
    s = ip["stream"][2000]
    rows.append(
        [
            "in-process: `MessageStream` alone, every yield a patch",
            f"{s.yields:,}",
            ms(s.cpu),
            f"**{times(s.ratio)}**",
            "",
            "",
            _met(s.ratio),
        ]
    )
    head = ["regime (2,000 words, one word per yield)", "patches", "server CPU", "× one render", "runs: min–max (n)"]
    return _table(head + ["× without the fn thread", f"≤ {TARGET:.0f}×"], rows)


def breakdown_table(r: dict[str, Any]) -> str:
    rows = []
    for name, t in _live_rows(r):
        rows.append(
            [
                name,
                ms(t.cpu),
                f"{ms(t.render_cpu)} ({t.render_calls:,} calls, {t.render_chars / t.content_chars:,.1f}× the text)",
                ms(t.fn_cpu),
                ms(t.emit_cpu - t.render_cpu),
                ms(t.cpu - t.fn_cpu - t.emit_cpu),
                (f"{(t.cpu - t.fn_cpu) / t.patches * 1e6:,.0f} µs" if t.patches else "–"),
                (f"{(t.emit_cpu - t.render_cpu) / t.patches * 1e6:,.0f} µs" if t.patches else "–"),
                f"{t.wall:,.2f} s",
            ]
        )
    head = ["live regime", "server CPU", "rendering", "fn thread", "emitter, not rendering", "other threads"]
    return _table(head + ["per patch¹", "per patch, not rendering", "wall"], rows)


def bytes_table(r: dict[str, Any]) -> str:
    rows = []
    for name, t in _live_rows(r):
        rows.append(
            [
                name,
                f"{t.patches:,}",
                kb(t.patch_bytes),
                kb(t.done_bytes),
                kb(t.wire_bytes),
                f"{t.wire_bytes / t.html_chars:,.1f}×",
            ]
        )
    return _table(["live regime", "patch frames", "patch JSON", "`done` frame", "on the socket²", "÷ final HTML"], rows)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def latency_table(r: dict[str, Any]) -> str:
    live = r["live"]
    rows = []
    for name, key in (
        ("`stream_interval` 0.03 (default)", "plain"),
        ("`stream_interval` 0.03, deflate", "deflate"),
        ("`stream_interval` 0.1", "interval_0.1"),
        ("`stream_interval` 0.03, **Nagle's algorithm left on** (no `TCP_NODELAY`)", "nagle"),
    ):
        t = live["paced"][key]
        rows.append(
            [
                name,
                f"{t.patches:,}",
                ms(_percentile(t.lag, 0.5)),
                ms(_percentile(t.lag, 0.95)),
                ms(max(t.lag)),
                ms(t.cpu),
            ]
        )
    return _table(["100 words/s, 2,000 words", "patches", "word lag: median", "p95", "max", "server CPU"], rows)


def linearity_table(r: dict[str, Any]) -> str:
    rows = []
    for n, s in r["inprocess"]["stream"].items():
        rows.append(
            [
                f"{n:,}",
                f"{s.chars:,}",
                ms(s.baseline),
                ms(s.cpu),
                times(s.ratio),
                f"{s.per_word * 1e6:,.1f} µs",
                f"{s.render_calls:,}",
                f"{s.render_chars / s.chars:,.1f}×",
                f"{s.render_cpu / s.cpu:.0%}",
            ]
        )
    head = [
        "words",
        "characters",
        "one render",
        "streamed (every yield)",
        "× one render",
        "CPU per word",
        "render calls",
    ]
    return _table(head + ["characters rendered ÷ text", "rendering share"], rows)


def shapes_table(r: dict[str, Any]) -> str:
    ip = r["inprocess"]
    rows = []
    for name, now, what_if in ip["shapes"]:
        rows.append(
            [
                name,
                ms(now.baseline),
                ms(now.cpu),
                f"**{times(now.ratio)}**",
                f"{now.render_calls:,}",
                f"{now.render_chars / now.chars:,.1f}×",
                f"{times(what_if.ratio)} ({what_if.render_calls:,} calls)",
            ]
        )
    head = [
        "2,000 words of",
        "one render",
        "streamed (every yield)",
        "× one render",
        "render calls",
        "characters rendered ÷ text",
    ]
    return _table(head + [f"what if `BIG_TAIL` = {ip['what_if_big_tail']:,}"], rows)


def _trigger_label(name: str) -> str:
    return name.replace("`|`", "`\\|`")  # a bare | would split the Markdown table's cell


def triggers_table(r: dict[str, Any]) -> str:
    s = r["inprocess"]["stream"][2000]
    rows = [
        [_trigger_label(name), f"{calls:,.0f}", ms(spent), f"{spent / calls * 1e6:,.0f} µs"]
        for name, (calls, spent) in sorted(s.triggers.items(), key=lambda kv: -kv[1][1])
    ]
    calls = sum(c for c, _ in s.triggers.values())
    spent = sum(t for _, t in s.triggers.values())
    rows.append(["**all renders**", f"**{calls:,.0f}**", f"**{ms(spent)}**", f"{spent / calls * 1e6:,.0f} µs"])
    return _table(["what made `MessageStream` render", "calls", "CPU", "per call"], rows)


def _tail_renders(r: dict[str, Any]) -> tuple[float, float]:
    """Calls and CPU of the tail re-renders (everything but frozen blocks and the final render)."""
    trig = r["inprocess"]["stream"][2000].triggers
    tail = [v for k, v in trig.items() if k.startswith("tail")]
    return sum(c for c, _ in tail), sum(t for _, t in tail)


def render_cost_table(r: dict[str, Any]) -> str:
    cost = r["inprocess"]["render_cost"]
    rows = []
    for kind, (count, chars, spent) in sorted(cost["kinds"].items(), key=lambda kv: -kv[1][2]):
        rows.append([kind, f"{count:,.0f}", f"{chars:,.0f}", ms(spent), f"{spent / chars * 1e6:,.2f} µs"])
    return _table(
        ["blocks of the 2,000-word reply, rendered one by one", "blocks", "characters", "CPU", "per character"], rows
    )


def _naive_fit(ip: dict[str, Any]) -> tuple[float, float]:
    """a, b of T(n) = a·n² + b·n through the 500- and 1,000-word runs."""
    (t1, _), (t2, _) = ip["naive"][500], ip["naive"][1000]
    a = (t2 / 1000 - t1 / 500) / 500
    return a, t1 / 500 - a * 500


def naive_table(r: dict[str, Any]) -> str:
    ip = r["inprocess"]
    a, b = _naive_fit(ip)
    rows = []
    for n, (t, chars) in ip["naive"].items():
        inc = ip["stream"][n].cpu if n in ip["stream"] else None
        rows.append(
            [
                f"{n:,}",
                f"{t:,.2f} s",
                f"{chars / 1e6:,.2f} M",
                times(t / ip["baseline"][n]) if n in ip["baseline"] else "",
                ms(inc) if inc is not None else "",
                f"median of {ip['naive_runs'][n]}",
            ]
        )
    for n in (2000, 4000):
        t = a * n * n + b * n
        rows.append(
            [
                f"{n:,}",
                f"≈ {t:,.0f} s",
                "",
                times(t / ip["baseline"][n]),
                ms(ip["stream"][n].cpu),
                "extrapolated (a·n² + b·n)",
            ]
        )
    return _table(
        [
            "words",
            "naive: re-render at every yield",
            "characters rendered",
            "× one render",
            "incremental (every yield)",
            "note",
        ],
        rows,
    )


def history_table(r: dict[str, Any]) -> str:
    live = r["live"]
    words = live["history_reply_words"]
    rows = []
    for n, t in live["history"].items():
        rows.append(
            [
                f"{n:,}",
                ms(live["hello"][n]),
                ms(t.cpu),
                f"{ms(t.extra['cpu_min'])}–{ms(t.extra['cpu_max'])}",
                f"{t.patches:,}",
                (f"{(t.cpu - t.fn_cpu) / t.patches * 1e6:,.0f} µs" if t.patches else "–"),
                f"{t.cpu / words * 1e6:,.0f} µs",
            ]
        )
    head = ["messages of history", "`hello` (server CPU)", f"{words:,}-word reply", "runs: min–max", "patches"]
    return _table(head + ["per patch, without the fn thread", "per word"], rows)


def render_cost_text(r: dict[str, Any]) -> str:
    ip = r["inprocess"]
    cost = ip["render_cost"]
    chars, warm, cold = ip["small_render"]
    whole = cost["markdown"] + cost["bleach"]
    return (
        f"A render call costs {cost['per_call'] * 1e6:,.0f} µs before its first character (one word). "
        f"Of a whole-reply render, Python-Markdown takes {cost['markdown'] / whole:.0%} and bleach (html5lib) "
        f"{cost['bleach'] / whole:.0%}. A {chars:,}-character paragraph renders in {warm * 1e6:,.0f} µs back to back "
        f"and {cold * 1e6:,.0f} µs when the thread has slept 30 ms first, as the renders of a paced stream do."
    )


def tables(r: dict[str, Any]) -> str:
    ip, live, m = r["inprocess"], r["live"], r["machine"]
    parts = [
        f"Reply: 2,000 words, {ip['text_chars'][2000]:,} characters of Markdown, {ip['html_chars']:,} characters of HTML.",
        f"One render of the final message (the baseline): {ms(ip['baseline'][2000])}.",
        render_cost_text(r),
        "",
        render_cost_table(r),
        "",
        "## Target: server CPU for the whole stream ÷ one render of the final message",
        summary_table(r),
        "",
        "## Where the server's CPU goes (live, median run)",
        breakdown_table(r),
        "",
        "## Bytes per streamed reply",
        bytes_table(r),
        "",
        "## Latency: from fn's yield of a word to the client reading it (live, 100 words/s)",
        latency_table(r),
        "",
        "## Linearity (in-process, every yield a patch)",
        linearity_table(r),
        "",
        "## Shapes (in-process, every yield a patch)",
        shapes_table(r),
        "",
        "## What triggers renders (in-process, 2,000 words, every yield a patch)",
        triggers_table(r),
        "",
        "## The naive way",
        naive_table(r),
        "",
        f"## Work per token and the conversation ({live['history_bytes'] / 1000:,.0f} kB hello for 500 messages)",
        history_table(r),
        "",
        f"Idle worker CPU (subtracted): {', '.join(f'{x * 1000:.2f}' for x in live['idle_rate'])} ms per second; "
        f"one /bench/stats request: {ms(live['stats_cost'])} (subtracted). "
        f"First render on a new thread: +{ms(ip['fresh_thread'])}.",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['python']}, {m['os']}; {m['libraries']}; {m['date']}.",
        f"Bench took {r['duration']:.0f} s.",
    ]
    return "\n".join(parts)


# -- the document ---------------------------------------------------------------------


INTRO = """# Performance

flask-chatbot streams a reply while `fn` yields it. The requirement: the server sends small
patches, never the whole message per yield; it coalesces yields that come faster than the browser
can use them; the total server work for a reply grows linearly with its length, and the work per
streamed token does not grow with the conversation. The figure of merit: **server CPU seconds for
a whole 2,000-word reply yielded one word at a time ÷ CPU seconds to render the final message
once**, target **at most 3×**.

This file is written by `python -m bench --write` (`make bench` prints the same tables without
writing). Every figure in it comes from the run recorded under [Machine](#machine).

## Why the work is linear

Each streamed message is a `MessageStream` (`flask_chatbot/conversation/streaming.py`), fed by one emitter
thread per reply (`flask_chatbot/conversation/reply.py`):

- **Frozen blocks are rendered once.** Text before a confirmed block boundary (a blank line
  outside fenced code that is not followed by an indented or list line, or the end of a fenced
  block) is rendered and sent once, and never again.
- **Plain words are sent as `tail_text`.** The open block (the *tail*) is re-rendered only when
  Markdown syntax (``* _ ` ~ [ ] ( ) ! < > & \\ | $``) or a new line arrives; other words render as
  themselves, so the element appends them as a text node. Inside an open fence all new text is
  code and is appended as text too.
- **Big tails are re-rendered geometrically.** A tail longer than `BIG_TAIL` (2,048 characters: one
  huge paragraph or list) is re-rendered only after it grew by a quarter, so its re-renders sum to a
  constant times its length.
- **Coalescing.** `fn` runs in its own thread and drops each value into a slot; the emitter takes
  the latest value when it is ready, at most one patch per `stream_interval` (0.03 s by default) and
  no faster than the socket accepts frames. Values that come faster are never rendered or sent.
- **The final message is rendered once**, in full, for the `done` frame, so what stays on screen is
  exact.

## How it is measured

- **The reply** is deterministic, LLM-like Markdown (`bench/text.py`, seeded): paragraphs of 40–120
  words with **bold**, `code` and links, bullet and numbered lists, three fenced code blocks, a
  table and headings; exactly 2,000 words. `fn` yields it cumulatively, one word per yield.
- **The baseline** is `Renderer(RenderOptions()).render(text, from_user=False)` on the final text,
  warm (rendered once before timing), `time.thread_time()`, median of the runs.
- **Live** runs are the real thing: gunicorn (gthread worker class, one worker, 16 threads, like
  `sample_app/gunicorn.conf.py` but one process) serving `chat_bp` in a separate process
  (`bench/server.py`), and a real WebSocket client in the benchmark's process reading every frame.
  Each run opens a connection, says `hello`, submits, and reads up to `idle`. Server CPU is the
  worker's `time.process_time()` (all threads, including the fn and emitter threads that end with
  the reply), read through `GET /bench/stats` just before the submit and just after `idle`; the
  cost of that request and the idle worker's CPU over the same wall time are subtracted
  (`/proc/<pid>/stat` agrees, but counts in 10 ms ticks). It is everything the server does for the
  reply: `fn` itself, marshmallow, rendering, JSON, WebSocket framing and compression, thread
  hand-offs. Rendering is counted apart by wrapping `Renderer.render`, the fn and emitter threads
  by their own CPU clocks. Two clients: websocket-client, which negotiates no compression, and a
  small wsproto client that offers permessage-deflate, as every browser does (simple-websocket
  accepts it).
- **Regimes.** *Unpaced*: `fn` yields as fast as it can. *100 words/s*: `fn` sleeps between words
  (a fast LLM), 20 s per reply; the four paced variants run side by side on four servers to keep
  the benchmark short. *Every yield a patch*: `stream_interval=0` and 1,000 words/s, so the emitter
  sends one patch per word (or nearly): this is also what any `fn` slower than one word per
  `stream_interval` (≈ 33 words/s) costs at the default setting, since then every word is its own
  patch. *In-process*: all 2,000 cumulative yields straight into `MessageStream.update()`, then
  `finish()`: the rendering work with no coalescing and no transport.
"""


def document(r: dict[str, Any]) -> str:
    ip, live, m = r["inprocess"], r["live"], r["machine"]
    base = ip["baseline"][2000]
    return f"""{INTRO}
## Results

The 2,000-word reply is {ip["text_chars"][2000]:,} characters of Markdown and {ip["html_chars"]:,}
characters of HTML. Rendering it once costs **{ms(base)}**: the baseline of every ratio below.

{render_cost_text(r)} Lists and tables cost several times more per character than paragraphs
(bleach's html5lib pass is paid per element):

{render_cost_table(r)}

### The target: server CPU ÷ one render

{summary_table(r)}

*× without the fn thread* leaves out the CPU of the thread running `fn` (the bot's own work, and
its waking up for every word), to show the library's share.

### Where the server's CPU goes

Median run of each live regime. *Rendering* is every `Renderer.render` call (frozen blocks, tail
re-renders, the final render, the user's message). *fn thread* is `fn` plus the library's hand-off
of each value (`iterate_reply`, the condition variable): {ms(live["unpaced"][False].fn_cpu)} for 2,000
yields when unpaced, so in the paced regimes nearly all of it is the cost of waking up for every
word, which a real model's socket read costs too. *Emitter, not rendering* is `MessageStream`'s
book-keeping, JSON encoding, WebSocket framing (and compression), the `send` system call and the
emitter's own wake-ups. *Other threads*: the session's receive loop (parsing the submit, rendering
the user's message), the WebSocket reader thread and gunicorn.

{breakdown_table(r)}

¹ Server CPU without the fn thread, divided by the number of patches. *Other threads* is what
remains after the idle worker's CPU over the same wall time is subtracted, so over a 20 s stream it
can come out a few milliseconds below zero: the noise of the idle estimate.

### Bytes per streamed reply

{bytes_table(r)}

² Every frame of the turn (user echo, patches, `done`, `idle`) as sent, frame headers included,
after compression for the deflate client. The raw Markdown is {ip["text_chars"][2000] / 1000:,.1f} kB; an empty
patch frame (`type`, `id`, `keep`, `append`) is {r["patch_overhead"]} bytes.

### Latency and `TCP_NODELAY`

How long after `fn` yielded each word the client read the first patch holding it (both moments on
one clock; it includes the wait for the next `stream_interval`, which coalescing costs). The fourth row runs a server where the benchmark undoes the
library's `TCP_NODELAY` (`flask_chatbot/conversation/outbox.py`): with Nagle's algorithm on, a small frame waits
for the acknowledgement of the one before, and the client delays its acknowledgements.

{latency_table(r)}

{nagle_reading(r)}

### Linearity

In-process, every yield a patch (no coalescing), for replies of 500 to 4,000 words made the same
way; the baseline of each row is one render of that reply. The generator places one list, code
block or table per 250 words in a fixed rotation, so the 500- and 1,000-word replies hold no table
(the costliest block to stream, below) and the 500-word one no code block: that, not the length,
is why their CPU per word is lower.

{linearity_table(r)}

### Shapes

The same 2,000 words as a single block of one kind, every yield a patch. The last column is a
what-if, measured by setting `flask_chatbot.conversation.streaming.BIG_TAIL` from the benchmark: the library
as it is uses 2,048.

{shapes_table(r)}

### What triggers renders

In-process, 2,000 words, every yield a patch; a tail re-render is attributed to the Markdown syntax
in the words that triggered it (new line first, then `|`, code span, link, emphasis).

{triggers_table(r)}

### The naive way: re-render the whole message at every yield

{naive_table(r)}

The naive way was not run at 2,000 words or more (it would take a quarter of a minute and more):
the rows marked *extrapolated* fit a·n² + b·n to the 500- and 1,000-word runs.

### Work per token and the length of the conversation

The same {live["history_reply_words"]:,}-word reply, one patch per word (`stream_interval=0`, 1,000 words/s), on
a connection whose `hello` carried no history or {max(live["history"]):,} messages
({live["history_bytes"] / 1000:,.0f} kB of JSON). The `hello` is measured on its own and is not part of the
reply's figures. Runs alternate between the two histories.

{history_table(r)}

{reading(r)}

## Machine

| | |
| --- | --- |
| CPU | {m["cpu"]} |
| cores | {m["cores"]} |
| Python | {m["python"]} |
| OS | {m["os"]} |
| libraries | {m["libraries"]} |
| date | {m["date"]} |
| runs | median of {r["runs"]} (paced and every-yield: {live["paced"]["plain"].extra["runs"]:.0f}; shapes and naive: {ip["naive_runs"][500]}; naive 1,000 words: 1) |
| idle worker CPU | {", ".join(f"{x * 1000:.2f}" for x in live["idle_rate"])} ms per second (one figure per server; subtracted) |
| cross-check | paced reply (median run): {ms(live["paced"]["plain"].cpu)} by `process_time()`, {live["paced"]["plain"].proc_ticks * 1000 / os.sysconf("SC_CLK_TCK"):,.0f} ms by `/proc/<pid>/stat` (10 ms ticks, nothing subtracted) |
| benchmark time | {r["duration"]:.0f} s |

A shared virtual machine: single runs move by 10–20 % (the min–max columns); the ratios and the
shapes (flat per word, flat with history, quadratic for the naive way) are what hold.

## Reproduce

```sh
make bench                          # prints the tables (about {r["duration"] / 60:.0f} minutes)
.venv/bin/python -m bench --write   # and rewrites this file
.venv/bin/python -m bench --runs 3  # fewer runs per measurement
```
"""


def nagle_reading(r: dict[str, Any]) -> str:
    paced = r["live"]["paced"]
    on, off = _percentile(paced["nagle"].lag, 0.5), _percentile(paced["plain"].lag, 0.5)
    on95, off95 = _percentile(paced["nagle"].lag, 0.95), _percentile(paced["plain"].lag, 0.95)
    if abs(on - off) < 0.005 and abs(on95 - off95) < 0.01:
        verdict = (
            f"Over loopback, with a client that acknowledges at once, Nagle's algorithm made no measurable "
            f"difference here (median lag {ms(on)} with it, {ms(off)} without; p95 {ms(on95)} and {ms(off95)}), "
            f"and `TCP_NODELAY` costs no CPU. It is there for browsers, which delay their acknowledgements: "
            f"in Chromium a WebSocket echo over loopback took about 36 ms with Nagle's algorithm on and 28 ms "
            f"with `TCP_NODELAY` (measured during development, not by this benchmark)."
        )
    else:
        verdict = (
            f"Leaving Nagle's algorithm on moved the median lag from {ms(off)} to {ms(on)} and the p95 from "
            f"{ms(off95)} to {ms(on95)}: small frames want `TCP_NODELAY`, which costs no CPU."
        )
    plain = paced["plain"]
    return (
        f"At the default `stream_interval` a word reaches the client a median {ms(off)} after `fn` yielded it "
        f"(p95 {ms(off95)}); at 0.1 s, {ms(_percentile(paced['interval_0.1'].lag, 0.5))} "
        f"(p95 {ms(_percentile(paced['interval_0.1'].lag, 0.95))}), for {times(paced['interval_0.1'].cpu / plain.cpu)} the CPU. "
        + verdict
    )


def reading(r: dict[str, Any]) -> str:
    ip, live = r["inprocess"], r["live"]
    base = ip["baseline"][2000]
    unp, unp_d = live["unpaced"][False], live["unpaced"][True]
    paced, paced_d, paced_01 = live["paced"]["plain"], live["paced"]["deflate"], live["paced"]["interval_0.1"]
    every = live["every"][False]
    s2000 = ip["stream"][2000]
    per_word = {n: s.per_word for n, s in ip["stream"].items()}
    a, b = _naive_fit(ip)
    naive2000 = a * 2000 * 2000 + b * 2000
    nh = max(live["history"])
    h0, hn = live["history"][0], live["history"][nh]
    tail_calls, tail_cpu = _tail_renders(r)
    trig = s2000.triggers
    frozen_cpu = trig.get("block frozen (rendered once)", [0, 0.0])[1] + trig.get("final render (`done`)", [0, 0.0])[1]
    table_calls, table_cpu = trig.get("tail: `|` (table cell)", [0, 0.0])
    shapes = {name: (now, what_if) for name, now, what_if in ip["shapes"]}
    bullet_now, bullet_if = shapes["one bullet list"]
    lib_paced = paced.cpu - paced.fn_cpu
    paced_emit = paced.emit_cpu - paced.render_cpu
    every_emit = every.emit_cpu - every.render_cpu
    return f"""## Reading

**Is the 3× target met?** Only when `fn` yields faster than the emitter sends.

- **Unpaced** (`fn` yields faster than the browser can use): **{times(unp.cpu / base)}**, {_met(unp.cpu / base)}
  ({times(unp_d.cpu / base)} with permessage-deflate). Coalescing works: {unp.patches:,} patches for 2,000 yields (a reply whose fn has finished goes straight to `done`).
  Of the {ms(unp.cpu)}, rendering is {ms(unp.render_cpu)}: the whole text twice ({unp.render_calls} render
  calls), once for that one patch and once for `done`.
- **100 words/s** (a fast LLM, default `stream_interval`): **{times(paced.cpu / base)}**, {_met(paced.cpu / base)}
  ({times(paced_d.cpu / base)} with permessage-deflate; {times(lib_paced / base)} without the fn thread). The
  stream lasts {paced.wall:.0f} s and sends {paced.patches:,} patches. Rendering is {paced.render_cpu / paced.cpu:.0%}
  of the CPU ({paced.render_calls:,} calls, {paced.render_chars / paced.content_chars:.1f}× the text's characters),
  the fn thread {paced.fn_cpu / paced.cpu:.0%} ({paced.fn_cpu / 2000 * 1e6:,.0f} µs per word, almost all of it
  waking up for every word), and the emitter's per-patch work {paced_emit / paced.cpu:.0%}
  ({paced_emit / paced.patches * 1e6:,.0f} µs per patch besides rendering). At `stream_interval=0.1` the same stream
  costs {times(paced_01.cpu / base)} with {paced_01.patches:,} patches.
- **Every yield a patch** (and so any `fn` slower than ≈ 33 words/s at the default setting):
  **{times(every.cpu / base)}** live, {_met(every.cpu / base)}; in-process, `MessageStream` alone costs
  **{times(s2000.ratio)}**: {s2000.render_calls:,} renders of {s2000.render_chars / s2000.chars:.1f}× the text's
  characters, rendering {s2000.render_cpu / s2000.cpu:.0%} of its time.
- **Linear: yes.** In-process CPU per word is {per_word[2000] * 1e6:,.0f} µs at 2,000 words and
  {per_word[4000] * 1e6:,.0f} µs at 4,000 (lower at 500 and 1,000 words only because those replies hold no
  table). The naive way is quadratic: {ip["naive"][1000][0]:,.1f} s for 1,000 words, ≈ {naive2000:,.0f} s
  (extrapolated) for 2,000, {times(naive2000 / base)} one render, against {ms(s2000.cpu)} for the incremental
  way with no coalescing at all.
- **Work per token does not grow with the conversation.** The {live["history_reply_words"]:,}-word reply cost
  {ms(h0.cpu)} with no history and {ms(hn.cpu)} with {nh:,} messages ({hn.cpu / h0.cpu - 1:+.1%}; runs spread
  {ms(h0.extra["cpu_min"])}–{ms(h0.extra["cpu_max"])} and {ms(hn.extra["cpu_min"])}–{ms(hn.extra["cpu_max"])}).
  Nothing per patch touches the history; it is read once per reply (a copy for `fn`) and once per `hello`
  ({ms(live["hello"][nh])} for {nh:,} messages, mostly marshmallow validation).
- **Bytes.** A reply at 100 words/s sends {kb(paced.wire_bytes)} uncompressed for {kb(paced.html_chars)} of
  final HTML ({paced.wire_bytes / paced.html_chars:.1f}×), {kb(paced_d.wire_bytes)} with permessage-deflate.

**What dominates.** The number of patches and the number of render calls, not the number of
characters. Each render call costs ≈ {ip["render_cost"]["per_call"] * 1e6:,.0f} µs before its first character (a
Markdown conversion and a bleach/html5lib pass), and lists and tables cost 2–5× more per character
than paragraphs. Each patch costs a thread wake-up, a JSON encoding, a WebSocket frame and a `send`:
{every_emit / every.patches * 1e6:,.0f} µs besides rendering when patches come back to back, {paced_emit / paced.patches * 1e6:,.0f} µs
at 100 words/s, where every patch and every word wakes a sleeping thread (on this virtual machine a
thread that has slept runs measurably slower: see the paragraph render above). Even a stream that
sent nothing but `done` would cost about one render; the frozen blocks and the final render together
are {ms(frozen_cpu)} = {times(frozen_cpu / base)} in the in-process run, so the 3× budget leaves
{times(max(TARGET - frozen_cpu / base, 0))} one render for every tail re-render and every patch: at tens of µs
per patch, a few hundred patches use it up.

## Where the library could do better

Measured above; none of these is quadratic, each is a constant factor.

1. **The whole reply is rendered and sent twice when `fn` is done before the emitter looks.**
   `Reply._emit` reads `finished` with the value but still sends a patch of it, then `done` renders
   the same text again. That is the unpaced case, and every plain (non-generator) `fn` (checked with
   `Reply` directly: `message`, `patch`, `done`, three renders, and `done` can wait one more
   `stream_interval`): {unp.render_calls} render calls of {unp.render_chars / unp.content_chars:.1f}× the
   text here, and two {kb(unp.done_bytes)} frames ({kb(unp.wire_bytes)} uncompressed). Going straight to `done` when `finished` is already set would save
   about one render ({times(unp.cpu / base)} → about {times((unp.cpu - base) / base)}) and half the bytes.
2. **Tail re-renders on inline syntax** are {tail_calls:,.0f} of the {s2000.render_calls:,} render calls and
   {ms(tail_cpu)} of {ms(s2000.render_cpu)} in the in-process run. Opening delimiters (`**word`, a lone
   `` ` ``, `[`) change nothing on screen until they close (an unclosed one renders as itself), yet each
   re-renders the open block; a table re-renders at every `|` ({table_calls:,.0f} calls, {ms(table_cpu)} for
   the reply's one table), where a row's end would do. Deferring openers, re-rendering tables per row, or
   throttling tail re-renders in time would remove most of them.
3. **Lists below `BIG_TAIL` re-render at every item.** A loose or long list is one open block, and
   each new item re-renders all of it until it passes 2,048 characters: a 2,000-word bullet list streams
   at {times(bullet_now.ratio)} one render, {times(bullet_if.ratio)} with `BIG_TAIL` = {ip["what_if_big_tail"]:,}
   (what-if above), at the price of more approximate tails between re-renders.
4. **`finish()` renders the whole text again** although the frozen blocks' HTML exists: reusing it and
   rendering only the last block would save about one render per reply (the text would need a
   fallback to the full render when it holds reference-style link definitions, which reach across
   blocks).
5. **Per-patch overhead** ({paced_emit / paced.patches * 1e6:,.0f} µs besides rendering at 100 words/s) times up to
   33 patches a second: {ms(paced_emit)} of the paced reply. `stream_interval=0.1` gives
   {times(paced_01.cpu / base)} instead of {times(paced.cpu / base)}; a larger default, or an interval that grows
   while the tail is long, trades smoothness for CPU.
6. **Small:** each reply's emitter is a new thread, so `Renderer`'s per-thread Markdown and bleach
   objects are built again for every reply (+{ms(ip["fresh_thread"])} per reply); every new word travels twice in a
   patch (`append` and `tail_text`; deflate removes most of it).
"""

"""``python -m bench``: the streaming benchmark (``make bench``). ``--write`` rewrites docs/performance.md.

Runs in about two minutes: most of it is the paced stream, which takes 20 s of wall
time per run because it streams 2,000 words at 100 words per second.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import doc_sections, inprocess, live, report
from .text import reply

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
WORDS = 2000
PACED_RATE = 100.0  # words per second: a fast LLM
EVERY_YIELD_RATE = 1000.0  # words per second into /chat0 (stream_interval=0): one patch per word
HISTORY_MESSAGES = 500
HISTORY_REPLY_WORDS = 500
WHAT_IF_BIG_TAIL = 512  # flask_chatbot.conversation.streaming.BIG_TAIL is 2,048; the shapes table shows both


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def history(n: int) -> list[dict[str, Any]]:
    """A conversation of ``n`` messages: short questions, Markdown answers of 80-250 words."""
    rng = random.Random(7)
    out = []
    for i in range(n):
        if i % 2 == 0:
            words = ["How", "do", "I", "stream", "a", "reply", "with", "Flask", "and", "gunicorn"]
            content = " ".join(rng.choice(words) for _ in range(rng.randint(5, 25))) + "?"
            out.append({"id": f"h{i}", "role": "user", "content": content})
        else:
            out.append({"id": f"h{i}", "role": "assistant", "content": reply(rng.randint(80, 250), 1000 + i)})
    return out


def run_inprocess(runs: int) -> dict[str, Any]:
    res: dict[str, Any] = {}
    log("in-process: baseline renders")
    res["baseline"] = {n: inprocess.baseline(n, runs) for n in (500, 1000, 2000, 4000)}
    res["small_render"] = inprocess.small_render_after_pause(runs)
    res["render_cost"] = inprocess.render_cost(runs)
    res["fresh_thread"] = inprocess.fresh_thread_overhead(runs)
    res["text_chars"] = {n: len(reply(n)) for n in (500, 1000, 2000, 4000)}
    res["html_chars"] = len(inprocess.render(reply(WORDS)))
    log("in-process: every yield a patch, 500 to 4,000 words")
    res["stream"] = {n: inprocess.stream_every_yield(n, runs, res["baseline"][n]) for n in (500, 1000, 2000, 4000)}
    log("in-process: replies of one kind of block")
    res["shapes"] = inprocess.shape_runs(max(1, min(runs, 3)), WHAT_IF_BIG_TAIL)
    res["what_if_big_tail"] = WHAT_IF_BIG_TAIL
    log("in-process: the naive way (re-render everything at every yield); about 15 s")
    naive_runs = max(1, min(runs, 3))
    res["naive"] = {
        250: inprocess.naive(250, naive_runs),
        500: inprocess.naive(500, naive_runs),
        1000: inprocess.naive(1000, 1),
    }
    res["naive_runs"] = {250: naive_runs, 500: naive_runs, 1000: 1}
    return res


def _turns(
    server: live.Server, mount: str, compressed: bool, spec: dict[str, Any], runs: int, hist: list | None = None
) -> live.Turn:
    text = reply(int(spec["words"]))
    turns = []
    for i in range(runs):
        client = live.open_client(server, mount, compressed)
        try:
            live.hello(server, client, hist or [])
            turns.append(live.turn(server, client, spec, text, i))
        finally:
            client.close()
    return live.median_turn(turns)


def run_live(runs: int) -> dict[str, Any]:
    res: dict[str, Any] = {}
    log("live: starting four gunicorn servers (gthread, 1 worker each; the fourth leaves Nagle's algorithm on)")
    servers: list[live.Server] = []
    try:
        for i in range(4):
            servers.append(live.Server(nagle=i == 3))
        main = servers[0]
        threads = [threading.Thread(target=s.measure_idle, args=(3.0,)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        res["idle_rate"] = [s.idle_rate for s in servers]
        res["stats_cost"] = main.stats_cost
        log("live: warm-up")
        for server in servers:
            for mount in ("chat", "chat0", "chat100") if server is main else ("chat", "chat100"):
                _turns(server, mount, False, {"words": WORDS, "rate": 0}, 1)
                _turns(server, mount, True, {"words": HISTORY_REPLY_WORDS, "rate": 0}, 1)

        log("live: unpaced (fn yields as fast as it can)")
        unpaced = {"words": WORDS, "rate": 0}
        res["unpaced"] = {c: _turns(main, "chat", c, unpaced, runs) for c in (False, True)}

        log("live: every yield a patch (stream_interval=0, 1,000 words/s)")
        every = {"words": WORDS, "rate": EVERY_YIELD_RATE}
        res["every"] = {c: _turns(main, "chat0", c, every, min(runs, 3)) for c in (False, True)}

        log(f"live: per-token cost with 0 and {HISTORY_MESSAGES} messages of history")
        hist = history(HISTORY_MESSAGES)
        res["history_reply_words"] = HISTORY_REPLY_WORDS
        res["history_bytes"] = len(json.dumps({"type": "hello", "version": 1, "history": hist}).encode())
        spec = {"words": HISTORY_REPLY_WORDS, "rate": EVERY_YIELD_RATE}
        text = reply(HISTORY_REPLY_WORDS)
        samples: dict[int, list[live.Turn]] = {0: [], HISTORY_MESSAGES: []}
        hellos: dict[int, list[float]] = {0: [], HISTORY_MESSAGES: []}
        for i in range(runs):
            for n in (0, HISTORY_MESSAGES) if i % 2 == 0 else (HISTORY_MESSAGES, 0):
                client = live.open_client(main, "chat0", False)
                try:
                    hellos[n].append(live.hello(main, client, hist[:n]))
                    samples[n].append(live.turn(main, client, spec, text, i))
                finally:
                    client.close()
        res["history"] = {n: live.median_turn(t) for n, t in samples.items()}
        res["hello"] = {n: statistics.median(h) for n, h in hellos.items()}

        paced_runs = min(runs, 3)
        log(
            f"live: paced at {PACED_RATE:.0f} words/s, four servers side by side; {paced_runs} x {WORDS / PACED_RATE:.0f} s"
        )
        paced = {"words": WORDS, "rate": PACED_RATE}
        jobs = {
            "plain": (servers[0], "chat", False),
            "deflate": (servers[1], "chat", True),
            "interval_0.1": (servers[2], "chat100", False),
            "nagle": (servers[3], "chat", False),
        }
        out: dict[str, live.Turn] = {}

        def job(key: str) -> None:
            server, mount, compressed = jobs[key]
            out[key] = _turns(server, mount, compressed, paced, paced_runs)

        threads = [threading.Thread(target=job, args=(k,)) for k in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if len(out) != len(jobs):
            raise RuntimeError("a paced run failed (see the traceback above)")
        res["paced"] = out
    finally:
        for server in servers:
            server.stop()
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--write", action="store_true", help=f"rewrite {DOC.relative_to(DOC.parent.parent)} with the results"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; the median is reported (default 5)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = {"inprocess": run_inprocess(args.runs), "live": run_live(args.runs)}
    results["duration"] = time.perf_counter() - started
    results["runs"] = args.runs
    results["machine"] = report.machine()
    empty_patch = {"type": "patch", "id": "a" + "0" * 16, "keep": 10000, "append": ""}
    results["patch_overhead"] = len(json.dumps(empty_patch, separators=(",", ":")))
    print(report.tables(results))
    if args.write:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(doc_sections.keep_sections(report.document(results), DOC), encoding="utf-8")
        log(f"wrote {DOC}")
    log(f"done in {results['duration']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench.stall``: does a huge hostile message stall the other sockets of a worker?

One gunicorn worker serves ``bench.load_app``. A *probe* conversation submits short
messages to ``/fn``, 0.15 s apart, (a plain function: ``{"words": 1, "delay": 0}``)
and records each round trip (submit sent -> its ``idle``). Meanwhile *hostile* sockets
each submit a 100,000-character message that is costly to render (Markdown that was
quadratic in Python-Markdown, and ordinary Markdown of the same size) as fast as the
server answers them. The report is the probe's round trips with and without the
hostile senders: under gevent a render that held the hub would show as the probe's
worst round trip growing by the render's whole duration.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from typing import Any

import websocket

from . import doc_sections
from .load import Server, machine, raise_nofile
from .text import reply

SIZE = 100_000
PROBE_PAUSE = 0.15
HOSTILE = {
    "unclosed image openers": "![" * (SIZE // 2),
    "emphasis runs": ("*a _b **c __d " * SIZE)[:SIZE],
    "ordinary Markdown": (reply(20_000, 3) * 2)[:SIZE],
}


def _connect(server: Server, kind: str) -> websocket.WebSocket:
    ws = websocket.create_connection(server.url(kind), timeout=120, origin=server.origin)
    ws.send(json.dumps({"type": "hello", "version": 1, "history": []}))
    assert json.loads(ws.recv())["type"] == "welcome"
    return ws


def _turn(ws: websocket.WebSocket, text: str, n: int) -> float:
    start = time.perf_counter()
    ws.send(json.dumps({"type": "submit", "id": f"u{n}", "text": text}))
    while json.loads(ws.recv())["type"] != "idle":
        pass
    return time.perf_counter() - start


def probe(server: Server, seconds: float, hostile: str | None, senders: int) -> dict[str, Any]:
    stop = threading.Event()
    hostile_turns: list[float] = []

    def attack() -> None:
        ws = _connect(server, "fn")
        n = 0
        while not stop.is_set():
            n += 1
            hostile_turns.append(_turn(ws, HOSTILE[hostile], n))  # fn fails on non-JSON: the echo is the work
        ws.close()

    attackers = [threading.Thread(target=attack, daemon=True) for _ in range(senders if hostile else 0)]
    for thread in attackers:
        thread.start()
    ws = _connect(server, "fn")
    trips: list[float] = []
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        trips.append(_turn(ws, json.dumps({"words": 1, "delay": 0}), n))
        time.sleep(PROBE_PAUSE)  # stay under max_frames_per_second: the probe is a person, not a flood
    stop.set()
    for thread in attackers:
        thread.join(120)
    ws.close()
    trips.sort()
    return {
        "hostile": hostile or "none",
        "senders": len(attackers),
        "trips": len(trips),
        "p50_ms": round(1000 * statistics.median(trips), 1),
        "p99_ms": round(1000 * trips[min(len(trips) - 1, int(len(trips) * 0.99))], 1),
        "max_ms": round(1000 * trips[-1], 1),
        "hostile_turns": len(hostile_turns),
        "hostile_turn_ms": round(1000 * statistics.median(hostile_turns), 1) if hostile_turns else None,
    }


def run(worker: str = "gevent", seconds: float = 5.0, senders: int = 1) -> dict[str, Any]:
    raise_nofile()
    server = Server(worker)
    try:
        rows = [probe(server, seconds, None, 0)]
        rows += [probe(server, seconds, name, senders) for name in HOSTILE]
    finally:
        server.stop()
    return {"worker": worker, "machine": machine(), "rows": rows}


def markdown(out: dict[str, Any]) -> str:
    lines = [
        f"One {out['worker']} worker. The probe's round trip (submit to idle, a one-word reply) while "
        f"other sockets submit {SIZE:,}-character messages back to back:",
        "",
        "| hostile messages | senders | probe turns | probe p50 / p99 / max ms | one hostile turn ms (median) |",
        "|---|---|---|---|---|",
    ]
    for r in out["rows"]:
        lines.append(
            f"| {r['hostile']} | {r['senders']} | {r['trips']} | {r['p50_ms']} / {r['p99_ms']} / {r['max_ms']} "
            f"| {r['hostile_turn_ms'] if r['hostile_turn_ms'] is not None else '–'} |"
        )
    m = out["machine"]
    lines += ["", f"Machine: {m.get('nproc')} cores, {m.get('cpu')}, Python {m.get('python')}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stall", description=__doc__.split("\n")[0])
    parser.add_argument("--worker", choices=("gevent", "gthread"), default="gevent")
    parser.add_argument("--seconds", type=float, default=5.0, help="probe time per row (default 5)")
    parser.add_argument("--senders", type=int, default=1, help="hostile sockets at once (default 1)")
    parser.add_argument("--write", metavar="SECTION", help="also put the table in docs/performance.md as SECTION")
    args = parser.parse_args(argv)
    out = run(args.worker, args.seconds, args.senders)
    table = markdown(out)
    print(table)
    if args.write:
        command = "python -m bench.stall " + " ".join(argv if argv is not None else sys.argv[1:])
        doc_sections.write_section(
            args.write, f"### A huge message does not stall the others\n\n`{command}`\n\n{table}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

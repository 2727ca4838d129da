"""``python -m bench.turn_log``: what the turn log's SQLite engine costs (issue 20).

The log a reply will write and a follower on another worker read (flask_chatbot/stores/turn_log.py).
Three figures, on a file in a temporary folder:

- **append**: the worker running replies writes each frame as it sends it: CPU per append,
  with ``--turns`` turns open at once, one frame each in turn (as patches interleave), and
  per frame when ten go in one call;
- **read**: a follower asks for the frames after the last it has, one poll each time: CPU per
  poll that finds a new frame, and per poll that finds none (an idle follower's cost);
- **lag**: a writer process appends a frame every 10 ms while a reader process polls every
  ``--interval`` seconds: the time from an append to its read, p50 and p95.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from flask_chatbot.stores.turn_log_sqlite import SQLiteTurnLog

from . import doc_sections

PATCH = {"type": "patch", "id": "a1b2c3d4", "keep": 0, "append": " word", "html_keep": 0, "html_append": "word"}

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from flask_chatbot.stores.turn_log_sqlite import SQLiteTurnLog

    log = SQLiteTurnLog(Path(sys.argv[1]))
    log.begin("lag", "c", lease=5)
    print("began", flush=True)
    for n in range(int(sys.argv[2])):
        log.append("lag", [{"type": "patch", "at": time.time(), "n": n}])
        time.sleep(0.01)
    log.end("lag", "done")
    """
)


def append_and_read(folder: Path, turns: int, frames: int) -> dict[str, float]:
    log = SQLiteTurnLog(folder / "turns.sqlite3")
    ids = [f"t{i}" for i in range(turns)]
    for turn in ids:
        log.begin(turn, f"c{turn}", lease=30)
    started = time.process_time()
    for _ in range(frames):
        for turn in ids:
            log.append(turn, [PATCH])
    append = (time.process_time() - started) / (turns * frames)
    for turn in ids:  # the same turns again, ten frames a call: what batching per turn saves
        log.end(turn, "done")
        log.begin(f"{turn}b", f"c{turn}", lease=30)
    started = time.process_time()
    for _ in range(frames // 10):
        for turn in ids:
            log.append(f"{turn}b", [PATCH] * 10)
    batched = (time.process_time() - started) / (turns * (frames // 10) * 10)
    follower = SQLiteTurnLog(folder / "turns.sqlite3")  # another connection, as another worker's
    reads = turns * frames
    started = time.process_time()
    for turn in ids:
        for _ in range(frames):
            assert len(follower.read(turn, frames - 1)) == 1  # a follower that keeps up: one new frame
    one = (time.process_time() - started) / reads
    started = time.process_time()
    for turn in ids:
        for _ in range(frames):
            follower.read(turn, frames)  # nothing new
    idle = (time.process_time() - started) / reads
    return {"append": append, "batched": batched, "read_one": one, "read_idle": idle}


def lag(folder: Path, interval: float, frames: int) -> dict[str, float]:
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder / "lag.sqlite3"), str(frames)], stdout=subprocess.PIPE, text=True
    ) as writer:
        assert writer.stdout is not None and writer.stdout.readline() == "began\n"
        log, after, lags = SQLiteTurnLog(folder / "lag.sqlite3"), 0, []
        while after < frames:
            for seq, frame in log.read("lag", after):
                lags.append(time.time() - frame["at"])
                after = seq
            time.sleep(interval)
    lags.sort()
    return {"p50": statistics.median(lags), "p95": lags[int(len(lags) * 0.95)], "frames": len(lags)}


def report(turns: int, frames: int, interval: float) -> str:
    with tempfile.TemporaryDirectory() as folder:
        costs = append_and_read(Path(folder), turns, frames)
        delays = lag(Path(folder), interval, 300)
    machine = f"{platform.machine()}, CPython {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    return (
        f"{machine}; {turns} turns × {frames} frames of {len(json.dumps(PATCH))} bytes\n\n"
        "| what | measured |\n| --- | --- |\n"
        f"| append one frame (the worker running the turn) | {costs['append'] * 1e6:.0f} µs of CPU |\n"
        f"| append ten frames in one call, per frame | {costs['batched'] * 1e6:.0f} µs of CPU |\n"
        f"| a follower's poll that finds one new frame | {costs['read_one'] * 1e6:.0f} µs of CPU |\n"
        f"| a follower's poll that finds nothing new | {costs['read_idle'] * 1e6:.0f} µs of CPU |\n"
        f"| from an append to a follower in another process polling every {interval * 1000:.0f} ms"
        f" | p50 {delays['p50'] * 1000:.1f} ms, p95 {delays['p95'] * 1000:.1f} ms |\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=250)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.02, help="the follower's poll interval, in seconds")
    parser.add_argument("--write", action="store_true", help="also put the table in docs/performance.md")
    args = parser.parse_args(argv)
    result = report(args.turns, args.frames, args.interval)
    print(result)
    if args.write:
        doc_sections.write_section("turn-log", f"### The turn log on SQLite (`python -m bench.turn_log`)\n\n{result}")


if __name__ == "__main__":
    main()

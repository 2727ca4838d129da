"""The turn log (issue 20): a turn's frames numbered from 1, read after a number by a follower,
none lost or twice; a lease that says when the runner died; a stop asked from anywhere; bounded by
compaction and by forgetting ended turns. Both engines, and the SQLite one across processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from flask_chatbot.stores.turn_log import SNAPSHOT, MemoryTurnLog, TurnLog
from flask_chatbot.stores.turn_log_sqlite import SQLiteTurnLog


class Clock:
    """Time that moves when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def make_log(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Clock], TurnLog]:
    def make(clock: Clock) -> TurnLog:
        if request.param == "memory":
            return MemoryTurnLog(clock)
        return SQLiteTurnLog(tmp_path / "turns.sqlite3", clock)

    return make


def patch(n: int) -> dict[str, object]:
    return {"type": "patch", "id": "a1", "keep": n, "append": f" w{n}"}


def test_frames_are_numbered_and_a_follower_gets_what_it_missed_once(make_log) -> None:
    log = make_log(Clock())
    log.begin("t1", "c1", lease=5)
    assert log.append("t1", [{"type": "message", "id": "a1"}]) == 1
    assert log.append("t1", [patch(1), patch(2)]) == 3
    seen = log.read("t1")
    assert [seq for seq, _ in seen] == [1, 2, 3]
    assert log.append("t1", [patch(3)]) == 4
    assert log.read("t1", after=3) == [(4, patch(3))]  # a follower that applied 3 frames
    assert log.read("t1", after=4) == []
    assert log.read("nobody's") == []
    state = log.state("t1")
    assert state is not None and (state.status, state.last_seq, state.conversation) == ("running", 4, "c1")
    assert log.running("c1") == state and log.running("c2") is None


def test_an_ended_turn_keeps_its_frames_and_takes_no_more(make_log) -> None:
    log = make_log(Clock())
    log.begin("t1", "c1", lease=5)
    log.append("t1", [patch(1)])
    with pytest.raises(ValueError):
        log.end("t1", "finished")  # not a way to end
    log.end("t1", "done")
    with pytest.raises(KeyError):
        log.append("t1", [patch(2)])
    assert log.read("t1") == [(1, patch(1))]  # a reader back after the end still gets it
    state = log.state("t1")
    assert state is not None and state.status == "done" and log.running("c1") is None
    with pytest.raises(ValueError):
        log.begin("t1", "c1", lease=5)  # a turn id is used once


def test_a_runner_that_stops_renewing_its_lease_is_lost(make_log) -> None:
    clock = Clock()
    log = make_log(clock)
    log.begin("t1", "c1", lease=3)
    clock.now += 2
    assert log.renew("t1", lease=3) is False  # no stop asked
    clock.now += 2.9
    state = log.state("t1")
    assert state is not None and not state.lost(clock.now)
    clock.now += 0.2  # 3.1 s after the last renewal
    state = log.state("t1")
    assert state is not None and state.lost(clock.now)
    log.end("t1", "interrupted")  # said by the follower that found it lost
    state = log.state("t1")
    assert state is not None and not state.lost(clock.now)


def test_a_stop_asked_from_anywhere_reaches_the_runner_at_its_next_renewal(make_log) -> None:
    log = make_log(Clock())
    log.begin("t1", "c1", lease=3)
    assert log.ask_stop("t1") is True
    assert log.renew("t1", lease=3) is True
    log.end("t1", "stopped")
    assert log.ask_stop("t1") is False  # nothing runs to stop
    assert log.ask_stop("nobody's") is False


def test_the_runner_s_write_appends_renews_and_ends_in_one_step(make_log) -> None:
    clock = Clock()
    log = make_log(clock)
    log.begin("t1", "c1", lease=3)
    clock.now += 2
    state = log.write("t1", [json.dumps(patch(1)), json.dumps(patch(2))], lease=3)
    assert (state.last_seq, state.lease_until, state.stop_asked, state.status) == (2, clock.now + 3, False, "running")
    clock.now += 2.5
    assert log.write("t1", [], lease=3).lease_until == clock.now + 3  # a renewal alone
    log.ask_stop("t1")
    assert log.write("t1", [], lease=3).stop_asked is True  # heard at the runner's next write
    with pytest.raises(ValueError):
        log.write("t1", [json.dumps({"type": "idle"})], lease=3, end="finished")
    assert log.read("t1", after=2) == []  # refused whole
    state = log.write("t1", [json.dumps({"type": "idle"})], lease=3, end="stopped")
    assert (state.status, state.ended_at, state.last_seq) == ("stopped", clock.now, 3)
    assert log.read("t1", after=2) == [(3, {"type": "idle"})]  # the end and its last frame together
    with pytest.raises(KeyError):
        log.write("t1", [], lease=3)


def test_a_follower_elsewhere_says_until_when_it_reads(make_log) -> None:
    clock = Clock()
    log = make_log(clock)
    log.begin("t1", "c1", lease=3)
    assert log.write("t1", [], lease=3).watched_until == 0.0  # nobody elsewhere yet
    log.watch("t1", seconds=3)
    assert log.write("t1", [], lease=3).watched_until == clock.now + 3
    log.watch("nobody's", seconds=3)  # a turn forgotten meanwhile: nothing to say


def test_compaction_bounds_a_running_turn_and_a_follower_from_before_gets_the_snapshot(make_log) -> None:
    log = make_log(Clock())
    log.begin("t1", "c1", lease=5)
    log.append("t1", [{"type": "message", "id": "a1"}, *(patch(n) for n in range(1, 100))])  # frames 1-100
    shown = {"type": "message", "id": "a1", "content": "w1 ... w99", "status": "streaming"}
    log.compact("t1", 100, [shown])
    log.append("t1", [patch(100)])  # 101
    from_start = log.read("t1")
    assert from_start == [(100, {"type": SNAPSHOT, "frames": [shown]}), (101, patch(100))]
    assert log.read("t1", after=50) == from_start  # what it missed is inside the snapshot
    assert log.read("t1", after=100) == [(101, patch(100))]  # it had it all: only what came since
    with pytest.raises(ValueError):
        log.compact("t1", 102, [shown])  # no frame 102 yet


def test_ended_turns_are_forgotten_and_running_ones_stay(make_log) -> None:
    clock = Clock()
    log = make_log(clock)
    for turn in ("old", "new", "live"):
        log.begin(turn, f"c-{turn}", lease=500)
        log.append(turn, [patch(1)])
    log.end("old", "done")
    clock.now += 60
    log.end("new", "done")
    assert log.forget_ended(before=clock.now - 30) == 1
    assert log.state("old") is None and log.read("old") == []
    assert log.state("new") is not None and log.state("live") is not None


def test_forgetting_a_burst_of_turns_gives_the_write_ahead_log_back(tmp_path: Path) -> None:
    clock = Clock()
    log = SQLiteTurnLog(tmp_path / "turns.sqlite3", clock)
    for n in range(50):  # a burst: 50 turns of 40 KB
        log.begin(f"t{n}", f"c{n}", lease=5)
        log.append(f"t{n}", [{"type": "patch", "append": "x" * 1000}] * 40)
        log.end(f"t{n}", "done")
    wal = tmp_path / "turns.sqlite3-wal"
    assert wal.stat().st_size > 1_000_000
    clock.now += 60
    assert log.forget_ended(before=clock.now - 30) == 50
    assert wal.stat().st_size == 0
    log.close()


def test_frames_go_in_all_or_none_and_as_copies(make_log) -> None:
    log = make_log(Clock())
    log.begin("t1", "c1", lease=5)

    def failing():
        yield patch(1)
        raise RuntimeError("fn's value could not be made a frame")

    with pytest.raises(RuntimeError):
        log.append("t1", failing())
    with pytest.raises(TypeError):
        log.append("t1", [patch(1), {"type": "patch", "bad": object()}])  # not JSON: refused by both engines
    frame = patch(1)
    assert log.append("t1", [frame]) == 1  # no frame of the failed appends took a number
    frame["append"] = "changed after"
    log.read("t1")[0][1]["append"] = "changed by a reader"
    assert log.read("t1") == [(1, patch(1))]


def test_a_conversation_runs_one_turn_at_a_time_and_a_dead_runner_s_turn_gives_way(make_log) -> None:
    clock = Clock()
    log = make_log(clock)
    log.begin("t1", "c1", lease=3)
    with pytest.raises(ValueError):
        log.begin("t2", "c1", lease=3)  # its runner still renews: one fn at a time
    log.begin("other", "c2", lease=3)
    clock.now += 4  # t1's worker died: nobody renewed its lease
    log.begin("t2", "c1", lease=3)
    t1 = log.state("t1")
    assert t1 is not None and t1.status == "interrupted"
    running = log.running("c1")
    assert running is not None and running.turn == "t2"


def test_a_dead_runner_s_turn_is_forgotten_even_if_nobody_said_so(make_log) -> None:
    clock = Clock()
    log = make_log(clock)
    log.begin("t1", "c1", lease=3)
    log.append("t1", [patch(1)])
    assert log.forget_ended(before=clock.now) == 0  # its lease still runs
    clock.now += 100
    assert log.forget_ended(before=clock.now - 30) == 1
    assert log.state("t1") is None and log.read("t1") == [] and log.running("c1") is None


def test_compaction_never_goes_back_behind_a_snapshot(make_log) -> None:
    log = make_log(Clock())
    log.begin("t1", "c1", lease=5)
    log.append("t1", [patch(n) for n in range(10)])
    log.compact("t1", 8, [{"type": "message", "id": "a1", "content": "up to 8"}])
    with pytest.raises(ValueError):
        log.compact("t1", 3, [{"type": "message", "id": "a1", "content": "up to 3"}])
    assert [seq for seq, _ in log.read("t1")] == [8, 9, 10]


def test_a_write_sqlite_refuses_reports_sqlite_s_own_error(tmp_path: Path) -> None:
    log = SQLiteTurnLog(tmp_path / "turns.sqlite3")
    log.begin("t1", "c1", lease=5)
    log.append("t1", [patch(1)])
    db = log._conn()  # the file as full as it is: a full disk, as SQLite sees it
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(sqlite3.OperationalError, match="full"):
        log.append("t1", [{"type": "patch", "append": "x" * 100_000}])
    db.execute("PRAGMA max_page_count = 1073741823")
    assert log.append("t1", [patch(2)]) == 2  # the log goes on: nothing half-written, no open transaction


# -- across processes -----------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from flask_chatbot.stores.turn_log_sqlite import SQLiteTurnLog

    path, frames, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    log = SQLiteTurnLog(path)
    log.begin("t1", "c1", lease=1.0)
    print("began", flush=True)
    if mode == "renew":  # a runner that renews its lease when the test says, until it is killed
        for line in sys.stdin:
            log.renew("t1", lease=1.0)
            print(log.state("t1").lease_until, flush=True)
    for n in range(frames):
        log.append("t1", [{"type": "patch", "id": "a1", "keep": n, "append": f" w{n}"}])
        if log.renew("t1", lease=1.0):
            log.end("t1", "stopped")
            print("stopped", n, flush=True)
            break
    else:
        log.end("t1", "done")
    """
)


def writer(tmp_path: Path, frames: int, mode: str = "run") -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "turns.sqlite3"), str(frames), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "began\n"
    return process


def test_a_follower_in_another_process_reads_every_frame_once_in_order(tmp_path: Path) -> None:
    log, got, after = SQLiteTurnLog(tmp_path / "turns.sqlite3"), [], 0
    with writer(tmp_path, 2_000) as process:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # reading while it writes, until it says it is done
            state = log.state("t1")
            frames = log.read("t1", after)
            got.extend(frames)
            after = frames[-1][0] if frames else after
            if state is not None and state.status == "done" and after == state.last_seq:
                break
    assert process.returncode == 0
    assert [seq for seq, _ in got] == list(range(1, 2_001))
    assert [frame["append"] for _, frame in got] == [f" w{n}" for n in range(2_000)]


def test_a_stop_asked_in_another_process_stops_the_runner(tmp_path: Path) -> None:
    log = SQLiteTurnLog(tmp_path / "turns.sqlite3")
    with writer(tmp_path, 1_000_000) as process:
        assert log.ask_stop("t1") is True
        assert process.stdout is not None and process.stdout.readline().startswith("stopped ")
    assert process.returncode == 0
    state = log.state("t1")
    assert state is not None and state.status == "stopped"


def test_a_runner_killed_is_found_lost_once_its_lease_runs_out(tmp_path: Path) -> None:
    log = SQLiteTurnLog(tmp_path / "turns.sqlite3")
    with writer(tmp_path, 0, "renew") as process:
        assert process.stdin is not None and process.stdout is not None
        leases = []
        for _ in range(2):  # alive, it keeps its lease going
            process.stdin.write("renew\n")
            process.stdin.flush()
            leases.append(float(process.stdout.readline()))
        assert leases[1] > leases[0]
        os.kill(process.pid, signal.SIGKILL)
    state = log.state("t1")
    assert state is not None and state.status == "running"  # nobody said it ended
    assert state.lease_until == leases[1]  # dead, it renews no more
    assert not state.lost(leases[1] - 0.5) and state.lost(leases[1] + 0.001)  # lost once the lease runs out

"""``python -m bench.soak``: the sample app under gunicorn for N minutes of mixed, partly hostile traffic.

gunicorn serves ``sample_app:create_app()`` exactly as ``make demo`` does (its
``sample_app/gunicorn.conf.py``: two gevent workers), on a free loopback port, with a temporary
folder of its own for the file store, the queue's lines, the saved chats and the flag log. One
asyncio client process (this one) then runs, side by side until the time is up:

- **normal users** (``--users``, 4): each says ``hello`` on ``/chat/socket``, submits a message,
  reads the streamed reply to ``idle`` and thinks 1-3 s before the next; every turn records the
  time from the submit to its first ``patch`` and to its ``done``;
- **hostile clients**, each paced so that the load generator does not simply saturate the two
  cores itself: (a) near-``max_message_chars`` messages of Markdown table pipes and deeply nested
  list and quote markers over three sockets, the sockets closed (or dropped) mid-reply; (b) uploads
  to ``/files-demo/upload``: 1 MB with a key the server issued (a welcome's), invented and bad
  keys, bodies over ``max_file_size`` (declared, and chunked) and one-byte-at-a-time uploads; (c) ``POST
  /chat/api/chat`` with no credentials, junk JSON, the wrong type, chunked bodies over the limit,
  invented sessions and a stream dropped after its first event; (d) one client opening 18 sockets
  at once (``/chat`` and the one-at-a-time ``/queue-demo``) with turns queued and ``busy`` ones
  on top, closed 12 s later whatever their state; (e) hostile frames: before ``hello``, a wrong
  version, garbage JSON, unknown types, bad fields, frames over ``max_frame_bytes`` and over the
  WebSocket layer's limit, a socket that never says ``hello``; (f) reads of history, files and
  ``api/info`` with a foreign ``Host`` (DNS rebinding), and socket handshakes with a foreign
  ``Origin``. Refusals are expected: every answer is counted by kind, status and close code.

Every ~10 s (``--sample``) it samples the master's and each worker's RSS (``VmRSS``) and open
file descriptors (``/proc/<pid>/fd``), the bytes in the file store, and the normal users'
latency percentiles of that window. At the end it prints one Markdown section (the samples, the
hostile traffic's outcomes and the verdict: did memory, descriptors and the normal users' latency
stay flat?), fit to paste into docs/performance.md. It exits 1 if they did not, or if another check
failed: a normal user's turn, a worker restarted or a traceback in its log, a refused upload
left on disk.

    python -m bench.soak                 # 10 minutes
    python -m bench.soak --minutes 1.5   # a quick check
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from . import doc_sections
from .load import (
    _EXC,
    ROOT,
    Server,
    _children,
    _f,
    _free_port,
    _ms,
    _pct,
    cpu_seconds,
    machine,
    machine_cpu,
    raise_nofile,
    rss_kb,
)
from .soak_traffic import (  # the readers and the hostile clients
    API_EVERY_S,
    BIG_MESSAGE_EVERY_S,
    BURST_CHAT,
    BURST_EVERY_S,
    BURST_QUEUE,
    FOREIGN_EVERY_S,
    FRAME_EVERY_S,
    HEADER,
    MB,
    NEAR_MAX,
    SLOW_BYTE_EVERY_S,
    SLOW_UPLOADS,
    STOP_GRACE_S,
    THINK_S,
    UPLOAD_EVERY_S,
    IssuedKey,
    Tally,
    _every,
    _pause,
    api,
    big_markdown,
    burst,
    foreign,
    hostile_frames,
    log,
    normal_user,
    slow_uploads,
    uploads,
)

# The verdict: the last third of the run against the first third after the warm-up.
WARMUP_S = 60.0  # at most; a third of the run when that is shorter (a quick check keeps two thirds to compare)
RSS_GROWTH_MAX = 0.20  # the workers' RSS (median of the samples) may grow by less than 20 %
FDS_GROWTH_MAX = 20  # all processes' open descriptors (median) may grow by fewer than 20
LATENCY_FACTOR = 2.0  # the normal users' p95 (first patch, done) may at most double...
LATENCY_SLACK_S = 0.05  # ...plus 50 ms, so that a few ms of noise on a fast baseline cannot fail it
LEFTOVER_MAX_BYTES = 2 * 1024 * 1024  # store growth beyond the accepted uploads (refused ones must leave nothing)


class SampleServer(Server):
    """``make demo``'s gunicorn (sample_app/gunicorn.conf.py) on a free loopback port, with folders of its own.

    Reuses bench.load's log drain (tracebacks, [ERROR], WORKER TIMEOUT counted) and stop."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.store = folder / "store"
        for sub in ("store", "tmp", "flagged"):
            (folder / sub).mkdir()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        cmd = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        cmd += ["--config", "sample_app/gunicorn.conf.py", "sample_app:create_app()"]
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop("GUNICORN_CMD_ARGS", None)
        env.update(
            CHATBOT_BIND=f"127.0.0.1:{self.port}", TMPDIR=str(folder / "tmp"), CHATBOT_UPLOAD_DIR=str(self.store),
            CHATBOT_HISTORY_DB=str(folder / "history.sqlite3"), CHATBOT_FLAGGING_DIR=str(folder / "flagged"),
        )  # fmt: skip
        for name in ("OPENAI_BASE_URL", "CHATBOT_WORKERS", "CHATBOT_WORKER_CLASS", "DEMO_DELAY"):
            env.pop(name, None)  # the offline demo bot, as make demo runs it
        self.workers = 2  # sample_app/gunicorn.conf.py's default
        self.log: collections.deque[str] = collections.deque(maxlen=2000)
        self.problems: collections.Counter[str] = collections.Counter()
        self.exceptions: collections.Counter[str] = collections.Counter()
        # The access log goes to stdout ("-"): dropped. stderr is read for the report.
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._drain, daemon=True).start()
        try:
            self._wait_ready(60.0)
        except Exception:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited at start:\n" + "".join(list(self.log)[-30:]))
            try:
                with urllib.request.urlopen(f"{self.origin}/chat/config.json", timeout=5) as response:
                    if response.status == 200 and len(_children(self.proc.pid)) == self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the sample app did not answer within {timeout:g} s:\n" + "".join(list(self.log)[-30:]))

    def last_traceback(self) -> str:
        """The last traceback gunicorn's stderr still holds, if any."""
        lines = list(self.log)
        starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
        if not starts:
            return ""
        block = []
        for line in lines[starts[-1] :]:
            block.append(line.rstrip())
            if _EXC.match(line):
                break
        return "\n".join(block[-12:])

    def ws(self, mount: str) -> str:
        return f"ws://127.0.0.1:{self.port}/{mount}/socket"

    def worker_pids(self) -> list[int]:
        return sorted(_children(self.proc.pid))


# --- what was seen ------------------------------------------------------------------------------


def _fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def _tree_bytes(root: Path) -> tuple[int, int, int]:
    """(bytes, files, bytes under .tmp-/.del- folders) below root."""
    total = files = partial = 0
    for folder, _, names in os.walk(root):
        for name in names:
            try:
                size = os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
            total += size
            files += 1
            if "/.tmp-" in folder or "/.del-" in folder:
                partial += size
    return total, files, partial


def _window(turns: list[dict[str, float]]) -> dict[str, Any]:
    first = [t["first"] for t in turns]
    done = [t["done"] for t in turns]
    return {"turns": len(turns), "first_p50_ms": _ms(_pct(first, 0.5)), "first_p95_ms": _ms(_pct(first, 0.95)),
            "done_p95_s": round(_pct(done, 0.95), 2) if done else None}  # fmt: skip


async def sampler(
    server: SampleServer, tally: Tally, stop: asyncio.Event, every: float, samples: list[dict[str, Any]]
) -> None:
    seen = 0
    cpu = {p: (cpu_seconds(p), time.perf_counter()) for p in server.worker_pids()}  # CPU seconds, when read
    while True:
        ended = await _pause(stop, every - (time.perf_counter() - tally.t0) % every)
        t = time.perf_counter() - tally.t0
        if ended and samples and t - samples[-1]["t"] < every / 2:
            return  # the run ended just after a sample
        workers = []
        for pid in server.worker_pids():
            now, (before, then) = cpu_seconds(pid), cpu.get(pid, (None, 0.0))
            pct = (
                round(100 * (now - before) / (time.perf_counter() - then), 1)
                if now is not None and before is not None
                else None
            )
            cpu[pid] = (now, time.perf_counter())
            workers.append({"pid": pid, "rss_kb": rss_kb(pid), "fds": _fds(pid), "cpu_pct": pct})
        store, files, partial = await asyncio.to_thread(_tree_bytes, server.store)
        window = tally.turns[seen:]
        seen = len(tally.turns)
        sample = {
            "t": round(t, 1), "master_rss_kb": rss_kb(server.proc.pid), "master_fds": _fds(server.proc.pid),
            "workers": workers,
            "store_bytes": store, "store_files": files, "store_partial_bytes": partial,
            "client_cpu_s": round(time.process_time(), 2), **_window(window),
        }  # fmt: skip
        samples.append(sample)
        log(_text_row(sample))
        if ended:
            return


def _worker_rss(s: dict[str, Any]) -> int:
    return sum(w["rss_kb"] or 0 for w in s["workers"])


def _all_fds(s: dict[str, Any]) -> int:
    return (s["master_fds"] or 0) + sum(w["fds"] or 0 for w in s["workers"])


def _text_row(s: dict[str, Any]) -> str:
    rss = " / ".join(f"{(w['rss_kb'] or 0) / 1024:.1f}" for w in s["workers"])
    fds = "/".join(str(w["fds"]) for w in s["workers"])
    cpu = " / ".join(_f(w["cpu_pct"]) for w in s["workers"])
    return (
        f"| {s['t']:g} | {(s['master_rss_kb'] or 0) / 1024:.1f} | {rss} | {cpu} | {_all_fds(s)} ({s['master_fds']}/{fds}) "
        f"| {s['store_bytes'] / MB:.1f} ({s['store_files']}) | {s['turns']} | {_f(s['first_p50_ms'])} / {_f(s['first_p95_ms'])} "
        f"| {_f(s['done_p95_s'])} |"
    )


# --- the verdict ----------------------------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    return _pct(values, 0.5)


def verdict(out: dict[str, Any]) -> dict[str, Any]:
    """Compare the last third of the run with the first third after the warm-up."""
    end, warm = out["duration_s"], out["warmup_s"]
    third = (end - warm) / 3
    first_s = [s for s in out["samples"] if warm <= s["t"] < warm + third]
    last_s = [s for s in out["samples"] if s["t"] >= end - third]
    first_t = [t for t in out["turns"] if warm <= t["t"] < warm + third]
    last_t = [t for t in out["turns"] if end - third <= t["t"] < end]
    checks: list[dict[str, Any]] = []  # the first ones say whether the run stayed flat, the rest what else held

    def check(name: str, ok: bool, detail: str, flat: bool = True) -> None:
        checks.append({"check": name, "ok": ok, "detail": detail, "flat": flat})

    if not first_s or not last_s:
        check("enough samples", False, f"{len(first_s)} and {len(last_s)} samples in the thirds: run longer")
    else:
        rss0, rss1 = _median([_worker_rss(s) for s in first_s]), _median([_worker_rss(s) for s in last_s])
        growth = (rss1 - rss0) / rss0 if rss0 else 0.0
        check("memory flat", growth < RSS_GROWTH_MAX,
              f"workers' RSS (sum, median) {rss0 / 1024:.1f} -> {rss1 / 1024:.1f} MB ({100 * growth:+.1f} %; limit +{100 * RSS_GROWTH_MAX:g} %)")  # fmt: skip
        fd0, fd1 = _median([_all_fds(s) for s in first_s]), _median([_all_fds(s) for s in last_s])
        check("descriptors flat", fd1 - fd0 < FDS_GROWTH_MAX,
              f"open fds, master + workers (median) {fd0:g} -> {fd1:g} ({fd1 - fd0:+g}; limit +{FDS_GROWTH_MAX})")  # fmt: skip
    for key, label in (("first", "first patch"), ("done", "done")):
        p0 = _pct([t[key] for t in first_t], 0.95)
        p1 = _pct([t[key] for t in last_t], 0.95)
        if p0 is None or p1 is None:
            check(
                f"normal {label} p95 flat",
                False,
                f"{len(first_t)} and {len(last_t)} turns in the thirds: none to compare",
            )
        else:
            limit = LATENCY_FACTOR * p0 + LATENCY_SLACK_S
            check(f"normal {label} p95 flat", p1 <= limit,
                  f"{1000 * p0:.0f} -> {1000 * p1:.0f} ms over {len(first_t)} and {len(last_t)} turns (limit {1000 * limit:.0f} ms)")  # fmt: skip
    failed = sum(out["normal_errors"].values())
    check("normal users served", failed == 0 and len(out["turns"]) > 0,
          f"{len(out['turns'])} turns, {failed} failures" + (f": {dict(out['normal_errors'])}" if failed else ""), flat=False)  # fmt: skip
    server = out["server"]
    healthy = not server["restarted_workers"] and not server["log_problems"]
    check("server healthy", healthy,
          f"worker pids {server['first_workers']} -> {server['last_workers']}; log: {server['log_problems'] or 'no tracebacks, errors or timeouts'}",
          flat=False)  # fmt: skip
    leftover = out["store"]["growth_bytes"] - out["store"]["accepted_upload_bytes"]
    check("refused uploads leave nothing", leftover < LEFTOVER_MAX_BYTES and out["store"]["partial_bytes"] == 0,
          f"store grew {out['store']['growth_bytes'] / MB:.1f} MB for {out['store']['accepted_upload_bytes'] / MB:.0f} MB accepted "
          f"({leftover / 1024:+.0f} KB else; limit {LEFTOVER_MAX_BYTES / MB:g} MB); {out['store']['partial_bytes']} bytes in .tmp- folders",
          flat=False)  # fmt: skip
    return {
        "flat": all(c["ok"] for c in checks if c["flat"]), "all_ok": all(c["ok"] for c in checks), "checks": checks,
        "first_third": [warm, warm + third], "last_third": [end - third, end],
    }  # fmt: skip


# --- the run --------------------------------------------------------------------------------------


async def _traffic(
    server: SampleServer, tally: Tally, minutes: float, users: int, every: float
) -> list[dict[str, Any]]:
    stop = asyncio.Event()
    samples: list[dict[str, Any]] = []
    tasks = [asyncio.ensure_future(sampler(server, tally, stop, every, samples))]
    tasks += [asyncio.ensure_future(normal_user(server, tally, stop, u)) for u in range(users)]
    key = IssuedKey(server)
    tasks += [asyncio.ensure_future(slow_uploads(server, tally, stop, key)) for _ in range(SLOW_UPLOADS)]
    for pace, make, kind in (
        (BIG_MESSAGE_EVERY_S, big_markdown, "(a) near-max Markdown"),
        (UPLOAD_EVERY_S, lambda server, tally: uploads(server, tally, key), "(b) uploads"),
        (API_EVERY_S, api, "(c) HTTP API"),
        (BURST_EVERY_S, burst, "(d) many sockets, queued turns"),
        (FRAME_EVERY_S, hostile_frames, "(e) hostile frames"),
        (FOREIGN_EVERY_S, foreign, "(f) foreign Host / Origin"),
    ):
        tasks.append(asyncio.ensure_future(_every(stop, pace, make(server, tally), tally, kind)))
    await asyncio.sleep(minutes * 60)
    stop.set()
    _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return samples


def run(minutes: float = 10.0, users: int = 4, every: float = 10.0, keep: bool = False) -> dict[str, Any]:
    raise_nofile()
    folder = Path(tempfile.mkdtemp(prefix="flask-chatbot-soak-"))
    server = None
    try:
        server = SampleServer(folder)
        first_workers = server.worker_pids()
        log(
            f"the sample app on {server.origin} (master {server.proc.pid}, workers {first_workers}); {minutes:g} min of traffic"
        )
        log(HEADER)
        store0 = _tree_bytes(server.store)[0]
        tally = Tally(time.perf_counter())
        cpu0, wall0, m0 = time.process_time(), time.perf_counter(), machine_cpu()
        samples = asyncio.run(_traffic(server, tally, minutes, users, every))
        client_cpu, wall, m1 = time.process_time() - cpu0, time.perf_counter() - wall0, machine_cpu()
        time.sleep(2.0)  # a measurement window: dropped uploads are cleaned up as their greenlets notice
        store1, _, partial = _tree_bytes(server.store)
        last_workers = server.worker_pids()
        seen_pids = {w["pid"] for s in samples for w in s["workers"]} | set(first_workers) | set(last_workers)
        duration = minutes * 60
        out: dict[str, Any] = {
            "command": "python -m bench.soak " + " ".join(sys.argv[1:]),
            "machine": {**machine(), "nproc": len(os.sched_getaffinity(0)), "date": time.strftime("%Y-%m-%d")},
            "minutes": minutes, "users": users, "duration_s": duration, "warmup_s": min(WARMUP_S, duration / 3),
            "samples": samples, "turns": tally.turns, "normal_errors": dict(tally.normal_errors),
            "hostile": {k: dict(v) for k, v in sorted(tally.kinds.items())},
            "slow_upload_s": round(_median(tally.slow_upload_s) or 0, 1),
            "client_cpu_pct": round(100 * client_cpu / wall, 1),
            "machine_idle_pct": round(100 * (m1[1] - m0[1]) / ((sum(m1) - sum(m0)) or 1), 1),
            "store": {"growth_bytes": store1 - store0, "accepted_upload_bytes": tally.accepted_upload_bytes, "partial_bytes": partial},
            "server": {"first_workers": first_workers, "last_workers": last_workers,
                       "restarted_workers": sorted(seen_pids - set(first_workers)),
                       "log_problems": dict(server.problems), "exceptions": [f"{c} x {t}" for t, c in server.exceptions.most_common(5)],
                       "last_traceback": server.last_traceback()},
        }  # fmt: skip
        out["verdict"] = verdict(out)
        return out
    finally:
        if server is not None:
            server.stop()
        if keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _check_lines(checks: list[dict[str, Any]], flat: bool) -> list[str]:
    return [f"- {'ok' if c['ok'] else 'FAILED'}: {c['check']}: {c['detail']}" for c in checks if c["flat"] == flat]


def markdown(out: dict[str, Any]) -> str:
    m, v = out["machine"], out["verdict"]
    lines = [
        f"### Soak: {out['minutes']:g} minutes of mixed traffic on the sample app",
        "",
        f"`{out['command'].strip()}`",
        "",
        f"Machine: {m['nproc']} CPUs (`nproc`), {m['cpu']}, Python {m['python']}; {m['date']}.",
        "",
        f"`make demo`'s gunicorn (two gevent workers) on loopback. {out['users']} normal users on `/chat` "
        f"(submit, read to `idle`, think {THINK_S[0]:g}-{THINK_S[1]:g} s); at the same time, each at its own pace: "
        f"(a) a {NEAR_MAX:,}-character message of table pipes or nested list markers every {BIG_MESSAGE_EVERY_S:g} s, "
        f"its socket closed or dropped mid-reply; (b) an upload every {UPLOAD_EVERY_S:g} s (1 MB with an issued key, "
        f"invented and bad keys, over `max_file_size` declared and chunked) and {SLOW_UPLOADS} uploads trickling a byte every {SLOW_BYTE_EVERY_S:g} s; "
        f"(c) an API call every {API_EVERY_S:g} s (no credentials, junk JSON, bodies over the limit); "
        f"(d) {BURST_CHAT + BURST_QUEUE} sockets at once from one client every {BURST_EVERY_S:g} s with queued and busy turns; "
        f"(e) a hostile frame every {FRAME_EVERY_S:g} s; (f) a read with a foreign `Host` or a handshake with a foreign "
        f"`Origin` every {FOREIGN_EVERY_S:g} s. The load generator used {out['client_cpu_pct']:g} % of one core; "
        f"the machine (both cores, everything on it) was {out['machine_idle_pct']:g} % idle.",
        "",
        "Every sample: RSS of the master and of each worker, each worker's CPU since the sample before (% of one core), "
        "open descriptors (all, then master/workers), the file "
        "store, and the normal users' turns that ended in the window before it (first patch: submit to the first "
        "`patch`; done: submit to `done`).",
        "",
        HEADER,
        "|---|---|---|---|---|---|---|---|---|",
        *[_text_row(s) for s in out["samples"]],
        "",
        "| hostile traffic | answers (count) |",
        "|---|---|",
    ]
    for kind, outcomes in out["hostile"].items():
        text = "; ".join(f"{o} ({n})" for o, n in sorted(outcomes.items()))
        lines.append(f"| {kind} | {text.replace('|', '/')} |")
    lines += [
        "",
        f"A slow upload was dropped by the server after {out['slow_upload_s']:g} s (median)."
        if out["slow_upload_s"] else "No slow upload ended within the run.",
        "",
        f"**Verdict: {'flat' if v['flat'] else 'NOT flat'}** (the last third of the run, {v['last_third'][0]:.0f}-{v['last_third'][1]:.0f} s, "
        f"against the first third after a {out['warmup_s']:.0f} s warm-up, {v['first_third'][0]:.0f}-{v['first_third'][1]:.0f} s):",
        "",
        *_check_lines(v["checks"], flat=True),
        "",
        "Also checked:",
        "",
        *_check_lines(v["checks"], flat=False),
    ]  # fmt: skip
    if out["server"]["exceptions"]:
        lines += ["", "Server exceptions (last lines of tracebacks): " + "; ".join(out["server"]["exceptions"])]
    if out["server"]["last_traceback"]:
        lines += ["", "The last traceback in the server's log:", "", "```", out["server"]["last_traceback"], "```"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the traffic runs (default 10)")
    parser.add_argument("--users", type=int, default=4, help="normal users (default 4)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples (default 10)")
    parser.add_argument("--keep", action="store_true", help="keep the server's temporary folder (its path is logged)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--write",
        metavar="SECTION",
        help="also put the section in docs/performance.md as SECTION (bench/doc_sections.py)",
    )
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.users < 1 or args.sample <= 0:
        parser.error("--minutes and --sample must be positive, --users at least 1")
    out = run(args.minutes, args.users, args.sample, args.keep)
    text = markdown(out)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    if args.write:
        doc_sections.write_section(args.write, text + "\n")
        log(f"wrote section {args.write} of {doc_sections.DOC}")
    return 0 if out["verdict"]["all_ok"] else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a TERM stops gunicorn too (run's finally)
    sys.exit(main())

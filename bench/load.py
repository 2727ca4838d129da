"""``python -m bench.load``: many concurrent conversations against ONE gunicorn worker.

gunicorn serves bench.load_app (one mount per kind of fn: gen, agen, fn, afn) with one
worker, gevent (``-k gevent --worker-connections 10000``) or gthread (``--threads N``), on a
free loopback port; a fresh server for every size. N conversations start within the ramp
window (websockets clients as asyncio tasks in 1 or 2 client processes); each says hello,
submits one message asking for ``words`` words paced ``delay`` s apart, and times every frame
until ``idle``. ``--idle N`` instead opens N sockets that say hello and stay idle, and
measures the worker's memory per socket and one more conversation while they are open.

    python -m bench.load --worker gevent --kind gen --sizes 10,100,1000,3000
    python -m bench.load --worker gthread --threads 64 --sizes 10,100,1000
    python -m bench.load --worker gevent --idle 3000 --json /tmp/idle.json
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import doc_sections, load_client

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("gen", "agen", "fn", "afn")
SIZES = (10, 100, 1000, 3000)
TICK = os.sysconf("SC_CLK_TCK")
_EXC = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Timeout)\b.*:")


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def raise_nofile() -> int:
    """Soft open-files limit up to the hard one (gunicorn and client processes inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


class Server:
    """gunicorn with one worker serving bench.load_app on 127.0.0.1; stderr kept (the tail) for the report."""

    def __init__(self, worker: str, threads: int = 64) -> None:
        self.port = _free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        gunicorn = Path(sys.executable).parent / "gunicorn"
        cmd = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        cmd += ["--config", "python:bench.worker_hooks", "--workers", "1", "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "3",
                "--keep-alive", "5", "--log-level", "info", "--backlog", "4096"]  # fmt: skip
        if worker == "gevent":
            cmd += ["--worker-class", "gevent", "--worker-connections", "10000"]
        elif worker == "gthread":
            cmd += ["--worker-class", "gthread", "--threads", str(threads)]
        else:
            raise ValueError(f"worker must be gevent or gthread, not {worker!r}")
        cmd.append("bench.load_app:create_app()")  # no --access-logfile: the access log stays off
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop("GUNICORN_CMD_ARGS", None)
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        assert self.proc.stderr is not None
        self.log: collections.deque[str] = collections.deque(maxlen=400)
        self.problems: collections.Counter[str] = collections.Counter()
        self.exceptions: collections.Counter[str] = collections.Counter()
        for raw in self.proc.stderr:  # ends only if gunicorn exits
            self.log.append(raw.decode(errors="replace"))
            if "Listening at:" in self.log[-1]:
                break
        else:
            self.proc.wait()
            raise RuntimeError("gunicorn exited at start:\n" + "".join(self.log))
        threading.Thread(target=self._drain, daemon=True).start()
        # The socket is bound; this request waits in the backlog until the worker has booted.
        try:
            with urllib.request.urlopen(f"{self.origin}/ping", timeout=60) as response:
                assert response.status == 200
        except Exception as exc:  # noqa: BLE001 (any failure to start stops the server)
            self.stop()
            lines = [line.strip() for line in self.log]
            why = next(
                (line for line in reversed(lines) if "Error" in line and not line.startswith("[")),
                lines[-1] if lines else "",
            )
            raise RuntimeError(f"gunicorn did not answer ({type(exc).__name__}: {exc}); worker log: {why}") from None
        workers = _children(self.proc.pid)
        if len(workers) != 1:
            self.stop()
            raise RuntimeError(f"expected one gunicorn worker, found {workers}")
        self.worker_pid = workers[0]

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace")
            self.log.append(line)
            for mark in ("WORKER TIMEOUT", "Traceback", "[ERROR]", "[CRITICAL]"):
                if mark in line:
                    self.problems[mark] += 1
            if _EXC.match(line):  # the last line of a traceback: "SomeError: what"
                self.exceptions[line.strip()[:200]] += 1

    def url(self, kind: str) -> str:
        return f"ws://127.0.0.1:{self.port}/{kind}/socket"

    def current_worker(self) -> int | None:
        workers = _children(self.proc.pid)
        return workers[0] if len(workers) == 1 else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Sampler:
    """The worker's peak RSS, read from /proc every 50 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_kb(pid) or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            value = rss_kb(self.pid)
            if value is not None:
                self.peak = max(self.peak, value)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        value = rss_kb(self.pid)
        if value is not None:
            self.peak = max(self.peak, value)
        return self.peak


def machine_cpu() -> tuple[int, int, int]:
    """(busy, idle + iowait, steal) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return user + nice + system + irq + softirq, idle + iowait, steal


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def auto_clients(n: int) -> int:
    """One process: at 1,000-3,000 conversations it used 16-23% of a core (the server is the bottleneck)."""
    return 1


def _conversations(
    server: Server, kind: str, n: int, ramp: float, spec: dict[str, Any], timeout: float, clients: int, compression: str
) -> tuple[list[dict[str, Any]], list[float], float]:
    """Run n conversations in ``clients`` processes; (records, CPU seconds per process, t0)."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding threads
    procs, pipes = [], []
    for k in range(clients):
        parent, child = ctx.Pipe()
        indices = list(range(k, n, clients))
        p = ctx.Process(
            target=load_client.client_process,
            args=(child, indices, n, server.url(kind), server.origin, ramp, spec, timeout, compression),
            daemon=True,
        )
        p.start()
        child.close()
        procs.append(p)
        pipes.append(parent)
    try:
        for parent in pipes:
            if not parent.poll(60) or parent.recv() != "ready":
                raise RuntimeError("a client process did not start")
        t0 = time.perf_counter() + 0.05
        for parent in pipes:
            parent.send(t0)
        records: list[dict[str, Any]] = []
        cpus: list[float] = []
        for parent in pipes:
            if not parent.poll(timeout + 60):
                raise RuntimeError("a client process did not finish")
            out = parent.recv()
            records += out["records"]
            cpus.append(out["cpu"])
        return records, cpus, t0
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join()


def summarize(records: list[dict[str, Any]], t0: float, words: int) -> dict[str, Any]:
    good = [r for r in records if not r["errors"]]  # TTFT and gaps of whole replies only
    ttft = [r["ttft"] for r in good if "ttft" in r]
    connect = [r["t_welcome"] - r["t_start"] for r in records if "t_welcome" in r]
    gaps = [g for r in good for g in r["gaps"]]
    failed = [r for r in records if r["errors"]]
    texts: collections.Counter[str] = collections.Counter(e for r in failed for e in r["errors"][:1])
    ends = [r["t_idle"] for r in records if "t_idle" in r]
    replies = [r["t_idle"] - r["t_submit"] for r in good if "t_idle" in r]
    return {
        "conversations": len(records),
        "ok": len(records) - len(failed),
        "errors": len(failed),
        "error_texts": [f"{count} x {text}" for text, count in texts.most_common(4)],
        "words_ok": sum(1 for r in records if r.get("words") == words),
        "connect_p50_ms": _ms(_pct(connect, 0.5)),
        "connect_p95_ms": _ms(_pct(connect, 0.95)),
        "ttft_p50_ms": _ms(_pct(ttft, 0.5)),
        "ttft_p95_ms": _ms(_pct(ttft, 0.95)),
        "ttft_max_ms": _ms(max(ttft) if ttft else None),
        "reply_p50_s": round(_pct(replies, 0.5), 2) if replies else None,
        "reply_p95_s": round(_pct(replies, 0.95), 2) if replies else None,
        "gap_p50_ms": _ms(_pct(gaps, 0.5)),
        "gap_p95_ms": _ms(_pct(gaps, 0.95)),
        "gap_max_ms": _ms(max(gaps) if gaps else None),
        "content_frames_mean": round(statistics.mean(len(r["gaps"]) + 1 for r in good if "ttft" in r), 1)
        if ttft
        else None,
        "last_idle_s": round(max(ends) - t0, 2) if ends else None,
        "close_errors": sum(1 for r in records if "close_error" in r),
        "deflate_negotiated": sum(1 for r in records if r.get("deflate")),
    }


def run_size(kind: str, n: int, worker: str = "gevent", threads: int = 64, ramp: float = 1.0, timeout: float = 120.0,
             words: int = 200, delay: float = 0.01, clients: int | None = None, compression: str = "deflate") -> dict[str, Any]:  # fmt: skip
    """One fresh gunicorn, n conversations of one kind; the measured figures."""
    clients = clients or auto_clients(n)
    spec = {"words": words, "delay": delay}
    server = Server(worker, threads)
    try:
        pid = server.worker_pid
        rss0, cpu0 = rss_kb(pid), cpu_seconds(pid)
        sampler = Sampler(pid)
        m0 = machine_cpu()
        started = time.perf_counter()
        records, client_cpu, t0 = _conversations(server, kind, n, ramp, spec, timeout, clients, compression)
        wall = time.perf_counter() - started
        m1 = machine_cpu()
        peak = sampler.stop()
        total = sum(m1) - sum(m0) or 1
        rss1, cpu1 = rss_kb(pid), cpu_seconds(pid)
        same = server.current_worker() == pid
        res = summarize(records, t0, words)
        res.update(
            worker=worker if worker == "gevent" else f"gthread/{threads}",
            kind=kind, n=n, clients=clients, compression=compression, ramp=ramp, words=words, delay=delay,
            rss_before_mb=round((rss0 or 0) / 1024, 1), rss_peak_mb=round(peak / 1024, 1),
            rss_after_mb=round(rss1 / 1024, 1) if rss1 is not None else None,
            worker_cpu_s=round(cpu1 - cpu0, 2) if cpu0 is not None and cpu1 is not None else None,
            client_cpu_s=[round(c, 2) for c in client_cpu], wall_s=round(wall, 2),
            machine_idle_pct=round(100 * (m1[1] - m0[1]) / total, 1), machine_steal_pct=round(100 * (m1[2] - m0[2]) / total, 1),
            worker_restarted=not same, server_log_problems=dict(server.problems),
            server_exceptions=[f"{c} x {t}" for t, c in server.exceptions.most_common(3)],
        )  # fmt: skip
        return res
    finally:
        server.stop()


async def _idle_run(
    server: Server, n: int, kind: str, ramp: float, compression: str, timeout: float, spec: dict[str, Any]
) -> dict[str, Any]:
    pid = server.worker_pid
    rss0 = rss_kb(pid) or 0
    cpu_client0 = time.process_time()
    started = time.perf_counter()
    sockets, errors = await load_client.idle_sockets(n, server.url(kind), server.origin, ramp, compression, timeout)
    opened = time.perf_counter() - started
    rss_open = rss_kb(pid) or 0
    # One more conversation while they are all open.
    rec = load_client.new_record(0)
    try:
        await asyncio.wait_for(
            load_client.conversation(rec, server.url(kind), server.origin, 0.0, spec, compression, 30), 60
        )
    except asyncio.TimeoutError:
        pass
    rss_after_one = rss_kb(pid) or 0
    cpu_w0 = cpu_seconds(pid) or 0.0
    t_quiet = time.perf_counter()
    await asyncio.sleep(2.0)  # a measurement window, not synchronisation: the worker's CPU while every socket idles
    idle_cpu = ((cpu_seconds(pid) or 0.0) - cpu_w0) / (time.perf_counter() - t_quiet)
    still_open = sum(1 for ws in sockets if ws.close_code is None)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {
        "idle": n,
        "opened": len(sockets),
        "deflate_negotiated": sum(1 for ws in sockets if ws.deflate),
        "still_open": still_open,
        "open_errors": len(errors),
        "error_texts": [f"{c} x {t}" for t, c in collections.Counter(errors).most_common(4)],
        "open_s": round(opened, 2),
        "rss_before_mb": round(rss0 / 1024, 1),
        "rss_open_mb": round(rss_open / 1024, 1),
        "kb_per_idle_socket": round((rss_open - rss0) / len(sockets), 1) if sockets else None,
        "rss_after_one_mb": round(rss_after_one / 1024, 1),
        "worker_cpu_per_s_while_idle": round(idle_cpu, 3),
        "one_more_ttft_ms": _ms(rec.get("ttft")),
        "one_more_words_ok": rec.get("words") == spec["words"],
        "one_more_errors": rec["errors"],
        "client_cpu_s": round(time.process_time() - cpu_client0, 2),
    }


def run_idle(n: int, worker: str = "gevent", threads: int = 64, kind: str = "gen", ramp: float = 3.0, timeout: float = 120.0,
             words: int = 200, delay: float = 0.01, compression: str = "deflate") -> dict[str, Any]:  # fmt: skip
    """N idle sockets (hello, then nothing): the worker's RSS per socket; one more conversation meanwhile."""
    server = Server(worker, threads)
    try:
        res = asyncio.run(_idle_run(server, n, kind, ramp, compression, timeout, {"words": words, "delay": delay}))
        rss_closed = rss_kb(server.worker_pid)
        res.update(
            worker=worker if worker == "gevent" else f"gthread/{threads}", kind=kind, compression=compression,
            rss_after_close_mb=round(rss_closed / 1024, 1) if rss_closed is not None else None,
            worker_restarted=server.current_worker() != server.worker_pid, server_log_problems=dict(server.problems),
            server_exceptions=[f"{c} x {t}" for t, c in server.exceptions.most_common(3)],
        )  # fmt: skip
        return res
    finally:
        server.stop()


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version()}


def run(kinds: tuple[str, ...] = ("gen",), sizes: tuple[int, ...] = SIZES, worker: str = "gevent", threads: int = 64,
        ramp: float = 1.0, timeout: float = 120.0, words: int = 200, delay: float = 0.01, clients: int | None = None,
        compression: str = "deflate", idle: int = 0, progress: Callable[[str], None] = log) -> dict[str, Any]:  # fmt: skip
    """Every (kind, size) on its own fresh server, then the idle test if ``idle``; one dict of results."""
    hard = raise_nofile()
    out: dict[str, Any] = {"machine": machine(), "nofile": hard, "runs": [], "idle": None}
    for kind in kinds:
        for n in sizes:
            progress(f"{worker}{'' if worker == 'gevent' else '/' + str(threads)} {kind}: {n} conversations")
            try:
                res = run_size(kind, n, worker, threads, ramp, timeout, words, delay, clients, compression)
            except Exception as exc:  # noqa: BLE001 (a run that could not even start is reported, the rest go on)
                res = {"worker": worker, "kind": kind, "n": n, "failed": f"{type(exc).__name__}: {exc}"[:500]}
            out["runs"].append(res)
            progress(_row(res))
    if idle:
        progress(f"{worker}: {idle} idle sockets")
        try:
            out["idle"] = run_idle(idle, worker, threads, kinds[0], max(ramp, 3.0), timeout, words, delay, compression)
        except Exception as exc:  # noqa: BLE001
            out["idle"] = {"idle": idle, "failed": f"{type(exc).__name__}: {exc}"[:500]}
    return out


HEADER = (
    "| worker | kind | N | ok | errors | connect p50 / p95 ms | TTFT p50 / p95 ms | gap p95 / max ms "
    "| frames per reply | reply p50 / p95 s | RSS MB before / peak / after | worker CPU s | client CPU s (% of wall) | wall s | machine idle % |"
)


def _f(value: Any) -> str:
    return "–" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _row(r: dict[str, Any]) -> str:
    if "failed" in r:
        return f"| {r['worker']} | {r['kind']} | {r['n']} | – | run failed: {r['failed']} | | | | | | | | | | |"
    clients = " + ".join(_f(c) for c in r["client_cpu_s"])
    clients += f" ({r['clients']} proc, {100 * sum(r['client_cpu_s']) / r['wall_s']:.0f}%)" if r["wall_s"] else ""
    return (
        f"| {r['worker']} | {r['kind']} | {r['n']} | {r['ok']} | {r['errors']} "
        f"| {_f(r['connect_p50_ms'])} / {_f(r['connect_p95_ms'])} | {_f(r['ttft_p50_ms'])} / {_f(r['ttft_p95_ms'])} "
        f"| {_f(r['gap_p95_ms'])} / {_f(r['gap_max_ms'])} | {_f(r['content_frames_mean'])} | {_f(r['reply_p50_s'])} / {_f(r['reply_p95_s'])} | {_f(r['rss_before_mb'])} / {_f(r['rss_peak_mb'])} / {_f(r['rss_after_mb'])} "
        f"| {_f(r['worker_cpu_s'])} | {clients} | {_f(r['wall_s'])} | {_f(r.get('machine_idle_pct'))} |"
    )


def markdown(out: dict[str, Any]) -> str:
    m = out["machine"]
    lines = [f"Machine: {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}; open-files limit {out['nofile']}.", ""]
    runs = out["runs"]
    if runs:
        r0 = next((r for r in runs if "failed" not in r), None)
        if r0:
            lines.append(
                f"One gunicorn worker; each conversation: {r0['words']} words, {r0['delay'] * 1000:g} ms apart; "
                f"all N start within {r0['ramp']:g} s; the client offers compression: {r0['compression']} "
                f"(the server accepted it on {r0['deflate_negotiated']} of {r0['conversations']} sockets). "
                "connect = connect start to welcome; TTFT = submit sent to first patch/done; "
                "gap = between consecutive patch/done frames; frames = patch + done per reply; reply = submit to idle "
                "(TTFT, gaps, frames and reply: error-free conversations only); client CPU per client process; "
                "wall = client processes started to their last result; "
                "machine idle % = both cores, from /proc/stat (others' work on the machine shows here)."
            )
            lines.append("")
        lines += [HEADER, "|" + "---|" * 15]
        lines += [_row(r) for r in runs]
        notes = []
        for r in runs:
            if r.get("error_texts"):
                notes.append(f"- {r['worker']} {r['kind']} N={r['n']}: " + "; ".join(r["error_texts"]))
            extra = []
            if r.get("words_ok") is not None and r["words_ok"] != r["n"]:
                extra.append(f"{r['words_ok']} of {r['n']} replies whole")
            if r.get("worker_restarted"):
                extra.append("the worker was restarted during the run")
            if r.get("server_log_problems"):
                extra.append(f"server log: {r['server_log_problems']}")
            if r.get("server_exceptions"):
                extra.append("server exceptions: " + "; ".join(r["server_exceptions"]))
            if r.get("close_errors"):
                extra.append(f"{r['close_errors']} closing handshakes failed after idle")
            if extra:
                notes.append(f"- {r['worker']} {r['kind']} N={r['n']}: " + "; ".join(extra))
        if notes:
            lines += ["", "Errors (first distinct texts, with counts):", *notes]
    idle = out.get("idle")
    if idle:
        lines.append("")
        if "failed" in idle:
            lines.append(f"Idle sockets: run failed: {idle['failed']}")
        else:
            lines += [
                f"Idle sockets ({idle['worker']}, client offers compression: {idle['compression']}, "
                f"server accepted it on {idle['deflate_negotiated']}): {idle['opened']} of {idle['idle']} opened "
                f"in {idle['open_s']} s ({idle['open_errors']} errors{': ' + '; '.join(idle['error_texts']) if idle['error_texts'] else ''}); "
                f"worker RSS {idle['rss_before_mb']} -> {idle['rss_open_mb']} MB = {_f(idle['kb_per_idle_socket'])} KB per idle socket; "
                f"{idle['rss_after_close_mb']} MB after closing them; worker CPU while idle {idle['worker_cpu_per_s_while_idle']} s/s. "
                f"One more conversation meanwhile: TTFT {_f(idle['one_more_ttft_ms'])} ms, reply whole: {idle['one_more_words_ok']}"
                + (f", errors: {idle['one_more_errors']}" if idle["one_more_errors"] else "")
                + f". Client CPU {idle['client_cpu_s']} s (1 proc)."
            ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--worker", choices=("gevent", "gthread"), default="gevent")
    parser.add_argument("--threads", type=int, default=64, help="gthread threads (default 64)")
    parser.add_argument("--kind", default="gen", help="gen, agen, fn, afn, or several comma-separated (default gen)")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="numbers of conversations (default 10,100,1000,3000); empty for none",
    )
    parser.add_argument(
        "--ramp", type=float, default=1.0, help="all conversations start within this many seconds (default 1)"
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="a run stops after this many seconds (default 120)"
    )
    parser.add_argument("--words", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.01, help="seconds between words (default 0.01)")
    parser.add_argument(
        "--clients",
        type=int,
        default=0,
        help="client processes sharing the conversations (default 1: one keeps up, see auto_clients)",
    )
    parser.add_argument("--compression", choices=("deflate", "none"), default="deflate",
                        help="offer permessage-deflate as browsers do (default), or not")  # fmt: skip
    parser.add_argument(
        "--idle", type=int, default=0, help="also open this many idle sockets and measure memory per socket"
    )
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--write", metavar="SECTION",
                        help="also put the table in docs/performance.md, as its section SECTION (bench/doc_sections.py)")  # fmt: skip
    parser.add_argument("--title", default="Many conversations on one worker", help="the heading of that section")
    args = parser.parse_args(argv)
    kinds = tuple(k.strip() for k in args.kind.split(",") if k.strip())
    for k in kinds:
        if k not in KINDS:
            parser.error(f"--kind: {k!r} is not one of {', '.join(KINDS)}")
    sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    out = run(kinds, sizes, args.worker, args.threads, args.ramp, args.timeout, args.words, args.delay,
              args.clients or None, args.compression, args.idle)  # fmt: skip
    print(markdown(out))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    if args.write:
        command = "python -m bench.load " + " ".join(argv if argv is not None else sys.argv[1:])
        doc_sections.write_section(args.write, f"### {args.title}\n\n`{command}`\n\n{markdown(out)}\n")
        log(f"wrote section {args.write} of {doc_sections.DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

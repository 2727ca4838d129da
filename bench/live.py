"""The live benchmark: gunicorn serving bench.server in its own process, real WebSocket clients.

The server's CPU time is read from the worker itself (``GET /bench/stats``, which
answers ``time.process_time()``: nanosecond resolution, every thread counted,
including the fn and emitter threads that end with the reply). /proc/<pid>/stat
counts in 10 ms ticks, too coarse for one reply; it is kept as a cross-check.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, RejectConnection, Request, TextMessage
from wsproto.extensions import PerMessageDeflate

ROOT = Path(__file__).resolve().parent.parent
ARRIVED = "\0arrived"  # the client's clock when a frame was read (never a protocol key)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn, gthread worker class, one worker (so one process holds every thread to measure)."""

    def __init__(self, nagle: bool = False) -> None:
        """``nagle``: leave Nagle's algorithm on (the library sets TCP_NODELAY; this undoes it)."""
        self.port = _free_port()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        cmd = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        cmd += [
            "--worker-class", "gthread", "--workers", "1", "--threads", "16",
            "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5",
            "--keep-alive", "5", "--log-level", "warning",
            "bench.server:create_app()",
        ]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env["BENCH_NAGLE"] = "1" if nagle else ""
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        self._conn: http.client.HTTPConnection | None = None
        deadline = time.monotonic() + 30
        while True:
            try:
                self.pid = self.stats()["pid"]
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("gunicorn did not start (is it installed? `make bench` installs it)") from None
                self._conn = None
                time.sleep(0.1)
        # The cost of one /bench/stats request, subtracted from every measurement.
        pairs = []
        for _ in range(15):
            a, b = self.stats(), self.stats()
            pairs.append(b["cpu"] - a["cpu"])
        self.stats_cost = statistics.median(pairs)
        self.idle_rate = 0.0

    def stats(self) -> dict[str, Any]:
        for attempt in (1, 2):  # gunicorn closes a kept-alive connection after 5 s: reconnect once
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                self._conn.request("GET", "/bench/stats")
                return json.loads(self._conn.getresponse().read())
            except (OSError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def measure_idle(self, seconds: float) -> float:
        """The worker's CPU per second while nothing happens (gunicorn's heartbeat, ping threads)."""
        a = self.stats()
        time.sleep(seconds)
        b = self.stats()
        self.idle_rate = max(0.0, (b["cpu"] - a["cpu"] - self.stats_cost) / seconds)
        return self.idle_rate

    def url(self, mount: str) -> str:
        return f"ws://127.0.0.1:{self.port}/{mount}/socket"

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _frame_header(payload: int) -> int:
    """Bytes of a server frame's header (unmasked) for a payload of that size."""
    return 2 if payload < 126 else 4 if payload < 65536 else 10


class PlainClient:
    """websocket-client: no compression (it does not offer permessage-deflate)."""

    compressed = False

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(url, timeout=60)

    def send(self, frame: dict[str, Any]) -> None:
        self.ws.send(json.dumps(frame))

    def recv_until(self, frame_type: str) -> tuple[list[dict[str, Any]], int]:
        """Frames up to and including the first of ``frame_type``, and their bytes on the wire."""
        frames, wire = [], 0
        while True:
            data = self.ws.recv()
            size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
            wire += size + _frame_header(size)
            frame = json.loads(data)
            frame[ARRIVED] = time.perf_counter()
            frames.append(frame)
            if frame["type"] == frame_type:
                return frames, wire

    def close(self) -> None:
        self.ws.close()


class DeflateClient:
    """A wsproto client that offers permessage-deflate, as every browser does."""

    compressed = True

    def __init__(self, url: str) -> None:
        host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
        path = "/" + url.split("//", 1)[1].split("/", 1)[1]
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.sock.sendall(self.ws.send(Request(host=f"{host}:{port}", target=path, extensions=[PerMessageDeflate()])))
        self._pending: list[str] = []
        self._parts: list[str] = []
        self.accepted = False
        while not self.accepted:
            self._read()
        if not self.extensions_accepted:
            raise RuntimeError("the server did not accept permessage-deflate")

    def _read(self) -> int:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, AcceptConnection):
                self.accepted = True
                self.extensions_accepted = any(isinstance(e, PerMessageDeflate) for e in event.extensions)
            elif isinstance(event, RejectConnection):
                raise ConnectionError(f"handshake refused: {event.status_code}")
            elif isinstance(event, TextMessage):
                self._parts.append(event.data)
                if event.message_finished:
                    self._pending.append("".join(self._parts))
                    self._parts = []
            elif isinstance(event, Ping):
                self.sock.sendall(self.ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                raise ConnectionError("the server closed the connection")
        return len(data)

    def send(self, frame: dict[str, Any]) -> None:
        self.sock.sendall(self.ws.send(TextMessage(data=json.dumps(frame))))

    def recv_until(self, frame_type: str) -> tuple[list[dict[str, Any]], int]:
        frames, wire = [], 0
        while True:
            while not self._pending:
                wire += self._read()
            frame = json.loads(self._pending.pop(0))
            frame[ARRIVED] = time.perf_counter()
            frames.append(frame)
            if frame["type"] == frame_type:
                return frames, wire

    def close(self) -> None:
        try:
            self.sock.sendall(self.ws.send(CloseConnection(code=1000)))
        except Exception:  # noqa: BLE001 (closing anyway)
            pass
        self.sock.close()


@dataclass
class Turn:
    """One streamed reply, measured from the server's side and the client's."""

    cpu: float  # worker CPU seconds, submit to idle, idle baseline and the stats request subtracted
    wall: float
    render_cpu: float
    render_calls: int
    render_chars: int
    fn_cpu: float
    emit_cpu: float
    proc_ticks: int
    patches: int
    patch_bytes: int  # JSON text of the patch frames (what a client parses)
    done_bytes: int
    wire_bytes: int  # every frame of the turn as sent on the socket (after compression, if any)
    html_chars: int
    content_chars: int
    lag: list[float] = field(default_factory=list)  # per word: first patch holding it arrived - fn yielded it
    extra: dict[str, float] = field(default_factory=dict)


def open_client(server: Server, mount: str, compressed: bool) -> PlainClient | DeflateClient:
    return (DeflateClient if compressed else PlainClient)(server.url(mount))


def hello(server: Server, client: PlainClient | DeflateClient, history: list[dict[str, Any]]) -> float:
    """Say hello with ``history``; the worker CPU it cost."""
    a = server.stats()
    client.send({"type": "hello", "version": 1, "history": history})
    frames, _ = client.recv_until("welcome")
    b = server.stats()
    assert frames[-1]["type"] == "welcome", frames
    return b["cpu"] - a["cpu"] - server.stats_cost


def turn(server: Server, client: PlainClient | DeflateClient, spec: dict[str, Any], expected: str, n: int) -> Turn:
    """Submit ``spec`` (see bench.server), read every frame up to idle, measure."""
    a = server.stats()
    t0 = time.perf_counter()
    client.send({"type": "submit", "id": f"u{n}", "text": json.dumps(spec)})
    frames, wire = client.recv_until("idle")
    wall = time.perf_counter() - t0
    b = server.stats()
    polls = 1
    deadline = time.monotonic() + 5
    while b["replies"] == a["replies"] and time.monotonic() < deadline:
        time.sleep(0.002)  # idle is the emitter's last frame: let its thread return and be counted
        b = server.stats()
        polls += 1
    if b["replies"] != a["replies"] + 1:
        raise AssertionError("the reply's emitter thread did not finish")
    done = [f for f in frames if f["type"] == "done"]
    if len(done) != 1 or done[0]["content"] != expected:
        raise AssertionError(f"the streamed reply did not arrive whole: {[f['type'] for f in frames][-5:]}")
    patches = [f for f in frames if f["type"] == "patch"]
    lag = []
    if spec.get("rate"):  # fn yields word i (from 0) at about t0 + i / rate
        content, shown = "", 0
        for f in patches:
            content = content[: f["keep"]] + f["append"]
            words = len(content.split())
            lag += [f[ARRIVED] - t0 - i / spec["rate"] for i in range(shown, words)]
            shown = max(shown, words)
    for f in frames:
        f.pop(ARRIVED, None)
    return Turn(
        cpu=b["cpu"] - a["cpu"] - polls * server.stats_cost - server.idle_rate * wall,
        wall=wall,
        render_cpu=b["render_cpu"] - a["render_cpu"],
        render_calls=b["render_calls"] - a["render_calls"],
        render_chars=b["render_chars"] - a["render_chars"],
        fn_cpu=b["fn_cpu"] - a["fn_cpu"],
        emit_cpu=b["emit_cpu"] - a["emit_cpu"],
        proc_ticks=b["proc_ticks"] - a["proc_ticks"],
        patches=len(patches),
        patch_bytes=sum(len(json.dumps(f, ensure_ascii=False, separators=(",", ":")).encode()) for f in patches),
        done_bytes=len(json.dumps(done[0], ensure_ascii=False, separators=(",", ":")).encode()),
        wire_bytes=wire,
        html_chars=len(done[0]["html"]),
        content_chars=len(done[0]["content"]),
        lag=lag,
    )


def median_turn(turns: list[Turn]) -> Turn:
    """The run with the median CPU (its other figures belong to that same run)."""
    ordered = sorted(turns, key=lambda t: t.cpu)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.extra["cpu_min"] = ordered[0].cpu
    chosen.extra["cpu_max"] = ordered[-1].cpu
    chosen.extra["runs"] = len(turns)
    return chosen

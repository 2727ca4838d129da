"""The traffic of ``python -m bench.soak`` (bench/soak.py): the normal readers and each kind of
hostile client, paced, with every answer counted by kind (:class:`Tally`). The targets are the
sample app's mounts and limits; the server and the sampling are soak.py's.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed, InvalidStatus

from . import load_client

if TYPE_CHECKING:
    from .soak import SampleServer


# The sample app's limits the hostile traffic aims at (flask_chatbot defaults; files_bot's max_file_size).
MAX_MESSAGE_CHARS = 100_000
MAX_FRAME_BYTES = 1024 * 1024
MAX_FILE_SIZE = 20 * 1024 * 1024

# The pace of each kind of traffic (seconds between two of its actions): together they keep the
# load generator under a fifth of a core and leave the two workers most of the other.
THINK_S = (1.0, 3.0)  # a normal user between a reply and the next message
BIG_MESSAGE_EVERY_S = 10.0  # (a): a 99,000-character render costs a worker 1-2 s of CPU
UPLOAD_EVERY_S = 5.0  # (b), plus SLOW_UPLOADS trickling all the time
SLOW_UPLOADS = 2
SLOW_BYTE_EVERY_S = 0.5
API_EVERY_S = 4.0  # (c)
BURST_EVERY_S = 30.0  # (d): BURST_CHAT + BURST_QUEUE sockets, held BURST_HOLD_S
BURST_CHAT, BURST_QUEUE, BURST_HOLD_S = 12, 6, 12.0
FRAME_EVERY_S = 1.0  # (e): the server reads 10 frames a second per socket anyway
FOREIGN_EVERY_S = 2.0  # (f)
TURN_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0

FOREIGN_HOST = "evil.test"
HEADER = (
    "| t s | master RSS MB | worker RSS MB | worker CPU % | fds all (master/workers) | store MB (files) "
    "| turns | first patch p50 / p95 ms | done p95 s |"
)
_TYPE = re.compile(r'^\{\s*"type"\s*:\s*"(\w+)"')


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# The hostile texts, built once: just under max_message_chars.
def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


NEAR_MAX = MAX_MESSAGE_CHARS - 1000
TABLE_PIPES = _fill("|" + " h |" * 40 + "\n|" + ":---|" * 40 + "\n" + ("|" + " x |" * 40 + "\n") * 20, NEAR_MAX)
NESTED_LISTS = _fill("".join("    " * d + "- item\n" for d in range(40)) + "> " * 40 + "- " * 40 + "1. x\n", NEAR_MAX)
PIPES_AND_NESTING = _fill("- " * 36 + "| a | b |\n" + "    " * 20 + "1. |---|---|\n", NEAR_MAX)
OVER_MAX = "|" * (MAX_MESSAGE_CHARS + 1)


class Tally:
    """Every outcome of the run: normal turns, and each hostile kind's answers by label."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.turns: list[dict[str, float]] = []  # t (s since start, at submit), first, done (s)
        self.normal_errors: collections.Counter[str] = collections.Counter()
        self.kinds: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.accepted_upload_bytes = 0
        self.file_ids: list[str] = []
        self.slow_upload_s: list[float] = []

    def count(self, kind: str, outcome: str) -> None:
        self.kinds[kind][outcome] += 1

    def normal_error(self, text: str) -> None:
        self.normal_errors[text[:160]] += 1


def _outcome(exc: BaseException) -> str:
    """A client-side failure, as one short label."""
    if isinstance(exc, InvalidStatus):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, ConnectionClosed):
        return f"closed {exc.rcvd.code}" if exc.rcvd else "closed (no close frame)"
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    return load_client._describe(exc)


def _frame(raw: str | bytes) -> tuple[str, dict[str, Any] | None]:
    """(type, the frame parsed when it is small): big echoes are never parsed, only named."""
    text = raw if isinstance(raw, str) else raw.decode(errors="replace")
    m = _TYPE.match(text[:64])
    if len(text) > 20_000:
        return (m.group(1) if m else "?"), None
    try:
        frame = json.loads(text)
    except ValueError:
        return "?", None
    return (str(frame.get("type")) if isinstance(frame, dict) else "?"), frame if isinstance(frame, dict) else None


async def _pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep, or less if the run ends; True when it has ended."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass
    return stop.is_set()


async def _every(
    stop: asyncio.Event, seconds: float, action: Callable[[int], Awaitable[None]], tally: Tally, kind: str
) -> None:
    """``action(i)`` every ``seconds`` (after it ended) until the run ends; a failure is counted, never raised."""
    i = 0
    while not await _pause(stop, seconds * random.uniform(0.8, 1.2)):
        try:
            await action(i)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 (hostile traffic: every failure is an outcome)
            tally.count(kind, f"client: {_outcome(exc)}")
        i += 1


async def _open(server: SampleServer, mount: str, hello: bool = True, origin: str | None = None) -> Any:
    ws = await load_client._connect(server.ws(mount), origin or server.origin, "none", 10.0)
    if hello:
        rec = load_client.new_record(0)
        if not await asyncio.wait_for(load_client._until_welcome(ws, rec), 10.0):
            await ws.close()
            raise RuntimeError(rec["errors"][0])
        ws.welcome = rec["welcome"]
    return ws


async def _close(ws: Any, abort: bool) -> None:
    """Close politely, or drop the TCP connection as a vanished browser does."""
    if abort:
        ws.transport.abort()
    else:
        await asyncio.wait_for(ws.close(), 5.0)


# --- HTTP, by hand (raw enough to lie about lengths and to trickle) ------------------------------


async def http(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"", *,
    chunks: int = 0, trickle: float = 0.0, timeout: float = 20.0, first_bytes_only: bool = False,
) -> tuple[str, bytes]:  # fmt: skip
    """One request on a connection of its own: (status code or what went wrong, the start of the body).

    ``chunks``: send ``body`` that many times, chunked; ``trickle``: one byte every so many
    seconds. Sending stops as soon as an answer comes (a refusal before the body ends)."""

    async def go() -> tuple[str, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        try:
            head = {"Host": f"127.0.0.1:{port}", "Connection": "close", **(headers or {})}
            if chunks:
                head["Transfer-Encoding"] = "chunked"
            else:
                head.setdefault("Content-Length", str(len(body)))
            writer.write(
                (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n").encode()
            )
            answer = asyncio.ensure_future(reader.readline())
            state["sending"] = True
            try:
                if chunks:
                    pieces = [b"%x\r\n%s\r\n" % (len(body), body)] * chunks + [b"0\r\n\r\n"]
                elif trickle:
                    pieces = [body[i : i + 1] for i in range(len(body))]
                else:
                    pieces = [body]
                for piece in pieces:
                    if answer.done():
                        break
                    writer.write(piece)
                    drained = asyncio.ensure_future(writer.drain())
                    await asyncio.wait({drained, answer}, return_when=asyncio.FIRST_COMPLETED)
                    if not drained.done():
                        drained.cancel()
                        break
                    drained.result()
                    if trickle:
                        await asyncio.wait({answer}, timeout=trickle)
            except ConnectionError:
                pass  # the server stopped reading and closed: its answer may still be there
            state["sending"] = False
            line = await answer
            if not line:
                return "closed without an answer", b""
            status = line.split()[1].decode() if len(line.split()) > 1 else "?"
            while (await reader.readline()).strip():
                pass  # headers
            data = await reader.read(4096) if first_bytes_only else await reader.read()
            return status, data[:4096]
        finally:
            writer.transport.abort()

    state = {"sending": False}
    try:
        return await asyncio.wait_for(go(), timeout)
    except asyncio.TimeoutError:
        return "timeout", b""
    except ConnectionError as exc:
        # A server that answers before it has read the whole body (a refusal) and closes makes the
        # kernel reset the connection, and the answer is usually lost with it.
        what = "reset" if isinstance(exc, ConnectionResetError) else type(exc).__name__
        return f"{what} {'while sending' if state['sending'] else 'before the answer'}", b""


# --- the normal users ----------------------------------------------------------------------------

QUESTIONS = ("What can you show?", "Write some Python", "Explain WSGI in a table", "Tell me about streaming")


async def normal_user(server: SampleServer, tally: Tally, stop: asyncio.Event, user: int) -> None:
    turn = 0
    while not stop.is_set():
        try:
            ws = await _open(server, "chat")
        except Exception as exc:  # noqa: BLE001
            tally.normal_error(f"connect: {_outcome(exc)}")
            await _pause(stop, 1.0)
            continue
        try:
            while not stop.is_set():
                turn += 1
                await asyncio.wait_for(
                    _normal_turn(ws, tally, f"u{turn}", f"{QUESTIONS[turn % len(QUESTIONS)]} ({user}.{turn})"),
                    TURN_TIMEOUT_S,
                )
                if await _pause(stop, random.uniform(*THINK_S)):
                    break
        except Exception as exc:  # noqa: BLE001
            tally.normal_error(f"turn: {_outcome(exc)}")
        finally:
            await _close(ws, abort=True)


async def _normal_turn(ws: Any, tally: Tally, msg_id: str, text: str) -> None:
    sent = time.perf_counter()
    await ws.send(json.dumps({"type": "submit", "id": msg_id, "text": text}))
    first = done = None
    while True:
        kind, frame = _frame(await ws.recv())
        now = time.perf_counter() - sent
        if kind in ("patch", "done") and first is None:
            first = now
        if kind == "done":
            done = now
            if frame is not None and frame.get("status") != "done":
                tally.normal_error(f"done with status {frame.get('status')}")
        elif kind == "error":
            tally.normal_error(f"error frame {frame.get('code') if frame else '?'}")
        elif kind == "idle":
            break
    if first is None or done is None:
        tally.normal_error("idle without a reply")
        return
    tally.turns.append({"t": sent - tally.t0, "first": first, "done": done})


# --- (a) near-max Markdown over several sockets, closed mid-reply --------------------------------

BIG_TEXTS = (("table pipes", TABLE_PIPES), ("nested lists", NESTED_LISTS), ("pipes and nesting", PIPES_AND_NESTING))


def big_markdown(server: SampleServer, tally: Tally) -> Callable[[int], Awaitable[None]]:
    sockets: list[Any] = [None, None, None]
    texts = {**dict(BIG_TEXTS), "over max_message_chars": OVER_MAX}
    kind = "(a) near-max Markdown"

    async def action(i: int) -> None:
        slot = i % len(sockets)
        if sockets[slot] is None or sockets[slot].close_code is not None:
            sockets[slot] = await _open(server, "chat")
        ws = sockets[slot]
        name = "over max_message_chars" if i % 10 == 9 else BIG_TEXTS[i % len(BIG_TEXTS)][0]
        await ws.send(json.dumps({"type": "submit", "id": f"big{i}", "text": texts[name]}))
        ending = ("read to idle", "close mid-reply", "drop mid-reply")[
            (i + i // len(sockets)) % 3
        ]  # every slot gets each
        try:
            async with asyncio.timeout(TURN_TIMEOUT_S):
                while True:
                    kind_, frame = _frame(await ws.recv())
                    if kind_ == "error":
                        tally.count(kind, f"{name}: error {frame.get('code') if frame else '?'}")
                        return
                    if kind_ == "idle":
                        tally.count(kind, f"{name}: reply read to idle")
                        return
                    if kind_ == "patch" and ending != "read to idle":
                        sockets[slot] = None
                        await _close(ws, abort=ending == "drop mid-reply")
                        tally.count(kind, f"{name}: {ending}")
                        return
        except TimeoutError:
            tally.count(kind, f"{name}: no idle within {TURN_TIMEOUT_S:g} s")
            sockets[slot] = None
            await _close(ws, abort=True)

    return action


# --- (b) uploads ----------------------------------------------------------------------------------


def _key() -> str:
    return "".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") for _ in range(32))


MB = 1024 * 1024
_BLOCK = os.urandom(64 * 1024)
UPLOAD = "/files-demo/upload?name=soak.bin"


class IssuedKey:
    """An upload key the server issued (a /files-demo welcome's), so that uploads get past the key check
    to the size and time limits; fetched again when the server stops taking it."""

    def __init__(self, server: SampleServer) -> None:
        self.server = server
        self.key: str | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:
            if self.key is None:
                ws = await _open(self.server, "files-demo")
                self.key = str(ws.welcome["upload_key"])
                await _close(ws, abort=False)
            return self.key

    def check(self, status: str, body: bytes) -> None:
        if status == "403" and b"upload_key" in body:
            self.key = None


def uploads(server: SampleServer, tally: Tally, key: IssuedKey) -> Callable[[int], Awaitable[None]]:
    kind = "(b) uploads"
    one_mb = _BLOCK * 16

    def post(
        headers: dict[str, str], body: bytes = b"", path: str = UPLOAD, **kw: Any
    ) -> Callable[[str], Awaitable[tuple[str, bytes]]]:
        return lambda k: http(server.port, "POST", path, {"X-Chatbot-Upload-Key": k, **headers}, body, **kw)

    cases: list[tuple[str, Callable[[str], Awaitable[tuple[str, bytes]]]]] = [
        ("issued key, 1 MB", post({}, one_mb)),
        ("invented key, 1 MB", lambda k: post({}, one_mb)(_key())),
        ("no key", lambda k: http(server.port, "POST", UPLOAD, {}, b"x" * 1000)),
        ("malformed key", lambda k: post({}, b"x" * 1000)("../../etc")),
        ("Content-Length over max_file_size, no body", post({"Content-Length": str(MAX_FILE_SIZE + 5 * MB)})),
        ("chunked, 1 MB over max_file_size", post({}, _BLOCK, chunks=(MAX_FILE_SIZE + MB) // len(_BLOCK), timeout=60)),
        ("foreign Origin", post({"Origin": "http://evil.test"}, b"x")),
        ("no name", post({}, b"x", path="/files-demo/upload")),
        ("a chat that takes no files (/chat/upload)", post({}, b"x", path="/chat/upload?name=a.txt")),
    ]

    async def action(i: int) -> None:
        label, call = cases[i % len(cases)]
        status, body = await call(await key.get())
        tally.count(kind, f"{label}: {status}")
        if i % len(cases) == 0:
            key.check(status, body)
        if status == "201":
            tally.accepted_upload_bytes += len(one_mb)
            try:
                tally.file_ids.append(json.loads(body)["id"])
            except (ValueError, KeyError, TypeError):
                pass

    return action


async def slow_uploads(server: SampleServer, tally: Tally, stop: asyncio.Event, key: IssuedKey) -> None:
    """One byte every SLOW_BYTE_EVERY_S of a 4,000-byte body, again and again (the server drops it)."""
    kind = "(b) slow uploads"
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status, body = await http(server.port, "POST", "/files-demo/upload?name=slow.txt", {"X-Chatbot-Upload-Key": await key.get()},
                                      b"s" * 4000, trickle=SLOW_BYTE_EVERY_S, timeout=120)  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            status, body = f"client: {_outcome(exc)}", b""
        tally.count(kind, f"one byte per {SLOW_BYTE_EVERY_S:g} s: {status}")
        key.check(status, body)
        tally.slow_upload_s.append(time.perf_counter() - started)
        await _pause(stop, 1.0)


# --- (c) the HTTP API -----------------------------------------------------------------------------


def api(server: SampleServer, tally: Tally) -> Callable[[int], Awaitable[None]]:
    kind = "(c) HTTP API"
    path = "/chat/api/chat"
    js = {"Content-Type": "application/json"}
    over = b'{"message": "' + b"a" * (MAX_FRAME_BYTES // 8) + b'"}'  # 8 of these chunked: over max_frame_bytes
    cases: list[tuple[str, Callable[[], Awaitable[tuple[str, bytes]]]]] = [
        ("no credentials, a valid message", lambda: http(server.port, "POST", path, js, b'{"message": "Hello"}', timeout=60)),
        ("junk JSON", lambda: http(server.port, "POST", path, js, b'{"message": "Hel')),
        ("not an object", lambda: http(server.port, "POST", path, js, b"[1, 2, 3]")),
        ("text/plain", lambda: http(server.port, "POST", path, {"Content-Type": "text/plain"}, b'{"message": "Hi"}')),
        ("chunked 1.1 MB (over max_frame_bytes)", lambda: http(server.port, "POST", path, js, over, chunks=9)),
        ("Content-Length 2 MB, no body", lambda: http(server.port, "POST", path, {**js, "Content-Length": str(2 * MB)})),
        ("invented session_id", lambda: http(server.port, "POST", path, js, json.dumps({"message": "Hi", "session_id": _key()}).encode())),
        ("foreign Origin", lambda: http(server.port, "POST", path, {**js, "Origin": "http://evil.test"}, b'{"message": "Hi"}')),
        ("stream dropped after its first bytes", lambda: http(server.port, "POST", path, {**js, "Accept": "text/event-stream"},
                                                              b'{"message": "Write some Python"}', first_bytes_only=True)),
        ("OpenAI endpoint, junk JSON", lambda: http(server.port, "POST", "/chat/v1/chat/completions", js, b"{nope")),
    ]  # fmt: skip

    async def action(i: int) -> None:
        label, call = cases[i % len(cases)]
        status, _ = await call()
        tally.count(kind, f"{label}: {status}")

    return action


# --- (d) many sockets and queued turns from one client --------------------------------------------


def burst(server: SampleServer, tally: Tally) -> Callable[[int], Awaitable[None]]:
    kind = "(d) many sockets, queued turns"

    async def one(mount: str, j: int) -> str:
        ws = await _open(server, mount)
        state = "welcomed"
        try:
            await ws.send(json.dumps({"type": "submit", "id": "q1", "text": f"Is this queued? ({j})"}))
            if j < 2:  # more turns on top of the running one: busy
                for n in range(3):
                    await ws.send(json.dumps({"type": "submit", "id": f"q{n + 2}", "text": "And this?"}))
            seen: collections.Counter[str] = collections.Counter()
            try:
                async with asyncio.timeout(BURST_HOLD_S):
                    while True:
                        kind_, frame = _frame(await ws.recv())
                        if kind_ == "error":
                            seen[f"error {frame.get('code') if frame else '?'}"] += 1
                        elif kind_ == "status" and frame:
                            state = f"closed while {frame.get('state')}"
                        elif kind_ in ("patch", "done"):
                            state = "closed mid-reply"
                        elif kind_ == "idle":
                            state = "reply read to idle"
                            break
            except TimeoutError:
                pass
            for text, n in seen.items():
                tally.count(kind, f"/{mount}: {text}" + (f" x{n}" if n > 1 else ""))
            if state == "welcomed":  # nothing of a reply came
                state = "turn refused" if seen else f"no reply within {BURST_HOLD_S:g} s"
        finally:
            await _close(ws, abort=j % 2 == 1)
        return state

    async def action(i: int) -> None:
        jobs = [one("chat", j) for j in range(BURST_CHAT)] + [one("queue-demo", j) for j in range(BURST_QUEUE)]
        mounts = ["chat"] * BURST_CHAT + ["queue-demo"] * BURST_QUEUE
        for mount, result in zip(mounts, await asyncio.gather(*jobs, return_exceptions=True), strict=False):
            tally.count(kind, f"/{mount}: {result if isinstance(result, str) else 'client: ' + _outcome(result)}")

    return action


# --- (e) hostile frames ---------------------------------------------------------------------------

HOSTILE_FRAMES: tuple[tuple[str, str], ...] = (
    ("garbage", "{not json"),
    ("not an object", "[1, 2, 3]"),
    ("unknown type", '{"type": "launch_missiles"}'),
    ("submit without fields", '{"type": "submit"}'),
    ("bad id", '{"type": "submit", "id": "../../x y", "text": "hi"}'),
    ("duplicate key", '{"type": "stop", "type": "hello"}'),
    ("unknown message", '{"type": "like", "id": "nope", "value": "Like"}'),
    ("unknown key", '{"type": "stop", "why": "because"}'),
    ("over max_frame_bytes", json.dumps({"type": "submit", "id": "x", "text": "y" * (MAX_FRAME_BYTES + 10)})),
)
HUGE_FRAME = json.dumps(
    {"type": "submit", "id": "x", "text": "z" * (4 * MAX_FRAME_BYTES + 10)}
)  # over the layer's limit


def hostile_frames(server: SampleServer, tally: Tally) -> Callable[[int], Awaitable[None]]:
    """One socket: a hostile frame a second, each answer counted; every 60th a frame that closes it (1009)."""
    kind = "(e) hostile frames"
    state: dict[str, Any] = {"ws": None, "reader": None}

    async def read(ws: Any) -> None:
        try:
            async for raw in ws:
                kind_, frame = _frame(raw)
                tally.count(kind, f"answer: {kind_} {frame.get('code') if kind_ == 'error' and frame else ''}".rstrip())
        except ConnectionClosed:
            pass
        tally.count(kind, f"socket closed by the server: {ws.close_code}")

    async def fresh() -> Any:
        ws = await _open(server, "chat", hello=False)
        await ws.send('{"type": "submit", "id": "a", "text": "before hello"}')  # hello_required
        await ws.send('{"type": "hello", "version": 2, "history": []}')  # version
        await ws.send('{"type": "hello", "version": 1, "history": []}')  # welcome
        state["reader"] = asyncio.ensure_future(read(ws))
        return ws

    async def action(i: int) -> None:
        ws = state["ws"]
        if ws is None or ws.close_code is not None:
            ws = state["ws"] = await fresh()
        if i % 60 == 59:
            await ws.send(HUGE_FRAME)
            tally.count(kind, "sent: over the WebSocket layer's limit")
            await asyncio.wait({state["reader"]}, timeout=10)
            return
        if i % 30 == 15:  # a socket that never says hello: closed after hello_timeout
            silent = await _open(server, "chat", hello=False)
            try:
                await asyncio.wait_for(silent.recv(), 15)
            except ConnectionClosed:
                pass
            tally.count(kind, f"no hello: closed {silent.close_code}")
            await _close(silent, abort=True)
            return
        name, text = HOSTILE_FRAMES[i % len(HOSTILE_FRAMES)]
        await ws.send(text)
        tally.count(kind, f"sent: {name}")

    return action


# --- (f) foreign Host / Origin --------------------------------------------------------------------


def foreign(server: SampleServer, tally: Tally) -> Callable[[int], Awaitable[None]]:
    kind = "(f) foreign Host / Origin"
    host = {"Host": f"{FOREIGN_HOST}:{server.port}"}

    async def socket_origin() -> str:
        try:
            ws = await _open(server, "chat", hello=False, origin=f"http://{FOREIGN_HOST}")
        except InvalidStatus as exc:
            return str(exc.response.status_code)
        await _close(ws, abort=True)
        return "101 (accepted)"

    async def get(path: str, headers: dict[str, str] = host) -> str:
        return (await http(server.port, "GET", path, headers, first_bytes_only=True))[0]

    def file_path() -> str:
        return f"/files-demo/files/{tally.file_ids[-1] if tally.file_ids else 'AAAAAAAAAAAAAAAAAAAAAAAA'}"

    cases: list[tuple[str, Callable[[], Awaitable[str]]]] = [
        ("GET /history-demo/history", lambda: get("/history-demo/history")),
        ("GET /history-demo/history/<id>", lambda: get("/history-demo/history/0123456789abcdef")),
        ("GET /files-demo/files/<an uploaded id>", lambda: get(file_path())),
        ("the same with the app's own Host (control)", lambda: get(file_path(), {})),
        ("GET /chat/api/info", lambda: get("/chat/api/info")),
        ("socket handshake, foreign Origin", socket_origin),
    ]

    async def action(i: int) -> None:
        label, call = cases[i % len(cases)]
        tally.count(kind, f"{label}: {await call()}")

    return action


# --- sampling -------------------------------------------------------------------------------------

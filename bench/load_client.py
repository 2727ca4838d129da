"""The load client of ``python -m bench.load``: many conversations as asyncio tasks (websockets).

One conversation: connect (Origin = the server's own), ``hello``, wait for ``welcome``,
``submit`` one message, then time every frame until ``idle``. The arrival clock is
``time.perf_counter()`` (CLOCK_MONOTONIC on Linux: one clock for every process of the
machine), so the records of several client processes merge.

The handshake offers ``permessage-deflate; client_max_window_bits`` exactly as Chromium
does (simple-websocket's server accepts it whenever it is offered), unless
``compression="none"``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

MAX_SIZE = 64 * 1024 * 1024
_PATCH = '{"type":"patch"'  # the server's compact JSON; anything else is parsed


def _connect(url: str, origin: str, compression: str, open_timeout: float) -> Any:
    # The client compresses only two tiny frames: a small memLevel keeps its memory small.
    extensions = (
        [ClientPerMessageDeflateFactory(compress_settings={"memLevel": 1})] if compression == "deflate" else None
    )
    return connect(
        url,
        origin=origin,  # type: ignore[arg-type]
        extensions=extensions,
        compression=None,
        max_size=MAX_SIZE,
        max_queue=None,
        open_timeout=open_timeout,
        ping_interval=None,  # the server pings; the client answers
        close_timeout=5,
        proxy=None,  # loopback only, never through a proxy from the environment
    )


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


async def _until_welcome(ws: Any, rec: dict[str, Any]) -> bool:
    await ws.send(json.dumps({"type": "hello", "version": 1, "history": []}))
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("type") == "welcome":
            rec["t_welcome"] = time.perf_counter()
            rec["welcome"] = frame  # its session, and a multimodal chat's upload_key
            return True
        if frame.get("type") == "error":
            rec["errors"].append(f"error frame before welcome: {frame.get('code')}: {frame.get('message')}"[:200])
            return False


async def conversation(
    rec: dict[str, Any],
    url: str,
    origin: str,
    start_at: float,
    spec: dict[str, Any],
    compression: str,
    open_timeout: float,
) -> None:
    """Fill ``rec`` as the conversation goes (so a cancelled one still tells where it was)."""
    words = int(spec["words"])
    delay = start_at - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
    rec["t_start"] = time.perf_counter()
    rec["phase"] = "connect"
    try:
        async with _connect(url, origin, compression, open_timeout) as ws:
            rec["deflate"] = bool(ws.protocol.extensions)  # did the server accept the offer?
            rec["phase"] = "welcome"
            if not await _until_welcome(ws, rec):
                return
            rec["phase"] = "first token"
            await ws.send(json.dumps({"type": "submit", "id": "u1", "text": json.dumps(spec)}))
            t_submit = rec["t_submit"] = time.perf_counter()
            last: float | None = None
            gaps: list[float] = rec["gaps"]
            frames = 0
            async for raw in ws:
                now = time.perf_counter()
                frames += 1
                rec["frames"] = frames
                if isinstance(raw, str) and raw.startswith(_PATCH):
                    kind, frame = "patch", None
                else:
                    frame = json.loads(raw)
                    kind = frame.get("type")
                if kind in ("patch", "done"):
                    if last is None:
                        rec["ttft"] = now - t_submit
                        rec["phase"] = "streaming"
                    else:
                        gaps.append(now - last)
                    last = now
                    if kind == "done":
                        assert frame is not None
                        content = frame.get("content", "")
                        rec["words"] = len(content.split()) if isinstance(content, str) else -1
                        rec["status"] = frame.get("status")
                elif kind == "error":
                    assert frame is not None
                    rec["errors"].append(f"error frame: {frame.get('code')}: {frame.get('message')}"[:200])
                elif kind == "idle":
                    rec["t_idle"] = now
                    rec["phase"] = "closing"
                    break
            if "t_idle" not in rec:
                code = ws.close_code
                rec["errors"].append(f"closed before idle (close code {code}, while waiting for {rec['phase']})")
            elif rec.get("words") != words:
                got = rec.get("words")
                rec["errors"].append(
                    f"done has {got} words, not {words}" if got is not None else "no done frame before idle"
                )
        rec["phase"] = "closed"
    except asyncio.CancelledError:
        if rec["phase"] == "closing":  # the reply arrived whole; the deadline came during the closing handshake
            rec["close_error"] = "timeout"
        else:
            rec["errors"].append(f"timeout while waiting for {rec['phase']}")
        raise
    except Exception as exc:  # noqa: BLE001 (every failure is a measured error)
        if rec["phase"] == "closing":  # the reply arrived whole; only the closing handshake failed
            rec["close_error"] = _describe(exc)
        else:
            rec["errors"].append(f"{_describe(exc)} (while waiting for {rec['phase']})")


def new_record(i: int) -> dict[str, Any]:
    return {"i": i, "errors": [], "gaps": [], "frames": 0, "phase": "not started"}


async def run_many(
    indices: list[int], n: int, url: str, origin: str, t0: float, ramp: float, spec: dict[str, Any],
    deadline: float, compression: str,
) -> list[dict[str, Any]]:  # fmt: skip
    """Conversations ``indices`` of ``n``: conversation i starts at ``t0 + ramp * i / n``."""
    records = [new_record(i) for i in indices]
    tasks = [
        asyncio.ensure_future(
            conversation(
                rec, url, origin, t0 + ramp * rec["i"] / n, spec, compression, max(1.0, deadline - time.perf_counter())
            )
        )
        for rec in records
    ]
    _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.perf_counter()))
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return records


def client_process(
    conn: Any,
    indices: list[int],
    n: int,
    url: str,
    origin: str,
    ramp: float,
    spec: dict[str, Any],
    timeout: float,
    compression: str,
) -> None:
    """One client process: says ready, receives t0, runs its conversations, sends back records and CPU."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    conn.send("ready")
    t0 = conn.recv()
    cpu0 = time.process_time()
    records = asyncio.run(run_many(indices, n, url, origin, t0, ramp, spec, t0 + timeout, compression))
    cpu = time.process_time() - cpu0
    conn.send({"records": records, "cpu": cpu, "end": time.perf_counter()})
    conn.close()


async def idle_sockets(
    n: int, url: str, origin: str, ramp: float, compression: str, timeout: float
) -> tuple[list[Any], list[str]]:
    """Open ``n`` sockets that say hello, get welcome and then stay open; (open sockets, errors)."""
    t0 = time.perf_counter()
    deadline = t0 + timeout

    async def one(i: int) -> Any:
        delay = t0 + ramp * i / n - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        ws = await _connect(url, origin, compression, max(1.0, deadline - time.perf_counter()))
        ws.deflate = bool(ws.protocol.extensions)
        rec = new_record(i)
        if not await _until_welcome(ws, rec):
            await ws.close()
            raise RuntimeError(rec["errors"][0])
        return ws

    tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
    _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.perf_counter()))
    for task in pending:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    sockets = [r for r in results if not isinstance(r, BaseException)]
    errors = [
        ("timeout" if isinstance(r, asyncio.CancelledError) else _describe(r))
        for r in results
        if isinstance(r, BaseException)
    ]
    return sockets, errors

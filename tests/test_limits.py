"""What one connection may cost: backpressure, rate, hello timeout, one fn, history cap.

These run under threads (``make test``'s first pytest run) and again under gevent's
monkey-patching (tests/gevent_pytest.py), the recommended deployment's model.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import select
import threading
from typing import Any

import websocket
from live import Client, final_text

import flask_chatbot.conversation.reply as reply_module
from flask_chatbot.rendering.renderer import Renderer


def close_code(client: Client) -> int:
    opcode, data = client.ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    return int.from_bytes(data[:2], "big")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_socket_that_never_says_hello_is_closed(serve):
    server = serve(lambda m, h: "ok", hello_timeout=0.3)
    silent = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    assert close_code(silent) == 4001
    silent.close()


def test_a_flood_is_pushed_back_on_its_sender_and_memory_stays_bounded(serve):
    """A client sends 96 MB of frames as fast as it can. The server reads a few frames at
    its rate limit and then stops reading, so the sender's writes block: what it got to
    send is bounded by the kernel's socket buffers (here up to about 36 MB), not by the
    server's memory."""
    # One frame every 10 s: slower than the sender's 2 s of patience, so once the buffers
    # are full a write waits (at a faster rate it would trickle on and never time out).
    server = serve(lambda m, h: f"echo {m}", max_frames_per_second=0.1)
    url = f"ws://127.0.0.1:{server.port}/chat/socket"
    flooder = Client(url)
    assert flooder.hello()["type"] == "welcome"
    before = rss_mb()
    frame = json.dumps({"type": "stop", "pad": "x" * 65_000})  # bad_frame: unknown key
    flooder.ws.sock.settimeout(2)  # a write that waits this long is being pushed back
    sent = 0
    try:
        while sent < 96 * 1024 * 1024:
            flooder.ws.send(frame)
            sent += len(frame)
    except websocket.WebSocketTimeoutException:
        pass
    assert sent < 48 * 1024 * 1024, f"the server read {sent / 2**20:.0f} MB without pushing back"
    assert rss_mb() - before < 40, "the server buffered the flood in memory"

    other = Client(url)  # every other session carries on meanwhile
    other.hello()
    assert list(final_text(other.turn("still fine")).values()) == ["echo still fine"]
    other.close()
    flooder.ws.sock.settimeout(10)
    assert flooder.recv()["code"] == "bad_frame"  # the flooder's own frames are answered, in turn
    flooder.ws.abort()
    flooder.close()  # abort() only shuts the socket


def test_frames_beyond_the_rate_wait_their_turn_and_are_all_answered(connect):
    client = connect(lambda m, h: "ok", max_frames_per_second=20)
    for _ in range(100):  # 4 seconds' worth of burst is 80 frames: the rest wait
        client.send("{")
    answers = [client.recv() for _ in range(100)]
    assert {a["code"] for a in answers} == {"bad_json"}
    assert list(final_text(client.turn("after")).values()) == ["ok"]


def test_submit_and_stop_in_a_loop_never_runs_fn_twice_at_once(connect):
    """The first fn blocks (an upstream that hangs) and is stopped; every later submit
    waits for it to end, and one stopped while waiting never calls fn at all."""
    release = threading.Event()
    lock = threading.Lock()
    running: list[str] = []
    overlaps: list[list[str]] = []
    started: list[str] = []
    seen_history: dict[str, list[dict[str, Any]]] = {}

    def fn(message, history):
        with lock:
            started.append(message)
            running.append(message)
            if len(running) > 1:
                overlaps.append(list(running))
        seen_history[message] = history
        try:
            yield f"{message}: thinking"
            if message == "first":
                release.wait(10)
                yield "first: more"
            yield f"{message}: done"
        finally:
            with lock:
                running.remove(message)

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u0", "text": "first"})
    client.recv_until("patch")
    client.send({"type": "stop"})
    client.recv_until("idle")
    for i in range(1, 11):  # submit and stop while the first fn still hangs
        client.send({"type": "submit", "id": f"u{i}", "text": f"waiting {i}"})
        client.send({"type": "stop"})
        client.recv_until("idle")
    client.send({"type": "submit", "id": "u11", "text": "last"})
    assert client.recv()["message"]["id"] == "u11"  # the echo: the submit was accepted
    release.set()
    frames = client.recv_until("idle")
    assert list(final_text(frames).values()) == ["last: done"]
    assert overlaps == []
    assert started == ["first", "last"]
    assert seen_history["last"][:2] == [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "first: thinking"},
    ]


def test_the_server_keeps_at_most_max_history_messages(connect):
    seen: list[list[dict[str, Any]]] = []

    def fn(message, history):
        seen.append(history)
        return f"re {message}"

    client = connect(fn, max_history=4)
    for i in range(4):
        client.turn(f"q{i}", f"u{i}")
    assert [len(h) for h in seen] == [0, 2, 4, 4]
    assert seen[-1][0] == {"role": "user", "content": "q1"}  # the oldest went first

    # A reconnect resends all the element shows: the server keeps the newest, and goes on.
    shown = [{"id": f"m{i}", "role": "user" if i % 2 == 0 else "assistant", "content": f"c{i}"} for i in range(10)]
    assert client.hello(shown)["type"] == "welcome"
    client.turn("after", "u9")
    assert seen[-1] == [{"role": m["role"], "content": m["content"]} for m in shown[-4:]]


def test_many_async_fns_overlap_on_one_worker(serve):
    """Twenty conversations whose async fns are all mid-reply at once (under gevent
    each reply once ran its own loop on the one OS thread, and all but one failed)."""
    all_waiting = asyncio.Event()
    count = 0

    async def fn(message, history):
        nonlocal count
        yield "thinking"
        count += 1
        if count == 20:
            all_waiting.set()
        await asyncio.wait_for(all_waiting.wait(), 10)
        yield f"echo {message}"

    server = serve(fn, stream_interval=0)
    clients = [Client(f"ws://127.0.0.1:{server.port}/chat/socket") for _ in range(20)]
    for i, client in enumerate(clients):
        client.hello()
        client.send({"type": "submit", "id": "u1", "text": f"c{i}"})
    for i, client in enumerate(clients):
        assert list(final_text(client.recv_until("idle")).values()) == [f"echo c{i}"]
        client.close()


def test_permessage_deflate_is_declined_unless_asked_for(serve):
    """A browser always offers compression; accepting it costs a zlib context per socket."""
    offer = ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"]
    for compression, accepted in ((False, False), (True, True)):
        server = serve(lambda m, h: "ok", websocket_compression=compression)
        client = Client(f"ws://127.0.0.1:{server.port}/chat/socket", header=offer)
        assert ("sec-websocket-extensions" in client.ws.getheaders()) is accepted
        client.close()


def test_a_costly_message_does_not_hold_up_other_conversations(serve, monkeypatch):
    """One socket sends 60,000 characters that take over a second to render; once that
    render has started, another conversation holds turns, and several of them end before
    the costly message is echoed. Under gevent (tests/gevent_pytest.py) this is what keeps
    a render off the hub; a render on the hub would hold every turn until it ended, so not
    one would end first. (How many end first depends on the machine: the render's thread
    and the hub share the GIL, so each turn meanwhile takes tens of milliseconds.)"""
    costly_text = "*a" * 30_000
    started_r, started_w = os.pipe()  # a pipe: the render may run on another OS thread
    original = Renderer.render

    def render(self, text, *, from_user):
        if text == costly_text:
            os.write(started_w, b"!")
        return original(self, text, from_user=from_user)

    monkeypatch.setattr(Renderer, "render", render)
    server = serve(lambda m, h: "ok")
    url = f"ws://127.0.0.1:{server.port}/chat/socket"
    costly, other = Client(url), Client(url)
    costly.hello()
    other.hello()
    costly.send({"type": "submit", "id": "u1", "text": costly_text})
    assert select.select([started_r], [], [], 30)[0], "the costly render did not start"
    ended_first = 0
    for i in range(10):
        assert list(final_text(other.turn("quick", f"q{i}")).values()) == ["ok"]
        if select.select([costly.ws.sock], [], [], 0)[0]:  # the costly message is echoed
            break
        ended_first += 1
    assert ended_first >= 3, f"only {ended_first} turns of another conversation ended during the costly render"
    assert costly.recv()["message"]["id"] == "u1"
    costly.close()
    other.close()
    os.close(started_r)
    os.close(started_w)


def test_patches_are_spread_out_when_many_replies_stream(connect, monkeypatch):
    """Past FULL_RATE_REPLIES replies at once, each waits longer between patches, so a
    worker's CPU is shared rather than exhausted; the end of a reply never waits."""
    go_on = threading.Event()

    def fn(message, history):
        yield f"{message}: first"
        go_on.wait(10)  # until the client has seen the first patch
        yield f"{message}: first and last"

    pauses: list[float] = []
    original = reply_module.Reply._pause

    def pause(self, seconds):
        pauses.append(seconds)
        original(self, seconds)

    monkeypatch.setattr(reply_module.Reply, "_pause", pause)
    client = connect(fn, stream_interval=0.02)

    def turn(text, message_id):
        go_on.clear()
        pauses.clear()
        client.send({"type": "submit", "id": message_id, "text": text})
        frames = client.recv_until("patch")
        go_on.set()
        return frames + client.recv_until("idle"), list(pauses)

    frames, normal = turn("alone", "u1")
    assert normal[0] == 0.02 and list(final_text(frames).values()) == ["alone: first and last"]
    monkeypatch.setattr(reply_module, "FULL_RATE_REPLIES", 1e-6)  # one reply is a crowd: an hour apart
    frames, crowded = turn("crowd", "u2")
    assert crowded[0] >= 3600
    # The hour is not waited out: fn's end ends the pause and the reply is complete.
    assert list(final_text(frames).values()) == ["crowd: first and last"]


def test_a_large_refused_frame_logs_no_traceback(serve, capfd, caplog) -> None:
    """A frame over 64 KiB is parsed off the gevent hub (tests/gevent_pytest.py runs this too);
    its refusal is the client's error, not the server's: no traceback in the log or on stderr
    (gevent's thread pool printed one for every such frame)."""
    server = serve(lambda message, history: "ok", max_frame_bytes=200_000)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.send({"type": "hello", "version": 1, "history": [{"id": "x", "role": "nobody", "content": "a" * 100_000}]})
    assert client.recv()["code"] in ("bad_frame", "invalid")
    client.send("{" + " " * 150_000)  # not JSON
    assert client.recv()["code"] == "bad_json"
    assert client.hello()["type"] == "welcome"  # the connection carries on
    client.close()
    assert "Traceback" not in capfd.readouterr().err and "Traceback" not in caplog.text

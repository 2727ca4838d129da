"""Every socket of a conversation live (issue 20, item 7): two tabs (or a signed-in user's two
devices) on one conversation both show the streaming reply, the feedback and the changes as
they happen, on one worker or two; only a socket that brings the conversation's live key (or
its signed-in owner) may follow it: its id alone is not enough (conversation/channels.py,
shared.py; docs/protocol.md, "Every tab live").

Two live servers of one chat share the host's store folder (its turn and channel logs), as two
gunicorn workers do. fn waits on events the test sets, so each step happens where the test says.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session
from live import Client, LiveServer, app_with_login, cookie_for

from flask_chatbot import chat_bp

WORDS = [f"word{i}" for i in range(30)]
FULL = " ".join(WORDS)


class Gated:
    """fn: 10 words, then waits until the test lets it go, then the rest; each history it got."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.waiting = threading.Event()
        self.histories: list[list[dict[str, Any]]] = []

    def fn(self, message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        self.histories.append(history)
        for i in range(1, len(WORDS) + 1):
            yield " ".join(WORDS[:i])
            if i == 10:
                self.waiting.set()
                self.go.wait(10)


@pytest.fixture
def workers(
    serve_app: Callable[[Flask], LiveServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., list[LiveServer]]:
    """workers(fn, n, **options): ``n`` servers of one chat on one host."""
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "store"))

    def start(fn: Callable[..., Any], n: int = 2, app: Callable[[], Flask] = lambda: Flask(__name__), **options: Any):
        servers = []
        for _ in range(n):
            flask_app = app()
            flask_app.register_blueprint(chat_bp(fn, stream_interval=0.02, **options), url_prefix="/chat")
            servers.append(serve_app(flask_app))
        return servers

    return start


def tab(server: LiveServer, **hello: Any) -> tuple[Client, dict[str, Any]]:
    """A socket that says hello (``hello``: session, live, history...); its welcome."""
    headers = hello.pop("headers", None)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket", raw=True, header=headers or [])
    client.send({"type": "hello", "version": 1, "history": hello.pop("history", []), **hello})
    welcome = client.recv()
    assert welcome["type"] == "welcome", welcome
    return client, welcome


def texts(frames: list[dict[str, Any]]) -> dict[str, str]:
    """Each message's text as an element shows it after ``frames``."""
    shown: dict[str, str] = {}
    for frame in frames:
        if frame["type"] == "message":
            shown[frame["message"]["id"]] = frame["message"]["content"]
        elif frame["type"] == "patch":
            shown[frame["id"]] = shown[frame["id"]][: frame["keep"]] + frame["append"]
        elif frame["type"] == "done":
            shown[frame["id"]] = frame["content"]
        elif frame["type"] == "remove":
            shown.pop(frame["id"], None)
    return shown


def test_a_reply_started_in_one_tab_streams_in_the_other_on_another_worker(
    workers: Callable[..., list[LiveServer]],
) -> None:
    gated = Gated()
    a_server, b_server = workers(gated.fn)
    a, welcome = tab(a_server)
    live = welcome["live"]
    assert len(live) == 32
    b, b_welcome = tab(b_server, session=welcome["session"], live=live)
    assert b_welcome["live"] == live and b_welcome["session"] == welcome["session"]
    a.send({"type": "submit", "id": "u1", "text": "tell me"})
    assert gated.waiting.wait(10)
    # The other tab shows the question, then the reply as it streams, before fn has finished.
    seen = b.recv_until("patch")
    assert seen[0]["type"] == "message" and seen[0]["message"]["role"] == "user"
    assert seen[0]["message"]["content"] == "tell me" and seen[0]["message"]["html"]
    assert [f for f in seen if f["type"] == "turn"], "the other tab follows the turn"
    gated.go.set()
    seen += b.recv_until("idle")
    mine = a.recv_until("idle")
    reply_id = next(f["message"]["id"] for f in mine if f["type"] == "message" and f["message"]["role"] == "assistant")
    assert texts(seen)[reply_id] == texts(mine)[reply_id] == FULL
    # The tab that watched goes on from the same conversation: fn gets the question and the reply once.
    b.send({"type": "submit", "id": "u2", "text": "short"})
    gated.go.set()
    b.recv_until("idle")
    assert [m["content"] for m in gated.histories[-1]] == ["tell me", FULL]
    # And the first tab saw that turn too, question and reply.
    theirs = a.recv_until("idle")
    assert theirs[0]["type"] == "message" and theirs[0]["message"]["content"] == "short"
    assert FULL in texts(theirs).values()


def test_feedback_an_undo_and_a_clear_show_in_the_other_tab(workers: Callable[..., list[LiveServer]]) -> None:
    a_server, b_server = workers(lambda message, history: f"**{message}**", like_user_message=False)
    a, welcome = tab(a_server)
    b, _ = tab(b_server, session=welcome["session"], live=welcome["live"])
    a.send({"type": "submit", "id": "u1", "text": "one"})
    reply = next(f for f in a.recv_until("idle") if f["type"] == "done")
    b.recv_until("idle")
    a.send({"type": "like", "id": reply["id"], "value": "Like"})
    assert b.recv() == {"type": "feedback", "id": reply["id"], "value": "Like"}
    b.send({"type": "like", "id": reply["id"], "value": None})  # taken back in the other tab
    assert a.recv() == {"type": "feedback", "id": reply["id"], "value": None}
    a.send({"type": "undo"})
    a.recv_until("remove")
    gone = [b.recv(), b.recv()]
    assert {f["type"] for f in gone} == {"remove"} and {f["id"] for f in gone} == {"u1", reply["id"]}
    a.send({"type": "submit", "id": "u2", "text": "two"})
    a.recv_until("idle")
    second = {f["message"]["id"] for f in b.recv_until("idle") if f["type"] == "message"}
    b.send({"type": "clear"})
    cleared = [a.recv(), a.recv()]
    assert {f["type"] for f in cleared} == {"remove"} and {f["id"] for f in cleared} == second


def test_the_conversation_id_alone_follows_nothing(workers: Callable[..., list[LiveServer]]) -> None:
    gated = Gated()
    gated.go.set()
    a_server, b_server = workers(gated.fn)
    a, welcome = tab(a_server)
    b, _ = tab(b_server, session=welcome["session"], live=welcome["live"])
    # Another client that knows the conversation's id, with no key or a key of its own making.
    strangers = [
        tab(b_server, session=welcome["session"])[0],
        tab(b_server, session=welcome["session"], live="0" * 32)[0],
    ]
    a.send({"type": "submit", "id": "u1", "text": "secret question"})
    a.recv_until("idle")
    b.recv_until("idle")  # the tab with the key had all of it, through the same worker's reader
    for stranger in strangers:
        stranger.send({"type": "copy", "id": "nothing"})  # the next frame it gets answers this
        answer = stranger.recv()
        assert answer["type"] == "error" and "secret" not in str(answer), answer


@pytest.mark.parametrize("n", [1, 2], ids=["same worker", "another worker"])
def test_a_tab_opened_mid_reply_gets_the_conversation_and_follows_the_reply(
    workers: Callable[..., list[LiveServer]], n: int
) -> None:
    gated = Gated()
    servers = workers(gated.fn, n)
    a_server, b_server = servers[0], servers[-1]
    a, welcome = tab(a_server)
    a.send({"type": "submit", "id": "u1", "text": "tell me"})
    assert gated.waiting.wait(10)
    # Its copy has no question yet; its welcome comes first (tab() checks), then what it missed.
    b, _ = tab(b_server, session=welcome["session"], live=welcome["live"])
    joined = b.recv_until("turn")
    # The conversation as the tab that runs the turn has it, and (if that tab's change reached this
    # worker after the tab joined) the change: either way the question once, then the reply.
    shown: dict[str, str] = {}
    for frame in joined[:-1]:
        if frame["type"] == "conversation":
            shown = {m["id"]: m["content"] for m in frame["messages"]}
        else:
            shown[frame["message"]["id"]] = frame["message"]["content"]
    assert list(shown.values()) == ["tell me"]
    gated.go.set()
    rest = b.recv_until("idle")
    assert FULL in texts(joined + rest).values()


def test_a_signed_in_users_devices_share_a_conversation_without_a_key(
    workers: Callable[..., list[LiveServer]], tmp_path: Path
) -> None:
    [server] = workers(
        lambda message, history: f"re: {message}",
        n=1,
        app=lambda: app_with_login("user"),
        save_history=True,
        history_store=tmp_path / "history.sqlite3",
        history_user=lambda: session.get("user"),
    )
    ada = cookie_for(server.port, "ada")
    phone, welcome = tab(server, headers=[f"Cookie: {ada}"])
    # The laptop opens the same saved conversation by its id, with no key: it is Ada's own.
    laptop, laptop_welcome = tab(
        server, session=welcome["session"], headers=[f"Cookie: {cookie_for(server.port, 'ada')}"]
    )
    assert laptop_welcome["live"] == welcome["live"]
    # Bob names Ada's conversation: another key, another channel.
    _, bobs = tab(server, session=welcome["session"], headers=[f"Cookie: {cookie_for(server.port, 'bob')}"])
    assert bobs["live"] != welcome["live"]
    phone.send({"type": "submit", "id": "u1", "text": "hi"})
    phone.recv_until("idle")
    assert "re: hi" in texts(laptop.recv_until("idle")).values()


@pytest.mark.parametrize("n", [1, 2], ids=["same worker", "another worker"])
def test_a_page_reloaded_just_after_enter_gets_the_reply(workers: Callable[..., list[LiveServer]], n: int) -> None:
    gated = Gated()
    servers = workers(gated.fn, n)
    a, welcome = tab(servers[0])
    a.send({"type": "submit", "id": "u1", "text": "tell me"})
    a.close()  # the page reloads before the turn's first frame came: its hello cannot name the turn
    assert gated.waiting.wait(10)
    question = [{"id": "u1", "role": "user", "content": "tell me"}]
    b, _ = tab(servers[-1], session=welcome["session"], live=welcome["live"], history=question)
    gated.go.set()
    frames = b.recv_until("idle")
    assert [f for f in frames if f["type"] == "turn"], "the reloaded page follows the turn"
    assert FULL in texts(frames).values()
    assert len(gated.histories) == 1, "fn ran once"


def test_edits_show_in_the_other_tab(workers: Callable[..., list[LiveServer]]) -> None:
    a_server, b_server = workers(lambda message, history: f"re: {message}", editable="all")
    a, welcome = tab(a_server)
    b, _ = tab(b_server, session=welcome["session"], live=welcome["live"])
    a.send({"type": "submit", "id": "u1", "text": "one"})
    reply = next(f for f in a.recv_until("idle") if f["type"] == "done")
    b.recv_until("idle")
    a.send({"type": "edit", "id": reply["id"], "text": "a *better* reply"})  # a reply corrected in place
    a.recv()
    corrected = b.recv()
    assert corrected["type"] == "message" and corrected["message"]["id"] == reply["id"]
    assert corrected["message"]["content"] == "a *better* reply" and "<em>better</em>" in corrected["message"]["html"]
    b.send({"type": "edit", "id": "u1", "text": "two", "new_id": "u2"})  # a question asked anew
    b.recv_until("idle")
    frames = a.recv_until("idle")
    assert [f["id"] for f in frames if f["type"] == "remove"] == ["u1", reply["id"]]
    assert list(texts(frames).values()) == ["two", "re: two"]


@pytest.mark.parametrize("n", [1, 2], ids=["same worker", "another worker"])
def test_two_tabs_sending_at_once_run_one_fn_and_the_other_is_told(
    workers: Callable[..., list[LiveServer]], n: int
) -> None:
    running, most = [0], [0]

    def counted(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            yield from gated.fn(message, history)
        finally:
            running[0] -= 1

    gated = Gated()
    servers = workers(counted, n)
    a, welcome = tab(servers[0])
    b, _ = tab(servers[-1], session=welcome["session"], live=welcome["live"])
    a.send({"type": "submit", "id": "ua", "text": "from a"})
    b.send({"type": "submit", "id": "ub", "text": "from b"})  # before a's change can reach it
    assert gated.waiting.wait(10)
    gated.go.set()
    frames = [client.recv_until("idle") for client in (a, b)]
    refused = [f for got in frames for f in got if f["type"] == "error" and f["code"] == "busy"]
    if not refused:  # b's message came once a's turn had ended: its turn runs next, in both tabs
        frames = [got + client.recv_until("idle") for got, client in zip(frames, (a, b), strict=True)]
    else:  # refused (the element gives its text back), saying why
        assert len(refused) == 1 and "another tab" in refused[0]["message"]
    assert most[0] == 1, "one fn at a time in one conversation"
    assert sorted(texts(frames[0]).values()) == sorted(texts(frames[1]).values())  # the same messages
    assert FULL in texts(frames[0]).values()

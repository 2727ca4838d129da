"""Saved history on the server (issue 9, item 3): the SQLite store, each signed-in user's
conversations kept as they change through the socket, and the history routes that list,
open, rename and delete them, for that user only. Real sockets against a live server."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session
from live import Client, LiveServer, app_with_login, cookie_for

from flask_chatbot import OptionsError, chat_bp
from flask_chatbot.stores.history import SQLiteHistoryStore, title_of


def messages(*texts: str) -> list[dict[str, Any]]:
    roles = ("user", "assistant")
    return [{"id": f"m{i}", "role": roles[i % 2], "content": text} for i, text in enumerate(texts)]


def test_the_sqlite_store_keeps_lists_renames_and_forgets(tmp_path: Path) -> None:
    store = SQLiteHistoryStore(tmp_path / "deep" / "history.sqlite3")
    store.save("ada", "a" * 16, messages("What is   WSGI?\nPlease", "An interface."))
    store.save("ada", "b" * 16, messages("Second", "Yes"))
    store.save("bob", "c" * 16, messages("Bob's", "Hi Bob"))
    assert [c["id"] for c in store.list("ada")] == ["b" * 16, "a" * 16]  # newest first
    assert store.get("ada", "a" * 16)["title"] == "What is WSGI? Please"
    assert store.get("ada", "c" * 16) is None  # another user's
    assert store.rename("ada", "a" * 16, "  Servers  ") and store.get("ada", "a" * 16)["title"] == "Servers"
    store.save("ada", "a" * 16, messages("What is WSGI?", "An interface.", "More?", "Sure."))
    renamed = store.get("ada", "a" * 16)
    assert renamed["title"] == "Servers" and len(renamed["messages"]) == 4  # a new turn keeps the new name
    assert store.list("ada")[0]["id"] == "a" * 16  # and makes it the newest
    # A second store on the same file (another worker process) sees all of it.
    assert [c["id"] for c in SQLiteHistoryStore(tmp_path / "deep" / "history.sqlite3").list("ada")] == [
        "a" * 16,
        "b" * 16,
    ]
    store.save("ada", "b" * 16, [])  # emptied: forgotten
    assert not store.delete("ada", "b" * 16) and store.delete("ada", "a" * 16) and store.list("ada") == []
    assert not store.rename("ada", "z" * 16, "nothing")


def test_a_user_keeps_at_most_max_conversations(tmp_path: Path) -> None:
    store = SQLiteHistoryStore(tmp_path / "h.sqlite3", max_conversations=3)
    for n in range(5):
        store.save("ada", f"{n:016x}", messages(f"chat {n}"))
    assert [c["title"] for c in store.list("ada")] == ["chat 4", "chat 3", "chat 2"]


def test_titles_come_from_the_first_text_of_the_user_s() -> None:
    assert (
        title_of(
            [
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": {"component": "image"}},
                {"role": "user", "content": "  Tell me\n about it  "},
            ]
        )
        == "Tell me about it"
    )
    assert title_of(messages("x" * 200)).endswith("…") and len(title_of(messages("x" * 200))) == 80
    assert title_of([]) == ""


@pytest.fixture
def server(tmp_path: Path, serve_app: Any) -> LiveServer:
    app = app_with_login("user")
    app.register_blueprint(
        chat_bp(
            lambda message, history: f"**{message}**?",
            save_history=True,
            history_store=tmp_path / "history.sqlite3",
            history_user=lambda: session.get("user"),
        ),
        url_prefix="/chat",
    )
    return serve_app(app)


def call(
    server: LiveServer, method: str, path: str, cookie: str | None = None, body: Any = None, origin: str | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if cookie:
        headers["Cookie"] = cookie
    if origin:
        headers["Origin"] = origin
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    is_json = response.getheader("Content-Type", "").startswith("application/json")
    return response.status, json.loads(data) if data and is_json else None


def test_a_signed_in_user_s_conversation_is_kept_and_can_be_opened_renamed_and_deleted(server: LiveServer) -> None:
    ada = cookie_for(server.port, "ada")
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket", header=[f"Cookie: {ada}"])
    conversation = client.hello()["session"]
    client.turn("What is Flask?", "u1")  # kept before the turn's idle frame
    status, listed = call(server, "GET", "/chat/history", ada)
    assert status == 200 and [(c["id"], c["title"]) for c in listed["conversations"]] == [
        (conversation, "What is Flask?")
    ]
    status, opened = call(server, "GET", f"/chat/history/{conversation}", ada)
    assert status == 200
    assert [(m["id"], m["role"], m["content"], m["status"]) for m in opened["messages"]] == [
        ("u1", "user", "What is Flask?", "done"),
        (opened["messages"][1]["id"], "assistant", "**What is Flask?**?", "done"),
    ]
    assert opened["messages"][1]["html"] == "<p><strong>What is Flask?</strong>?</p>"  # rendered, sanitized now
    client.turn("And Django?", "u2")
    assert len(call(server, "GET", f"/chat/history/{conversation}", ada)[1]["messages"]) == 4
    client.close()

    assert call(server, "PATCH", f"/chat/history/{conversation}", ada, {"title": "Web frameworks"}) == (
        200,
        {"ok": True},
    )
    assert call(server, "GET", "/chat/history", ada)[1]["conversations"][0]["title"] == "Web frameworks"
    # Another user sees none of it and can change none of it.
    bob = cookie_for(server.port, "bob")
    assert call(server, "GET", "/chat/history", bob) == (200, {"conversations": []})
    assert call(server, "GET", f"/chat/history/{conversation}", bob)[0] == 404
    assert call(server, "DELETE", f"/chat/history/{conversation}", bob)[0] == 404
    assert call(server, "DELETE", f"/chat/history/{conversation}", ada) == (200, {"ok": True})
    assert call(server, "GET", "/chat/history", ada) == (200, {"conversations": []})


def test_the_routes_refuse_what_they_cannot_do(server: LiveServer) -> None:
    ada = cookie_for(server.port, "ada")
    status, body = call(server, "GET", "/chat/history")
    assert status == 401 and body["error"]["code"] == "no_user"
    assert call(server, "GET", "/chat/history/../../etc", ada)[0] == 404
    assert call(server, "GET", "/chat/history/not-an-id", ada)[1]["error"]["code"] == "not_found"
    assert call(server, "PATCH", "/chat/history/" + "a" * 16, ada, {"title": ""})[0] == 400
    assert call(server, "PATCH", "/chat/history/" + "a" * 16, ada, {"title": "x"})[0] == 404
    # Another site's page cannot change a user's history with their cookies.
    assert call(server, "DELETE", "/chat/history/" + "a" * 16, ada, origin="https://evil.example")[0] == 403
    # Nobody signed in: the chat works, nothing is kept.
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.hello()
    assert client.turn("anonymous", "u1")[-2]["content"] == "**anonymous**?"
    client.close()


def test_config_says_whether_the_server_keeps_this_user_s_history(server: LiveServer) -> None:
    assert call(server, "GET", "/chat/config.json")[1]["history_server"] is False
    config = call(server, "GET", "/chat/config.json", cookie_for(server.port, "ada"))[1]
    assert config["save_history"] is True and config["history_server"] is True


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"history_store": "h.sqlite3"}, "set that too"),
        ({"save_history": "yes"}, "save_history must be True or False"),
        ({"save_history": True, "history_user": "ada"}, "history_user must be a function"),
        ({"save_history": True, "history_store": "h.sqlite3"}, "give history_user"),
        ({"save_history": True, "history_store": 42, "history_user": lambda: None}, "history_store must be"),
    ],
)
def test_bad_history_options_are_refused_at_start_up(
    options: dict[str, Any], problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OptionsError, match=problem):
        chat_bp(lambda message, history: message, **options)


def test_a_store_that_cannot_be_made_is_an_options_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OptionsError, match="history_store: cannot use"):
        chat_bp(
            lambda m, h: m, save_history=True, history_store=tmp_path / "file" / "h.sqlite3", history_user=lambda: None
        )


def test_a_multimodal_conversation_goes_on_with_its_files_on_another_device(
    tmp_path: Path, serve_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "uploads"))
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(
            lambda message, history: f"{len(message['files'])} files, {len(history)} before",
            multimodal=True,
            save_history=True,
            history_store=tmp_path / "h.sqlite3",
            history_user=lambda: "ada",
        ),
        url_prefix="/chat",
    )
    server = serve_app(app)
    laptop = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    welcome = laptop.hello()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST",
        "/chat/upload?name=notes.txt",
        body=b"hello",
        headers={"Content-Type": "text/plain", "X-Chatbot-Upload-Key": welcome["upload_key"]},
    )
    uploaded = json.loads(connection.getresponse().read())
    laptop.send({"type": "submit", "id": "u1", "text": "read this", "files": [uploaded["id"]]})
    assert laptop.recv_until("idle")[-2]["content"] == "1 files, 0 before"
    laptop.close()

    status, saved = call(server, "GET", f"/chat/history/{welcome['session']}")
    # A read never carries the upload key (issue 18, item 5): a rebinding page or a leaked
    # response would otherwise hand out the right to name this conversation's files.
    assert status == 200 and "upload_key" not in saved
    assert saved["messages"][0]["content"]["component"] == "file"
    # Another device of the same user resends the conversation: the server finds its key, and
    # its file is still its own.
    phone = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    history = [{k: m[k] for k in ("id", "role", "content")} for m in saved["messages"]]
    phone.send({"type": "hello", "version": 1, "session": welcome["session"], "history": history})
    assert phone.recv()["upload_key"] == welcome["upload_key"]
    phone.send({"type": "retry"})
    assert phone.recv_until("idle")[-2]["content"] == "1 files, 0 before"
    phone.close()


def test_a_later_hello_switches_the_socket_to_another_conversation(serve_app: Any) -> None:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda message, history: f"{len(history)} before"), url_prefix="/chat")
    server = serve_app(app)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    first = client.hello()["session"]
    frames = client.turn("a", "u1")
    shown = [
        {"id": f["message"]["id"], "role": f["message"]["role"], "content": f["message"]["content"]}
        for f in frames
        if f["type"] == "message"
    ]
    shown[-1]["content"] = frames[-2]["content"]
    client.send({"type": "hello", "version": 1, "session": "b" * 16, "history": []})  # a saved chat
    assert client.recv()["session"] == "b" * 16
    client.send({"type": "hello", "version": 1, "history": []})  # a new chat: a new id
    new = client.recv()["session"]
    assert new not in (first, "b" * 16)
    client.send({"type": "hello", "version": 1, "session": first, "history": shown})  # back to the first
    assert client.recv()["session"] == first
    assert client.turn("b", "u2")[-2]["content"] == "2 before"
    client.close()

"""Multimodal chats: the upload route and its limits, ownership of uploads, and what fn gets
(issue 8, items 1, 2 and 7). A real server, real HTTP and a real WebSocket client."""

from __future__ import annotations

import http.client
import json
import select
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from live import Client, wait_until

from flask_chatbot import MultimodalTextbox, OptionsError, chat_bp, validate
from flask_chatbot.files.uploads import KEY_HEADER

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf"
    "c0f01f0005000201a5d0d1e10000000049454e44ae426082"
)


_open: list[Client] = []


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _open:
        _open.pop().close()


def entries(folder: Path) -> list[str]:
    """The names in the upload folder (made on first use)."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(folder))
    return folder


def post(
    port: int,
    body: bytes,
    *,
    name: str | None = "cat.png",
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    query = "" if name is None else "?name=" + name
    sent = {"Content-Type": "application/octet-stream", **(headers or {})}
    if key is not None:
        sent[KEY_HEADER] = key
    connection.request("POST", "/chat/upload" + query, body=body, headers=sent)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data.startswith(b"{") else {"raw": data.decode()}


def recording_bot() -> tuple[Any, list[tuple[Any, list[dict[str, Any]]]]]:
    calls: list[tuple[Any, list[dict[str, Any]]]] = []

    def fn(message, history):
        calls.append((message, history))
        names = [Path(p).name for p in message["files"]]
        return f"got {message['text']!r} with {names}"

    return fn, calls


def open_chat(serve, fn, **options) -> tuple[Any, Client, str]:
    server = serve(fn, multimodal=True, **options)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    _open.append(client)
    welcome = client.hello()
    assert welcome["type"] == "welcome" and len(welcome["upload_key"]) == 32
    return server, client, welcome["upload_key"]


def test_a_multimodal_bot_gets_text_and_the_uploaded_files_and_they_enter_the_history(serve) -> None:
    fn, calls = recording_bot()
    server, client, key = open_chat(serve, fn)
    status, info = post(server.port, PNG, name="cat.png", key=key)
    assert status == 201 and info["name"] == "cat.png" and info["size"] == len(PNG) and info["mime_type"] == "image/png"
    client.send({"type": "submit", "id": "u1", "text": "what is this?", "files": [info["id"]]})
    frames = client.recv_until("idle")
    echoed = [f["message"] for f in frames if f["type"] == "message" and f["message"]["role"] == "user"]
    # As in Gradio: one message per file, then the text's message (with the submit's id).
    assert [m["content"] if isinstance(m["content"], str) else m["content"]["component"] for m in echoed] == [
        "image",
        "what is this?",
    ]
    assert echoed[1]["id"] == "u1" and f"/chat/files/{info['id']}" in echoed[0]["html"]
    message, history = calls[0]
    assert message["text"] == "what is this?" and Path(message["files"][0]).read_bytes() == PNG
    assert Path(message["files"][0]).name == "cat.png" and history == []
    client.send({"type": "submit", "id": "u2", "text": "and now?"})
    client.recv_until("idle")
    second, history = calls[1]
    assert second == {"text": "and now?", "files": []}
    assert history[0]["role"] == "user" and history[0]["content"]["path"] == message["files"][0]
    assert history[0]["content"]["mime_type"] == "image/png" and history[1] == {
        "role": "user",
        "content": "what is this?",
    }


def test_files_alone_make_a_message_and_retry_and_edit_bring_them_back_to_fn(serve) -> None:
    fn, calls = recording_bot()
    server, client, key = open_chat(serve, fn, editable=True)
    first = post(server.port, b"a,b\n1,2\n", name="data.csv", key=key)[1]
    client.send({"type": "submit", "id": "u1", "text": "", "files": [first["id"]]})
    frames = client.recv_until("idle")
    users = [f["message"] for f in frames if f["type"] == "message" and f["message"]["role"] == "user"]
    assert len(users) == 1 and users[0]["id"] == "u1" and users[0]["content"]["component"] == "file"
    assert calls[-1][0]["text"] == "" and len(calls[-1][0]["files"]) == 1
    client.send({"type": "retry"})
    client.recv_until("idle")
    assert calls[-1][0] == calls[0][0] and calls[-1][1] == []
    image = post(server.port, PNG, name="cat.png", key=key)[1]
    client.send({"type": "submit", "id": "u2", "text": "look", "files": [image["id"]]})
    client.recv_until("idle")
    client.send({"type": "edit", "id": "u2", "text": "look again", "new_id": "u3"})
    client.recv_until("idle")
    message, history = calls[-1]
    assert message["text"] == "look again" and [Path(p).name for p in message["files"]] == ["cat.png"]
    assert len(history) == 2  # the first turn (the csv and its reply), not this turn's image


def test_undo_takes_the_turns_files_with_it(serve) -> None:
    fn, _ = recording_bot()
    server, client, key = open_chat(serve, fn)
    image = post(server.port, PNG, name="cat.png", key=key)[1]
    client.send({"type": "submit", "id": "u1", "text": "hi", "files": [image["id"]]})
    frames = client.recv_until("idle")
    file_message = next(f["message"]["id"] for f in frames if f["type"] == "message" and f["message"]["id"] != "u1")
    client.send({"type": "undo"})
    removed = set()
    while len(removed) < 3:
        frame = client.recv()
        assert frame["type"] == "remove"
        removed.add(frame["id"])
    assert file_message in removed and "u1" in removed


def test_a_file_uploaded_with_another_conversations_key_is_refused(serve) -> None:
    fn, calls = recording_bot()
    server, mine, my_key = open_chat(serve, fn)
    other = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    _open.append(other)
    other_key = other.hello()["upload_key"]
    assert other_key != my_key
    theirs = post(server.port, PNG, key=other_key)[1]
    mine.send({"type": "submit", "id": "u1", "text": "steal", "files": [theirs["id"]]})
    refused = mine.recv()
    assert refused["type"] == "error" and refused["code"] == "file_refused" and "not one uploaded" in refused["message"]
    assert calls == []
    # A resent conversation cannot name it either...
    fresh = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    fresh.send(
        {
            "type": "hello",
            "version": 1,
            "upload_key": my_key,
            "history": [{"id": "m1", "role": "user", "content": {"component": "image", "file": {"id": theirs["id"]}}}],
        }
    )
    assert fresh.recv()["code"] == "bad_frame"
    # ...but its owner can, after a reconnect with its key.
    back = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    back.send(
        {
            "type": "hello",
            "version": 1,
            "upload_key": other_key,
            "history": [{"id": "m1", "role": "user", "content": {"component": "image", "file": {"id": theirs["id"]}}}],
        }
    )
    welcome = back.recv()
    assert welcome["type"] == "welcome" and welcome["upload_key"] == other_key
    # A file fn made (no owner) stays a capability, as before.
    mine.turn("still fine", "u2")
    _open.extend([fresh, back])


@pytest.mark.parametrize("file_id", ["A" * 24, "../../../../etc/passwd", "x"])
def test_a_file_id_of_no_upload_is_refused(serve, file_id) -> None:
    fn, calls = recording_bot()
    server, client, key = open_chat(serve, fn)
    client.send({"type": "submit", "id": "u1", "text": "hi", "files": [file_id]})
    refused = client.recv()
    assert refused["type"] == "error" and refused["code"] in ("file_refused", "bad_frame") and calls == []
    client.turn("the conversation goes on", "u2")


def test_file_types_and_file_count_hold_on_the_server(serve) -> None:
    fn, calls = recording_bot()
    server, client, key = open_chat(
        serve, fn, textbox=MultimodalTextbox(file_types=["image", ".pdf"], file_count="single")
    )
    status, body = post(server.port, b"<script>alert(1)</script>", name="page.html", key=key)
    assert status == 415 and body["error"]["code"] == "file_type"
    assert body["error"]["message"] == "'page.html' is not a file this chat takes (it takes images or .pdf files)"
    assert post(server.port, b"%PDF-1.4", name="Report.PDF", key=key)[0] == 201
    a, b = (post(server.port, PNG, name=f"{n}.png", key=key)[1]["id"] for n in "ab")
    client.send({"type": "submit", "id": "u1", "text": "two", "files": [a, b]})
    refused = client.recv()
    assert refused == {
        "type": "error",
        "code": "file_refused",
        "message": "A message may carry one file; this one has 2.",
    }
    client.send({"type": "submit", "id": "u1", "text": "one", "files": [a]})
    client.recv_until("idle")
    assert [len(c[0]["files"]) for c in calls] == [1]


def test_max_file_size_stops_the_upload_while_it_arrives_and_leaves_nothing(serve, upload_dir) -> None:
    fn, _ = recording_bot()
    server, client, key = open_chat(serve, fn, max_file_size="1kb")
    status, body = post(server.port, b"x" * 1025, name="big.txt", key=key)
    assert status == 413 and body["error"]["code"] == "too_large" and "1 KB" in body["error"]["message"]
    assert post(server.port, b"x" * 1024, name="ok.txt", key=key)[0] == 201
    # Chunked, with no Content-Length: counted while it arrives.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST",
        "/chat/upload?name=big.txt",
        body=iter([b"y" * 700, b"y" * 700]),
        headers={KEY_HEADER: key},
        encode_chunked=True,
    )
    response = connection.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"]["code"] == "too_large"
    kept = [n for n in entries(upload_dir) if not n.startswith(".")]
    assert len(kept) == 1 and (upload_dir / kept[0] / "ok.txt").is_file()  # only the file within the limit
    assert not [n for n in entries(upload_dir) if n.startswith(".tmp-")]


def test_a_half_uploaded_file_leaves_nothing_behind(serve, upload_dir) -> None:
    fn, _ = recording_bot()
    server, client, key = open_chat(serve, fn)
    raw = socket.create_connection(("127.0.0.1", server.port))
    raw.sendall(
        f"POST /chat/upload?name=half.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n{KEY_HEADER}: {key}\r\n"
        f"Content-Length: 100000\r\n\r\n".encode()
        + b"z" * 50_000
    )
    wait_until(lambda: any(n.startswith(".tmp-") for n in entries(upload_dir)), "the server is receiving the file")
    raw.shutdown(socket.SHUT_WR)  # the browser cancelled, or the network went: nothing more comes
    answer = http.client.HTTPResponse(raw)
    answer.begin()
    assert answer.status == 400 and json.loads(answer.read())["error"]["code"] == "incomplete"
    raw.close()
    assert not [n for n in entries(upload_dir) if n.startswith(".tmp-")]  # removed before the answer
    assert [n for n in entries(upload_dir) if not n.startswith(".")] == []


@pytest.mark.parametrize(
    ("name", "key", "headers", "status", "code"),
    [
        ("cat.png", None, {}, 403, "upload_key"),
        ("cat.png", "short", {}, 403, "upload_key"),
        ("cat.png", "k" * 32, {}, 403, "upload_key"),  # well formed, but invented: not the server's
        (None, "issued", {}, 400, "bad_request"),
        ("", "issued", {}, 400, "bad_request"),
    ],
)
def test_an_upload_without_a_key_or_a_name_is_refused(serve, name, key, headers, status, code) -> None:
    fn, _ = recording_bot()
    server, client, issued = open_chat(serve, fn)
    got, body = post(server.port, PNG, name=name, key=issued if key == "issued" else key, headers=headers)
    assert (got, body["error"]["code"]) == (status, code)


def test_an_upload_from_another_site_is_refused(serve) -> None:
    fn, _ = recording_bot()
    server, client, key = open_chat(serve, fn)
    status, body = post(server.port, PNG, key=key, headers={"Origin": "https://evil.example"})
    assert status == 403 and "origin" in body["raw"]
    assert post(server.port, PNG, key=key, headers={"Origin": f"http://127.0.0.1:{server.port}"})[0] == 201


def test_an_uploaded_html_or_svg_file_is_never_shown_inline(serve) -> None:
    fn, _ = recording_bot()
    server, client, key = open_chat(serve, fn)
    for name, body in (
        ("x.html", b"<script>alert(1)</script>"),
        ("x.svg", b"<svg onload='alert(1)'/>"),
        ("x.png", b"<script>alert(1)</script>"),
    ):
        info = post(server.port, body, name=name, key=key, headers={"Content-Type": "text/html"})[1]
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", f"/chat/files/{info['id']}")
        response = connection.getresponse()
        response.read()
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        if name == "x.png":  # the type comes from the name, never the client: no HTML runs
            assert response.getheader("Content-Type") == "image/png"
        else:
            assert response.getheader("Content-Disposition").startswith("attachment")


def test_the_upload_route_exists_only_for_multimodal_chats(serve) -> None:
    server = serve(lambda m, h: m)
    assert post(server.port, PNG, key="k" * 32)[0] == 405 or post(server.port, PNG, key="k" * 32)[0] == 404
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    _open.append(client)
    assert "upload_key" not in client.hello()
    client.send({"type": "submit", "id": "u1", "text": "hi", "files": ["A" * 24]})
    assert client.recv()["code"] == "bad_frame"


def test_a_validator_gets_the_multimodal_value(serve) -> None:
    seen = []

    def validator(message):
        seen.append(message)
        return validate(bool(message["files"]), "Attach a picture.")

    fn, calls = recording_bot()
    server, client, key = open_chat(serve, fn, validator=validator)
    client.send({"type": "submit", "id": "u1", "text": "no picture"})
    assert client.recv() == {"type": "error", "code": "invalid", "message": "Attach a picture."}
    assert seen == [{"text": "no picture", "files": []}] and calls == []


def test_config_tells_the_element_the_file_rules(serve) -> None:
    server = serve(
        lambda m, h: "",
        multimodal=True,
        file_types=["audio", ".pdf"],
        max_file_size="2mb",
        sources=["upload", "microphone"],
    )
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/chat/config.json")
    config = json.loads(connection.getresponse().read())
    assert config["multimodal"] is True and config["upload"] == "/chat/upload"
    assert config["file_accept"] == "audio/*,.pdf" and config["file_types_text"] == "audio or .pdf files"
    assert config["max_file_size"] == 2 * 1024 * 1024 and config["max_files"] == 10
    assert config["max_plain_text_length"] == 1000 and config["sources"] == ["upload", "microphone"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"file_types": "image"}, "file_types must be a list"),
        ({"file_types": ["pictures"]}, "file_types entries are"),
        ({"file_count": "directory"}, "file_count must be 'single' or 'multiple'"),
        ({"max_file_size": "5 parsecs"}, "max_file_size must be"),
        ({"delete_cache": 3600}, "delete_cache must be (frequency, age)"),
        ({"sources": ["webcam"]}, "sources must be a list"),
        ({"multimodal": False, "textbox": MultimodalTextbox()}, "multimodal=False"),
    ],
)
def test_wrong_file_options_say_what_to_change(options, message) -> None:
    with pytest.raises(OptionsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        chat_bp(lambda m, h: "", **options)


def test_delete_cache_removes_old_files(serve, upload_dir) -> None:
    fn, _ = recording_bot()
    server, client, key = open_chat(serve, fn, delete_cache=(0.05, 0.2))
    info = post(server.port, PNG, key=key)[1]
    assert (upload_dir / info["id"]).is_dir()
    wait_until(lambda: not (upload_dir / info["id"]).exists(), "delete_cache removes the old file")


def test_examples_with_files_need_a_multimodal_chat_and_files_that_exist(tmp_path) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    with pytest.raises(OptionsError, match="examples with files need a multimodal chat"):
        chat_bp(lambda m, h: "", examples=[{"text": "look", "files": [str(picture)]}])
    with pytest.raises(OptionsError, match="examples: cannot use"):
        chat_bp(lambda m, h: "", multimodal=True, examples=[{"text": "look", "files": [str(tmp_path / "gone.png")]}])
    chat_bp(lambda m, h: "", multimodal=True, examples=[{"files": [picture]}])  # files alone, a Path


def test_an_example_s_files_come_from_the_server_never_from_the_frame(serve, tmp_path) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    fn, calls = recording_bot()
    server, client, key = open_chat(serve, fn, examples=[{"text": "look", "files": [str(picture)]}])
    mine = post(server.port, PNG, name="mine.png", key=key)[1]
    client.send({"type": "submit", "id": "u1", "text": "look", "example": 0, "files": [mine["id"]]})
    assert client.recv()["code"] == "bad_frame"
    client.send({"type": "submit", "id": "u1", "text": "look", "example": 0})
    client.recv_until("idle")
    assert [Path(p).name for p in calls[0][0]["files"]] == ["cat.png"]


def test_a_body_that_stalls_is_dropped_after_the_idle_timeout(serve, upload_dir) -> None:
    fn, _ = recording_bot()
    server, client, key = open_chat(serve, fn, upload_idle_timeout=0.5)
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    raw.sendall(
        f"POST /chat/upload?name=stuck.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n{KEY_HEADER}: {key}\r\n"
        f"Content-Length: 1000\r\n\r\n".encode()
        + b"z" * 10
    )  # ...and nothing more: a client that stopped sending, or never meant to
    answer = http.client.HTTPResponse(raw)
    answer.begin()
    assert answer.status == 400 and json.loads(answer.read())["error"]["code"] == "incomplete"
    raw.close()
    assert [n for n in entries(upload_dir) if not n.startswith(".")] == []
    assert post(server.port, PNG, key=key)[0] == 201  # the route serves others meanwhile and after


def test_a_body_that_trickles_inside_the_idle_timeout_is_dropped_all_the_same(serve, upload_dir) -> None:
    fn, _ = recording_bot()
    server, client, key = open_chat(serve, fn, upload_idle_timeout=0.5)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(
            f"POST /chat/upload?name=drip.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n{KEY_HEADER}: {key}\r\n"
            f"Content-Length: 2000\r\n\r\n".encode()
        )
        started = time.monotonic()
        for _ in range(100):  # a byte every 0.2 s, each well inside the idle timeout, until the server answers
            raw.sendall(b"z")
            if select.select([raw], [], [], 0.2)[0]:
                break
        answer = http.client.HTTPResponse(raw)
        answer.begin()
        assert answer.status == 400 and json.loads(answer.read())["error"]["code"] == "incomplete"
        # Within its deadline (0.5 s + 2,000 bytes at the minimum rate), not the trickle's 400 s.
        assert time.monotonic() - started < 5
    assert [n for n in entries(upload_dir) if not n.startswith(".")] == []
    assert post(server.port, PNG, key=key)[0] == 201


def test_an_upload_without_a_body_is_refused(serve) -> None:
    fn, _ = recording_bot()
    server, client, key = open_chat(serve, fn)
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    raw.sendall(f"POST /chat/upload?name=empty.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n{KEY_HEADER}: {key}\r\n\r\n".encode())
    answer = http.client.HTTPResponse(raw)
    answer.begin()
    assert answer.status == 411 and "Content-Length" in json.loads(answer.read())["error"]["message"]
    raw.close()
    assert post(server.port, b"", name="empty.txt", key=key)[0] == 201  # an empty file is a file


def test_a_resent_conversation_cannot_put_more_or_other_files_into_a_retry(serve) -> None:
    fn, calls = recording_bot()
    server, client, key = open_chat(serve, fn, file_count="single")
    mine = [post(server.port, PNG, name=f"{n}.png", key=key)[1] for n in "abc"]
    client.send({"type": "submit", "id": "u0", "text": "make one", "files": [mine[0]["id"]]})
    client.recv_until("idle")
    history = [
        {"id": f"f{i}", "role": "user", "content": {"component": "image", "file": {"id": m["id"]}}}
        for i, m in enumerate(mine)
    ]
    history.append({"id": "t1", "role": "user", "content": "three at once?"})
    fresh = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    _open.append(fresh)
    fresh.send({"type": "hello", "version": 1, "upload_key": key, "history": history})
    assert fresh.recv()["type"] == "welcome"
    fresh.send({"type": "retry"})
    fresh.recv_until("idle")
    assert [Path(p).name for p in calls[-1][0]["files"]] == ["c.png"]  # file_count="single": one, the last


def test_a_file_fn_made_is_not_the_readers_attachment_on_retry(serve, tmp_path) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    calls = []

    def fn(message, history):
        calls.append(message)
        return {"path": str(chart)} if message["text"] == "draw" else "ok"

    server, client, key = open_chat(serve, fn)
    frames = client.turn("draw")
    made = next(f["content"] for f in frames if f["type"] == "done")
    fresh = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    _open.append(fresh)
    fresh.send(
        {
            "type": "hello",
            "version": 1,
            "upload_key": key,
            "history": [
                {"id": "f1", "role": "user", "content": made},
                {"id": "t1", "role": "user", "content": "what is this?"},
            ],
        }
    )
    assert fresh.recv()["type"] == "welcome"
    fresh.send({"type": "retry"})
    fresh.recv_until("idle")
    assert calls[-1] == {"text": "what is this?", "files": []}


def test_retry_after_a_failed_turn_of_files_does_not_take_them_into_the_next(serve) -> None:
    calls = []

    def fn(message, history):
        calls.append(message)
        if not message["text"]:
            raise RuntimeError("no reply to files alone")
        return "ok"

    server, client, key = open_chat(serve, fn)
    picture = post(server.port, PNG, name="cat.png", key=key)[1]
    client.send({"type": "submit", "id": "u1", "text": "", "files": [picture["id"]]})
    assert [f for f in client.recv_until("idle") if f["type"] == "error"][0]["code"] == "fn_error"
    client.send({"type": "submit", "id": "u2", "text": "hello"})
    client.recv_until("idle")
    client.send({"type": "retry"})
    client.recv_until("idle")
    assert calls[1] == calls[2] == {"text": "hello", "files": []}
    client.send({"type": "undo"})
    removed = {client.recv()["id"] for _ in range(2)}
    assert removed == {"u2", next(iter(removed - {"u2"}))} and "u1" not in removed  # the reply and u2 only

"""What one client may upload (issue 18, item 3): keys only the server issued, quotas per upload
key and per client address shared by every worker of the store, a floor of free disk, and a
default lifetime for the readers' uploads. Real servers, real HTTP and WebSocket clients."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from live import Client, wait_until

from flask_chatbot import OptionsError, chat_bp
from flask_chatbot.files.uploads import KEY_HEADER


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(folder))
    return folder


def files_in(folder: Path) -> list[str]:
    """The stored files (folders named by id), not the store's own records."""
    return (
        sorted(
            p.name
            for p in folder.iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name != "cached-examples"
        )
        if folder.exists()
        else []
    )


def post(port: int, body: bytes, key: str, name: str = "notes.txt") -> tuple[int, dict[str, str], dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        "POST", f"/chat/upload?name={name}", body=body, headers={KEY_HEADER: key, "Content-Type": "text/plain"}
    )
    response = connection.getresponse()
    data = json.loads(response.read())
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def new_key(port: int) -> str:
    """A conversation's upload key, as the element gets it: from the socket's welcome."""
    client = Client(f"ws://127.0.0.1:{port}/chat/socket")
    key = client.hello()["upload_key"]
    client.close()
    return key


def chat_app(**options: Any) -> Flask:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(lambda message, history: f"{len(message['files'])} files", multimodal=True, **options),
        url_prefix="/chat",
    )
    return app


def test_a_key_the_server_did_not_issue_is_refused_and_an_issued_one_works(serve_app, upload_dir) -> None:
    server = serve_app(chat_app())
    issued = new_key(server.port)
    # Well formed, the length of a real key, even a real key with one character changed.
    forged = issued[:-1] + ("A" if issued[-1] != "A" else "B")
    for key in ("a" * 32, forged, issued[16:] + issued[:16]):
        status, _, body = post(server.port, b"hello", key)
        assert status == 403 and body["error"]["code"] == "upload_key"
    assert files_in(upload_dir) == []
    assert post(server.port, b"hello", issued)[0] == 201
    # A hello bringing an invented key gets a key of the server's instead.
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.send({"type": "hello", "version": 1, "history": [], "upload_key": "a" * 32})
    given = client.recv()["upload_key"]
    assert given != "a" * 32 and post(server.port, b"hello", given)[0] == 201


def test_a_conversation_s_quota_stops_it_and_leaves_others_served(serve_app, upload_dir) -> None:
    server = serve_app(chat_app(upload_quota=("1kb", 3), upload_quota_window=600))
    key = new_key(server.port)
    for _ in range(3):
        assert post(server.port, b"x" * 100, key)[0] == 201
    status, headers, body = post(server.port, b"x" * 100, key)
    assert status == 429 and body["error"]["code"] == "quota" and "3 files" in body["error"]["message"]
    assert 0 < int(headers["retry-after"]) <= 601
    assert len(files_in(upload_dir)) == 3  # nothing of the refused one was kept
    # Bytes count as well as files: 1 KB is spent by one large file.
    other = new_key(server.port)
    assert post(server.port, b"x" * 1000, other)[0] == 201
    assert post(server.port, b"x" * 100, other)[0] == 429
    # Another reader's conversation is served as before.
    assert post(server.port, b"x" * 100, new_key(server.port))[0] == 201


def test_an_address_s_quota_holds_across_its_conversations_and_every_worker_of_the_store(serve_app, upload_dir) -> None:
    # Two apps on one store folder stand for two workers (or two hosts on a shared folder).
    options = {"upload_quota": None, "upload_quota_per_address": ("10mb", 4)}
    first, second = serve_app(chat_app(**options)), serve_app(chat_app(**options))
    # Keys are the store's, so either worker takes the other's keys.
    assert post(second.port, b"a", new_key(first.port))[0] == 201
    assert post(first.port, b"b", new_key(second.port))[0] == 201
    assert post(second.port, b"c", new_key(second.port))[0] == 201
    assert post(first.port, b"d", new_key(first.port))[0] == 201
    for server in (first, second):
        status, _, body = post(server.port, b"e", new_key(server.port))
        assert status == 429 and "your address" in body["error"]["message"].lower()


def test_uploads_sent_at_once_cannot_all_slip_under_the_quota(serve_app, upload_dir) -> None:
    server = serve_app(chat_app(upload_quota=("10mb", 3)))
    key = new_key(server.port)
    statuses: list[int] = []
    start = threading.Barrier(8)

    def send() -> None:
        start.wait()
        statuses.append(post(server.port, b"y" * 50_000, key)[0])

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [201, 201, 201, 429, 429, 429, 429, 429]
    assert len(files_in(upload_dir)) == 3


def test_uploads_stop_short_of_a_full_disk(serve_app, upload_dir) -> None:
    server = serve_app(chat_app(min_free_disk="1000tb"))
    status, _, body = post(server.port, b"hello", new_key(server.port))
    assert status == 507 and body["error"]["code"] == "disk_full"
    assert files_in(upload_dir) == []


def test_an_upload_that_fails_does_not_spend_the_quota(serve_app, upload_dir) -> None:
    server = serve_app(chat_app(upload_quota=("1mb", 1), max_file_size="1kb"))
    key = new_key(server.port)
    # Sent chunked, its size is learnt while reading: it reserves max_file_size, then fails.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST",
        "/chat/upload?name=big.txt",
        body=iter([b"x" * 600, b"x" * 600]),
        encode_chunked=True,
        headers={KEY_HEADER: key, "Content-Type": "text/plain"},
    )
    response = connection.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"]["code"] == "too_large"
    connection.close()
    assert post(server.port, b"hello", key)[0] == 201  # the one file the quota allows
    assert post(server.port, b"hello", key)[0] == 429


def test_readers_uploads_go_after_their_lifetime_and_fn_s_files_stay(serve_app, upload_dir, tmp_path) -> None:
    made = tmp_path / "chart.txt"
    made.write_text("fn's own file")

    def fn(message: dict[str, Any], history: list[Any]) -> Any:
        return {"path": str(made)}

    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(fn, multimodal=True, upload_lifetime=0.4, allowed_paths=[str(tmp_path)]), url_prefix="/chat"
    )
    server = serve_app(app)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    key = client.hello()["upload_key"]
    status, _, uploaded = post(server.port, b"the reader's", key)
    assert status == 201
    client.send({"type": "submit", "id": "u1", "text": "hi", "files": [uploaded["id"]]})
    client.recv_until("idle")
    assert uploaded["id"] in files_in(upload_dir) and len(files_in(upload_dir)) == 2
    wait_until(lambda: uploaded["id"] not in files_in(upload_dir), "the upload is past its lifetime and gone")
    assert len(files_in(upload_dir)) == 1  # fn's file is kept


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"upload_quota": "1gb"}, "upload_quota must be"),
        ({"upload_quota": ("1gb", 0)}, "file count"),
        ({"upload_quota_per_address": ("lots", 5)}, "upload_quota_per_address"),
        ({"upload_quota_window": 0}, "upload_quota_window"),
        ({"min_free_disk": "plenty"}, "min_free_disk"),
        ({"upload_lifetime": -1}, "upload_lifetime"),
    ],
)
def test_bad_quota_options_are_refused_at_start_up(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(OptionsError, match=problem):
        chat_bp(lambda message, history: message, multimodal=True, **options)


def test_files_sent_through_the_apis_count_in_the_same_quotas_and_a_refused_call_keeps_none(
    serve_app, upload_dir
) -> None:
    import base64

    server = serve_app(
        chat_app(
            upload_quota=None,
            upload_quota_per_address=("10mb", 2),
            openai_compatible=True,
            validator=lambda message: message["text"] != "refuse",
        )
    )
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"x" * 100).decode()

    def api(text: str, **extra: Any) -> tuple[int, dict[str, Any]]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        body = {"message": {"text": text, "files": [{"name": "a.png", "data": png}]}, **extra}
        connection.request(
            "POST", "/chat/api/chat", body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
        return response.status, answer

    # A refused call keeps nothing: by the validator, or for a session it may not go on with.
    assert api("refuse")[0] == 422
    assert api("hi", session_id="A" * 32)[0] == 404
    assert files_in(upload_dir) == []
    assert api("hi")[0] == 200
    # The OpenAI endpoint's images count in the same address's quota as the API's files.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}
    connection.request(
        "POST",
        "/chat/v1/chat/completions",
        headers={"Content-Type": "application/json"},
        body=json.dumps(
            {"model": "chat", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, image]}]}
        ),
    )
    assert connection.getresponse().status == 200
    connection.close()
    status, answer = api("one too many")
    assert status == 429 and answer["error"]["code"] == "quota"
    assert len(files_in(upload_dir)) == 2
    # An upload of the page counts there too: the address has used its two files.
    assert post(server.port, b"x", new_key(server.port))[0] == 429


def test_uploads_under_way_count_against_the_disk_floor(serve_app, upload_dir) -> None:
    import shutil

    upload_dir.mkdir(parents=True, exist_ok=True)
    headroom = 3 * 1024 * 1024
    floor = shutil.disk_usage(upload_dir).free - headroom
    server = serve_app(chat_app(min_free_disk=floor, upload_quota=None, upload_quota_per_address=None))
    key = new_key(server.port)
    statuses: list[int] = []
    start = threading.Barrier(8)

    def send() -> None:
        start.wait()
        statuses.append(post(server.port, b"z" * 1_500_000, key)[0])

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # 3 MB of room over the floor takes two 1.5 MB files, however many start at once.
    assert statuses.count(201) <= 2 and set(statuses) <= {201, 507}, statuses

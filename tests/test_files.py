"""The file store (flask_chatbot/files/store.py): files kept by id, served safely, shared by processes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live import Client
from werkzeug.exceptions import NotFound

from flask_chatbot.files.store import (
    FILE_ID,
    HTML_REPR,
    FileIncomplete,
    FileRefused,
    FileStore,
    FileStoreError,
    FileTooLarge,
    file_view,
)


@pytest.fixture
def client(store: FileStore) -> FlaskClient:
    app = Flask(__name__)
    app.add_url_rule("/files/<file_id>", view_func=file_view(store))
    return app.test_client()


def write(path: Path, data: bytes = b"data") -> Path:
    path.write_bytes(data)
    return path


def entries(store: FileStore) -> list[str]:
    return sorted(os.listdir(store.root))


# -- storing -----------------------------------------------------------------------------


def test_a_copied_file_is_served_by_its_id_and_keeps_its_content(
    store: FileStore, client: FlaskClient, tmp_path: Path
) -> None:
    source = write(tmp_path / "notes.txt", b"first version")
    stored = store.add_path(source)
    source.write_bytes(b"changed after the copy")

    assert FILE_ID.fullmatch(stored.id)
    assert (stored.name, stored.size, stored.mime_type) == ("notes.txt", 13, "text/plain")
    assert stored.path.name == "notes.txt" and stored.path.parent.parent == store.root
    response = client.get(f"/files/{stored.id}")
    assert response.status_code == 200
    assert response.data == b"first version"


def test_ids_are_unguessable_and_distinct(store: FileStore, tmp_path: Path) -> None:
    ids = {store.add_bytes(str(i).encode(), name="n.txt").id for i in range(50)}
    assert len(ids) == 50
    assert all(FILE_ID.fullmatch(i) for i in ids)


def test_only_ids_are_looked_up_never_paths(store: FileStore, client: FlaskClient, tmp_path: Path) -> None:
    real = store.add_bytes(b"real", name="real.txt")
    # A complete, valid-looking store entry just outside the root: a traversal that
    # reached it would serve it.
    outside_id = "A" * 24
    outside = tmp_path / outside_id
    outside.mkdir()
    write(outside / "secret.txt", b"secret")
    (outside / ".meta.json").write_text(
        json.dumps(
            {
                "name": "secret.txt",
                "file": "secret.txt",
                "size": 6,
                "mime_type": "text/plain",
                "kind": "file",
                "created": 0,
            }
        )
    )
    attempts = [
        f"../{outside_id}",
        f"..%2F{outside_id}",
        f"..%252F{outside_id}",
        str(outside),
        "%2e%2e",
        "..",
        f"{real.id}/../{real.id}",
        f"{real.id}.",
        f" {real.id}",
        real.id[:-1],
        real.id + "A",
        "B" * 24,
        f"{real.id}%00",
        str(real.path),
        "/etc/passwd",
        "..\\..\\etc\\passwd",
    ]
    for attempt in attempts:
        assert store.get(attempt) is None, attempt
        response = client.get(f"/files/{attempt}")
        assert response.status_code == 404, attempt
        assert b"secret" not in response.data
    for attempt in (f"../{outside_id}", str(outside), outside_id + "/../" + outside_id):
        with pytest.raises(NotFound):
            store.response(attempt)
    assert client.get(f"/files/{real.id}").data == b"real"


def test_a_tampered_sidecar_cannot_point_outside_the_file_folder(
    store: FileStore, client: FlaskClient, tmp_path: Path
) -> None:
    write(tmp_path / "secret.txt", b"secret")
    stored = store.add_bytes(b"x", name="x.txt")
    meta_path = stored.path.parent / ".meta.json"
    meta = json.loads(meta_path.read_text())
    for blob in ("../../secret.txt", "/etc/passwd", "..", ".meta.json"):
        meta["file"] = blob
        meta_path.write_text(json.dumps(meta))
        assert store.get(stored.id) is None
        assert client.get(f"/files/{stored.id}").status_code == 404


def test_repeated_yields_of_an_unchanged_file_copy_it_once(store: FileStore, tmp_path: Path) -> None:
    image = write(tmp_path / "frame.png", b"\x89PNG one")
    ids = {store.add_path(image).id for _ in range(50)}
    assert len(ids) == 1
    assert len(entries(store)) == 1

    image.write_bytes(b"\x89PNG two, longer")  # changed: a new copy with the new bytes
    changed = store.add_path(image)
    assert changed.id not in ids
    assert changed.path.read_bytes() == b"\x89PNG two, longer"
    assert len(entries(store)) == 2


def test_the_same_bytes_are_stored_once(store: FileStore) -> None:
    first = store.add_bytes(b"\x89PNG chart", name="plot.png", mime_type="image/png")
    again = store.add_bytes(b"\x89PNG chart", name="plot.png", mime_type="image/png")
    other = store.add_bytes(b"\x89PNG other", name="plot.png", mime_type="image/png")
    assert first.id == again.id != other.id
    assert len(entries(store)) == 2


def test_a_deleted_file_is_copied_again_not_served_from_memory(store: FileStore, tmp_path: Path) -> None:
    image = write(tmp_path / "frame.png")
    first = store.add_path(image)
    assert store.delete(first.id)
    second = store.add_path(image)
    assert second.id != first.id and store.get(second.id) is not None


def test_a_path_in_the_store_is_the_stored_file_not_a_copy(store: FileStore, tmp_path: Path) -> None:
    upload = store.add_path(write(tmp_path / "photo.jpg"))
    echoed = store.add_path(str(upload.path))
    assert echoed == upload
    assert len(entries(store)) == 1


def test_a_file_over_the_limit_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store", max_bytes=1000)
    with pytest.raises(FileTooLarge):
        store.add_path(write(tmp_path / "big.bin", b"x" * 1001))
    with pytest.raises(FileTooLarge):
        store.add_bytes(b"x" * 1001, name="big.bin")
    assert store.add_bytes(b"x" * 1000, name="fits.bin").size == 1000
    assert len(entries(store)) == 1  # no half-written file, no temporary folder


class _Endless(io.RawIOBase):
    """A stream that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        buffer[:] = b"\0" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def test_a_stream_is_cut_off_while_it_is_received(store: FileStore) -> None:
    endless = _Endless()
    with pytest.raises(FileTooLarge):
        store.add_stream(io.BufferedReader(endless), name="upload.bin", max_bytes=2 * 1024 * 1024)
    assert endless.read_bytes < 4 * 1024 * 1024
    assert entries(store) == []


def test_only_regular_files_are_copied(store: FileStore, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileRefused):  # must not hang waiting for a writer
        store.add_path(fifo)
    with pytest.raises(FileRefused):
        store.add_path(tmp_path)
    with pytest.raises(FileNotFoundError):
        store.add_path(tmp_path / "missing.png")


def test_allowed_paths_limit_where_files_come_from(tmp_path: Path) -> None:
    allowed = tmp_path / "outputs"
    allowed.mkdir()
    store = FileStore(tmp_path / "store", allowed_paths=[allowed])
    assert store.add_path(write(allowed / "ok.png")).name == "ok.png"
    with pytest.raises(FileRefused):
        store.add_path(write(tmp_path / "elsewhere.png"))
    os.symlink(tmp_path / "elsewhere.png", allowed / "link.png")
    with pytest.raises(FileRefused, match=r"outside .*chat_bp\(fn, allowed_paths=\[\.\.\.\]\)"):
        store.add_path(allowed / "link.png")  # a link inside pointing outside


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with the secrets a project folder (or a home folder) holds."""
    folder = tmp_path / "project"
    for secret in (".env", ".git/config", "home/.ssh/id_rsa", "home/.ssh/.old/id_rsa", "out/.cache/x.png"):
        (folder / secret).parent.mkdir(parents=True, exist_ok=True)
        write(folder / secret, b"SECRET")
    write(folder / "out" / "chart.v2.png")
    monkeypatch.chdir(folder)
    return folder


def test_hidden_paths_below_the_allowed_folders_are_refused(tmp_path: Path, project: Path) -> None:
    # What chat_bp passes by default, as Gradio allows: the working and the temporary directory.
    store = FileStore(tmp_path / "store", allowed_paths=(os.getcwd(), tempfile.gettempdir()))
    for secret in (".env", ".git/config", "home/.ssh/id_rsa", "out/.cache/x.png"):
        with pytest.raises(FileRefused, match=r"hidden .*chat_bp\(fn, allowed_paths=\[\.\.\.\]\)") as refused:
            store.add_path(secret)
        assert repr(secret) in str(refused.value)
        with pytest.raises(FileRefused):
            store.add_path(project / secret)  # absolute or relative, the same
    assert store.add_path("out/chart.v2.png").name == "chart.v2.png"  # a dot inside a name is no secret
    assert len(entries(store)) == 1


def test_a_hidden_path_is_sent_once_listed_itself_or_by_its_hidden_folder(tmp_path: Path, project: Path) -> None:
    store = FileStore(
        tmp_path / "store",
        allowed_paths=(
            os.getcwd(),
            tempfile.gettempdir(),
            project / ".env",
            project / "home" / ".ssh",
            project / "out" / ".cache",
        ),
    )
    assert store.add_path(".env").path.read_bytes() == b"SECRET"
    assert store.add_path("home/.ssh/id_rsa").name == "id_rsa"
    assert store.add_path("out/.cache/x.png").name == "x.png"
    for still_hidden in (".git/config", "home/.ssh/.old/id_rsa"):  # hidden below what was listed
        with pytest.raises(FileRefused, match="hidden"):
            store.add_path(still_hidden)


def test_links_and_dot_dots_do_not_get_round_the_hidden_rule(tmp_path: Path, project: Path) -> None:
    store = FileStore(tmp_path / "store", allowed_paths=(os.getcwd(), tempfile.gettempdir()))
    os.symlink(project / ".env", project / "out" / "report.txt")
    for disguised in ("out/report.txt", "out/../.env", "./.git/../.git/config"):
        with pytest.raises(FileRefused, match="hidden"):
            store.add_path(disguised)
    # A link from a hidden name to a plain file sends the plain file: nothing hidden is read.
    os.symlink(project / "out" / "chart.v2.png", project / ".chart.png")
    assert store.add_path(".chart.png").path.read_bytes() == b"data"


def test_names_are_cleaned_of_folders_and_control_characters(store: FileStore) -> None:
    stored = store.add_bytes(b"x", name="../../etc/re\u202eport\nfile.txt")
    assert stored.name == "reportfile.txt"
    assert store.add_bytes(b"y", name="..").name == "file"
    assert store.add_bytes(b"z", name="a\\b\\c.png").name == "c.png"
    long = store.add_bytes(b"w", name="x" * 500 + ".pdf")
    assert len(long.name) <= 200 and long.name.endswith(".pdf")
    assert len(long.path.name.encode()) <= 120 and long.path.name.endswith(".pdf")


def test_mime_types_are_checked_and_guessed(store: FileStore) -> None:
    assert store.add_bytes(b"a", name="a.mp3").mime_type == "audio/mpeg"
    assert store.add_bytes(b"a", name="a.webp").mime_type == "image/webp"
    assert store.add_bytes(b"a", name="a.unknownext").mime_type == "application/octet-stream"
    assert store.add_bytes(b"b", name="b.bin", mime_type="Text/Plain; charset=utf-8").mime_type == "text/plain"
    injected = store.add_bytes(b"c", name="c.png", mime_type="text/html\r\nX-Evil: 1")
    assert injected.mime_type == "image/png"  # not a MIME type: guessed from the name


# -- serving -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("a.png", "image/png"),
        ("a.mp3", "audio/mpeg"),
        ("a.mp4", "video/mp4"),
        ("a.txt", "text/plain"),
        ("a.webp", "image/webp"),
        ("a.wav", "audio/wav"),
    ],
)
def test_safe_media_is_served_inline(store: FileStore, client: FlaskClient, name: str, mime: str) -> None:
    stored = store.add_bytes(b"media bytes", name=name)
    response = client.get(f"/files/{stored.id}")
    assert response.status_code == 200
    assert response.mimetype == mime
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("page.html", "text/html"),
        ("drawing.svg", "image/svg+xml"),
        ("setup.exe", None),
        ("data.json", None),
        ("doc.pdf", "application/pdf"),
        ("x.xhtml", None),
    ],
)
def test_everything_else_is_an_attachment(store: FileStore, client: FlaskClient, name: str, mime: str | None) -> None:
    stored = store.add_bytes(b"<script>alert(1)</script>", name=name)
    response = client.get(f"/files/{stored.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if mime:
        assert response.mimetype == mime


def test_an_html_file_declared_as_an_image_is_not_sniffed(store: FileStore, client: FlaskClient) -> None:
    stored = store.add_bytes(b"<html><script>alert(1)</script>", name="cat.png")
    response = client.get(f"/files/{stored.id}")
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_download_1_forces_an_attachment(store: FileStore, client: FlaskClient) -> None:
    stored = store.add_bytes(b"png", name="chart.png")
    response = client.get(f"/files/{stored.id}?download=1")
    assert response.headers["Content-Disposition"] == "attachment; filename=chart.png"


def test_non_ascii_names_use_rfc_6266_filename_star(store: FileStore, client: FlaskClient) -> None:
    stored = store.add_bytes(b"x", name='résumé "final".pdf')
    disposition = client.get(f"/files/{stored.id}").headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf" in disposition
    assert "\n" not in disposition and "\r" not in disposition


def test_html_repr_runs_sandboxed_in_an_opaque_origin(store: FileStore, client: FlaskClient) -> None:
    stored = store.add_bytes(b"<!doctype html><p>chart</p>", name="plot.html", mime_type="text/html", kind=HTML_REPR)
    response = client.get(f"/files/{stored.id}")
    assert response.headers["Content-Disposition"].startswith("inline")
    policy = response.headers["Content-Security-Policy"]
    directives = [d.strip() for d in policy.split(";")]
    assert "sandbox allow-scripts" in directives
    assert "allow-same-origin" not in policy
    assert "frame-ancestors 'self'" in directives

    uploaded = store.add_bytes(b"<!doctype html><p>chart</p>", name="plot.html", mime_type="text/html")
    plain = client.get(f"/files/{uploaded.id}")
    assert plain.headers["Content-Disposition"].startswith("attachment")

    forced = client.get(f"/files/{stored.id}?download=1")
    assert forced.headers["Content-Disposition"].startswith("attachment")


def test_range_requests_get_partial_content(store: FileStore, client: FlaskClient) -> None:
    data = bytes(range(256)) * 40
    stored = store.add_bytes(data, name="song.mp3")
    full = client.get(f"/files/{stored.id}")
    assert full.headers["Accept-Ranges"] == "bytes"
    partial = client.get(f"/files/{stored.id}", headers={"Range": "bytes=100-299"})
    assert partial.status_code == 206
    assert partial.headers["Content-Range"] == f"bytes 100-299/{len(data)}"
    assert partial.data == data[100:300]
    tail = client.get(f"/files/{stored.id}", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == data[-10:]
    beyond = client.get(f"/files/{stored.id}", headers={"Range": f"bytes={len(data) + 5}-"})
    assert beyond.status_code == 416


def test_files_are_cached_privately_and_revalidated(store: FileStore, client: FlaskClient) -> None:
    stored = store.add_bytes(b"png", name="a.png")
    response = client.get(f"/files/{stored.id}")
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "max-age=" in cache and "public" not in cache
    etag = response.headers["ETag"]
    again = client.get(f"/files/{stored.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_unknown_ids_are_404(client: FlaskClient) -> None:
    assert client.get("/files/" + "x" * 24).status_code == 404


# -- sharing and cleaning up ------------------------------------------------------------------


def test_another_process_serves_what_this_one_stored(store: FileStore, client: FlaskClient, tmp_path: Path) -> None:
    # Each gunicorn worker has its own FileStore on the shared root; the worker asked for
    # /files/<id> is often not the one whose fn made the file.
    script = (
        "import sys; from flask_chatbot.files.store import FileStore; "
        "print(FileStore(sys.argv[1]).add_bytes(b'from the other worker', name='w.txt').id)"
    )
    made = subprocess.run([sys.executable, "-c", script, str(store.root)], capture_output=True, text=True, check=True)
    file_id = made.stdout.strip()
    assert client.get(f"/files/{file_id}").data == b"from the other worker"


def test_old_files_are_deleted_and_then_404(store: FileStore, client: FlaskClient) -> None:
    old = store.add_bytes(b"old", name="old.txt")
    new = store.add_bytes(b"new", name="new.txt")
    hours_ago = time.time() - 7200
    os.utime(old.path.parent / ".meta.json", (hours_ago, hours_ago))
    leftover = Path(tempfile.mkdtemp(prefix=".tmp-", dir=store.root))  # an interrupted write
    os.utime(leftover, (hours_ago, hours_ago))

    assert store.delete_older_than(3600) == 1
    assert client.get(f"/files/{old.id}").status_code == 404
    assert client.get(f"/files/{new.id}").data == b"new"
    assert entries(store) == [new.id]


def test_reusing_a_file_restarts_its_age(store: FileStore, tmp_path: Path) -> None:
    image = write(tmp_path / "logo.png")
    stored = store.add_path(image)
    hours_ago = time.time() - 7200
    os.utime(stored.path.parent / ".meta.json", (hours_ago, hours_ago))
    assert store.add_path(image).id == stored.id  # yielded again: still in use
    assert store.delete_older_than(3600) == 0
    assert store.get(stored.id) is not None


def test_the_default_root_is_one_private_folder_per_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first, second = FileStore(app="notes-1a2b"), FileStore(app="notes-1a2b")  # two workers of one app
    stored = first.add_bytes(b"shared", name="s.txt")
    assert second.get(stored.id) == stored
    assert first.root.parent.parent == tmp_path.resolve() and first.root.name == "notes-1a2b"
    assert first.root.stat().st_mode & 0o777 == 0o700 and first.root.parent.stat().st_mode & 0o777 == 0o700
    other = FileStore(app="shop-9f8e")  # another app of the same user
    assert other.get(stored.id) is None and other.root != first.root


def test_a_default_root_others_can_write_to_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    planted = tmp_path / f"flask-chatbot-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    with pytest.raises(FileStoreError, match="CHATBOT_UPLOAD_DIR"):
        FileStore().add_bytes(b"x", name="x.txt")


def test_nothing_is_created_until_first_use(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "later")
    assert store.get("A" * 24) is None
    assert not (tmp_path / "later").exists()
    store.add_bytes(b"x", name="x.txt")
    assert (tmp_path / "later").is_dir()


def test_a_stream_shorter_than_it_said_is_not_kept(store: FileStore) -> None:
    # gunicorn ends a request body early, without an error, when the client goes away.
    with pytest.raises(FileIncomplete, match="arrived with 29 of its 1000 bytes"):
        store.add_stream(io.BytesIO(b"x" * 29), name="report.pdf", expected_size=1000)
    assert [p.name for p in store.root.iterdir()] == []
    assert store.add_stream(io.BytesIO(b"x" * 29), name="ok.pdf", expected_size=29).size == 29


def test_writes_a_dead_process_left_are_swept_at_the_next_start(tmp_path: Path) -> None:
    root = tmp_path / "store"
    (root / ".tmp-crashed").mkdir(parents=True)
    (root / ".tmp-crashed" / "half.bin").write_bytes(b"x" * 100)
    (root / ".tmp-writing").mkdir()  # a write in progress in another worker right now
    old = time.time() - 2 * 3600
    os.utime(root / ".tmp-crashed", (old, old))
    store = FileStore(root)
    assert sorted(p.name for p in store.root.iterdir()) == [".tmp-writing"]


def test_the_chat_s_own_records_are_never_sent_as_files(tmp_path: Path, project: Path, serve: Any) -> None:
    # A reply steered by a prompt injection names them: the flag log, the saved chats' database
    # (and its WAL), the store's own databases and cached examples. fn's other files still go.
    def fn(message: str, history: list[dict[str, Any]]) -> Any:
        return {"path": message}

    flags = project / "flagged"
    server = serve(
        fn,
        flagging_mode="manual",
        flagging_dir=str(flags),
        save_history=True,
        history_store=str(project / "history.sqlite3"),
        history_user=lambda: "ada",
    )
    flags.mkdir()
    write(flags / "flags.csv", b"conversation,index,message\n")
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.hello()
    for n, path in enumerate((flags / "flags.csv", project / "history.sqlite3")):
        frames = client.turn(str(path), f"u{n}")
        assert [f["code"] for f in frames if f["type"] == "error"] == ["fn_error"], (path, frames)  # refused, said so
    frames = client.turn(str(project / "out" / "chart.v2.png"), "u9")
    assert not any(f["type"] == "error" for f in frames)
    client.close()


def test_the_store_s_own_databases_are_not_files_it_sends(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store", allowed_paths=(tmp_path,))
    write(store.root / "api-sessions.sqlite3")
    (store.root / "cached-examples" / "chat-1").mkdir(parents=True)
    write(store.root / "cached-examples" / "chat-1" / "0.json")
    for own in ("api-sessions.sqlite3", "cached-examples/chat-1/0.json"):
        with pytest.raises(FileRefused, match="own records"):
            store.add_path(store.root / own)
    listed = FileStore(tmp_path / "other", allowed_paths=(tmp_path,), denied_paths=(tmp_path / "saved.sqlite3",))
    for companion in ("saved.sqlite3", "saved.sqlite3-wal", "saved.sqlite3-shm"):
        with pytest.raises(FileRefused, match="own records"):
            listed.add_path(write(tmp_path / companion))
    assert listed.add_path(write(tmp_path / "saved.sqlite3.txt")).name == "saved.sqlite3.txt"
    echoed = store.add_bytes(b"an upload", name="a.txt")
    assert store.add_path(echoed.path).id == echoed.id  # fn echoing an upload: the same file

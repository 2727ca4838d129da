"""The file store: files fn returns and the reader uploads, kept on disk and served by opaque id.

Nothing here ever opens a path a client sent. A client only ever names a file by its id,
``secrets.token_urlsafe(18)``, checked against :data:`FILE_ID` before it is joined to the
store's root. Each file is a directory ``<root>/<id>/`` holding the blob under a cleaned
version of its original name (fn sees a path ending in ``report.pdf``, as in Gradio) and
``.meta.json`` beside it. A file is built in a temporary directory and renamed into place,
so every worker process on the host sees either nothing or the whole file: gunicorn's
workers share one root (``CHATBOT_UPLOAD_DIR``), and the worker serving ``GET /files/<id>``
is often not the one whose fn made the file.

    store = FileStore("/var/lib/chat/files")
    stored = store.add_path("out/chart.png")
    bp.get("/files/<file_id>")(file_view(store))
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from flask import Response, request

# The store's errors and the names of its own records are defined beside the path rules, and
# are this module's too.
from .paths import (
    RECORDS,
    FileIncomplete,
    FileRefused,
    FileStoreError,
    FileTooLarge,
    app_folder,
    check_allowed,
    covers,
    fs_name,
    user_name,
)

# Re-exported: callers have always found these names here.
from .serving import (
    HTML_REPR,
    MIME_TYPE,
    StoredFile,
    clean_mime_type,
    clean_name,
    file_response,
    guess_mime_type,
    is_inline_type,
)

log = logging.getLogger("flask_chatbot")

#: What :func:`secrets.token_urlsafe` (18 bytes) makes: nothing else is ever looked up.
FILE_ID = re.compile(r"[A-Za-z0-9_-]{24}")

#: The default cap on one file: large enough for a generated video, small enough that a
#: runaway file stops long before the disk is full.
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024

_META = ".meta.json"
_CHUNK = 1024 * 1024
_DEDUP_ENTRIES = 1024
_LEFTOVER_AGE = 3600  # a write older than this is not in progress


class FileStore:
    """Files on disk under ``root``, by unguessable id; safe to share between processes.

    ``root=None`` is ``<tempdir>/flask-chatbot-<user>/<app>``: one directory per app (``app``,
    chat_bp gives the blueprint's name and where its fn is defined: :func:`app_folder`) under a
    directory of the user's, so the workers of one app find each other's files (a fresh
    temporary directory per process would not) and unrelated apps of the user never share
    files, sessions or cached answers. It is made on first use, private to the user.

    ``allowed_paths`` limits where :meth:`add_path` copies from (``None``: anywhere), as
    Gradio's ``allowed_paths`` do; ``chat_bp`` passes the working directory, the temporary
    directory and the developer's own. Below those folders a hidden path (``.env``,
    ``.git/config``, ``~/.ssh/id_rsa``) is refused: a reply naming one by mistake, or by a
    prompt injection, must not publish a secret. Listing the file itself, or a folder at or
    below the hidden part (``~/.ssh``), allows it.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allowed_paths: Iterable[str | os.PathLike[str]] | None = None,
        denied_paths: Iterable[str | os.PathLike[str]] = (),
        app: str | None = None,
    ) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {max_bytes}")
        self._explicit_root = root is not None
        self._user_root = Path(tempfile.gettempdir()) / f"flask-chatbot-{user_name()}"
        self._root = Path(root) if root is not None else self._user_root / (app or "default")
        self.max_bytes = max_bytes
        self.allowed_paths = None if allowed_paths is None else tuple(Path(os.path.realpath(p)) for p in allowed_paths)
        # The chat's own records (the flag log, the saved chats' database, and the store's own:
        # RECORDS in its root): never sent as a file, whatever folder allows them.
        self.denied_paths = tuple(Path(os.path.realpath(p)) for p in denied_paths)
        self._ready = False
        self._lock = threading.Lock()
        # What this process already stored: a generator yielding the same image 50 times
        # copies it once. Keys: (realpath, size, mtime_ns, name, type) or a digest of bytes.
        self._seen: OrderedDict[tuple[Any, ...], str] = OrderedDict()

    @property
    def root(self) -> Path:
        """The store's directory (made on first use)."""
        if not self._ready:
            self._make_root()
        return self._root

    # -- adding ------------------------------------------------------------------------

    def add_path(
        self, path: str | os.PathLike[str], *, name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Copy the file at ``path`` (a path the developer's code gave) into the store.

        A path already in the store gives that file back (fn echoing an upload copies
        nothing). Raises :class:`FileNotFoundError`, :class:`FileRefused` (not a regular
        file, outside ``allowed_paths`` or hidden below them) or :class:`FileTooLarge`.
        """
        real = os.path.realpath(path)
        own = self._stored_at(real)
        if own is not None:
            return own
        own_records = (Path(os.path.realpath(self._root)) / name for name in RECORDS)
        if any(covers(denied, Path(real)) for denied in (*own_records, *self.denied_paths)):
            raise FileRefused(f"{os.fspath(path)!r} is one of the chat's own records, which are never sent as a file")
        check_allowed(os.fspath(path), Path(real), self.allowed_paths)
        info = os.stat(real)
        if not stat.S_ISREG(info.st_mode):  # /dev/zero, a FIFO, a directory
            raise FileRefused(f"{os.fspath(path)!r} is not a regular file")
        display = clean_name(name if name is not None else os.path.basename(os.fspath(path)))
        mime = clean_mime_type(mime_type) or guess_mime_type(display)
        key = ("path", real, info.st_size, info.st_mtime_ns, display, mime)
        known = self._known(key)
        if known is not None:
            return known
        if info.st_size > self.max_bytes:
            raise FileTooLarge(display, self.max_bytes)
        # O_NONBLOCK: should the path become a FIFO after the stat, opening it must not hang.
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as source:
            if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
                raise FileRefused(f"{os.fspath(path)!r} is not a regular file")
            stored = self.add_stream(source, name=display, mime_type=mime)
        self._remember(key, stored.id)
        return stored

    def add_bytes(self, data: bytes, *, name: str, mime_type: str | None = None, kind: str = "file") -> StoredFile:
        """Store ``data`` (a matplotlib PNG, an HTML document of a ``_repr_html_``).

        The same bytes under the same name, type and kind give the same file.
        """
        display = clean_name(name)
        mime = clean_mime_type(mime_type) or guess_mime_type(display)
        key = ("bytes", hashlib.sha256(data).hexdigest(), display, mime, kind)
        known = self._known(key)
        if known is not None:
            return known
        if len(data) > self.max_bytes:
            raise FileTooLarge(display, self.max_bytes)
        stored = self.add_stream(io.BytesIO(data), name=display, mime_type=mime, kind=kind)
        self._remember(key, stored.id)
        return stored

    def add_stream(
        self,
        stream: IO[bytes],
        *,
        name: str,
        mime_type: str | None = None,
        max_bytes: int | None = None,
        kind: str = "file",
        owner: str | None = None,
        expected_size: int | None = None,
    ) -> StoredFile:
        """Store what ``stream`` gives, stopping with :class:`FileTooLarge` as soon as it
        passes ``max_bytes`` (default: the store's): the cap holds while receiving. Nothing
        of a stream that fails (too large, the client gone, shorter than ``expected_size``:
        :class:`FileIncomplete`) is left behind. ``owner`` marks an upload: only a session
        holding its key may name it (files/uploads.py)."""
        if kind not in ("file", HTML_REPR):
            raise ValueError(f"kind must be 'file' or {HTML_REPR!r}, not {kind!r}")
        limit = self.max_bytes if max_bytes is None else min(max_bytes, self.max_bytes)
        display = clean_name(name)
        mime = clean_mime_type(mime_type) or guess_mime_type(display)
        blob = fs_name(display)
        building = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        try:
            size = 0
            with open(building / blob, "xb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise FileTooLarge(display, limit)
                    out.write(chunk)
            if expected_size is not None and size != expected_size:
                # gunicorn ends a request body early, without an error, when the client goes.
                raise FileIncomplete(f"{display!r} arrived with {size} of its {expected_size} bytes")
            meta = {
                "name": display,
                "file": blob,
                "size": size,
                "mime_type": mime,
                "kind": kind,
                "created": time.time(),
                "owner": owner,
            }
            (building / _META).write_text(json.dumps(meta), encoding="utf-8")
            file_id = secrets.token_urlsafe(18)
            os.rename(building, self.root / file_id)  # atomic: the file appears whole or not at all
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        return StoredFile(file_id, display, size, mime, self.root / file_id / blob, kind, owner)

    # -- looking up and serving ---------------------------------------------------------

    def get(self, file_id: str) -> StoredFile | None:
        """The file with this id, or ``None``. Only a well-formed id touches the disk."""
        if not isinstance(file_id, str) or not FILE_ID.fullmatch(file_id):
            return None
        folder = self._root / file_id
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
            blob, size, mime, name, kind = meta["file"], meta["size"], meta["mime_type"], meta["name"], meta["kind"]
            owner = meta.get("owner")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if not (
            isinstance(blob, str)
            and blob == fs_name(blob)
            and isinstance(size, int)
            and isinstance(name, str)
            and isinstance(mime, str)
            and MIME_TYPE.fullmatch(mime)
            and kind in ("file", HTML_REPR)
            and (owner is None or isinstance(owner, str))
        ):
            return None
        return StoredFile(file_id, name, size, mime, folder / blob, kind, owner)

    def response(self, file_id: str, *, download: bool = False) -> Response:
        """The HTTP response for a file (see :func:`~flask_chatbot.files.serving.file_response`);
        404 unless ``file_id`` names one."""
        return file_response(self.get(file_id), download=download)

    # -- cleaning up --------------------------------------------------------------------

    def delete(self, file_id: str) -> bool:
        """Remove one file; ``False`` if there was none."""
        if not isinstance(file_id, str) or not FILE_ID.fullmatch(file_id):
            return False
        return self._remove(self._root / file_id)

    def delete_older_than(self, seconds: float, *, uploads_only: bool = False) -> int:
        """Remove the files last stored or re-used more than ``seconds`` ago (only uploads, files
        with an owner, with ``uploads_only``), and leftovers of interrupted writes; return how
        many files went. Safe while other processes work."""
        if not self._root.is_dir():
            return 0
        cutoff = time.time() - seconds
        removed = 0
        for entry in os.scandir(self._root):
            try:
                if FILE_ID.fullmatch(entry.name):
                    if os.stat(Path(entry.path) / _META).st_mtime >= cutoff:
                        continue
                    if uploads_only and ((stored := self.get(entry.name)) is None or stored.owner is None):
                        continue
                    if self._remove(Path(entry.path)):
                        removed += 1
                elif entry.name.startswith((".tmp-", ".del-")) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    shutil.rmtree(entry.path, ignore_errors=True)
            except FileNotFoundError:
                continue  # another process removed it first
        return removed

    # -- internals ----------------------------------------------------------------------

    def _make_root(self) -> None:
        with self._lock:
            if self._ready:
                return
            if self._explicit_root:
                self._root.mkdir(parents=True, exist_ok=True)
            else:
                self._user_root.mkdir(mode=0o700, exist_ok=True)
                # A shared temp dir: someone else may have made this name first, or a link.
                info = os.lstat(self._user_root)
                owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
                if not stat.S_ISDIR(info.st_mode) or not owner_ok or info.st_mode & 0o022:
                    raise FileStoreError(
                        f"{self._user_root} is not a private directory of this user; "
                        "set CHATBOT_UPLOAD_DIR to a directory for the chat's files"
                    )
                self._root.mkdir(mode=0o700, exist_ok=True)
            self._root = Path(os.path.realpath(self._root))
            self._ready = True
            self._sweep_leftovers()

    def _sweep_leftovers(self) -> None:
        """Half-written files of a process that died mid-write (a restart during an upload):
        gone at the next start, whether or not anything cleans the store."""
        cutoff = time.time() - _LEFTOVER_AGE
        for entry in os.scandir(self._root):
            try:
                if entry.name.startswith((".tmp-", ".del-")) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    shutil.rmtree(entry.path, ignore_errors=True)
            except FileNotFoundError:
                continue

    def _stored_at(self, real: str) -> StoredFile | None:
        folder = Path(real).parent
        if folder.parent != self.root:
            return None
        stored = self.get(folder.name)
        return stored if stored is not None and str(stored.path) == real else None

    def _known(self, key: tuple[Any, ...]) -> StoredFile | None:
        with self._lock:
            file_id = self._seen.get(key)
            if file_id is not None:
                self._seen.move_to_end(key)
        if file_id is None:
            return None
        stored = self.get(file_id)
        if stored is None:  # cleaned up since
            return None
        try:
            os.utime(self._root / file_id / _META)  # re-used: its age starts again
        except FileNotFoundError:
            return None
        return stored

    def _remember(self, key: tuple[Any, ...], file_id: str) -> None:
        with self._lock:
            self._seen[key] = file_id
            while len(self._seen) > _DEDUP_ENTRIES:
                self._seen.popitem(last=False)

    def _remove(self, folder: Path) -> bool:
        # Renamed first, so that no reader ever finds half a file.
        doomed = folder.with_name(f".del-{folder.name}-{secrets.token_hex(4)}")
        try:
            os.rename(folder, doomed)
        except FileNotFoundError:
            return False
        shutil.rmtree(doomed, ignore_errors=True)
        return True


def file_view(store: FileStore) -> Callable[[str], Response]:
    """A view for ``bp.get("/files/<file_id>")``; ``?download=1`` forces an attachment."""

    def serve_file(file_id: str) -> Response:
        return store.response(file_id, download=request.args.get("download") in ("1", "true"))

    return serve_file


__all__ = [
    "DEFAULT_MAX_BYTES",
    "FILE_ID",
    "FileIncomplete",
    "FileRefused",
    "FileStore",
    "FileStoreError",
    "FileTooLarge",
    "app_folder",
    "HTML_REPR",
    "StoredFile",
    "clean_mime_type",
    "clean_name",
    "file_view",
    "fs_name",
    "guess_mime_type",
    "is_inline_type",
]

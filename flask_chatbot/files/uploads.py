"""The reader's files, for ``chat_bp(fn, multimodal=True)``: the rules a file must meet and
the upload route, ``POST {mount}/upload`` (docs/files.md).

Uploads go over HTTP, not the socket: a large file neither holds up the conversation's
frames nor needs frame-sized pieces, and the browser reports progress and can cancel.

Who may use an upload is decided by a key, not by the connection. The server gives each
conversation a random *upload key* (``welcome.upload_key``); the element sends it with each
upload (the ``X-Chatbot-Upload-Key`` header) and back in ``hello`` on every reconnect. The
store keeps only a hash of it (:func:`owner_of`) beside the file, and a message or a resent
conversation may name an uploaded file only with the same key. No server secret is involved,
so any worker on any host checks it alike, and the key is never logged (unlike the
conversation's id, which the flag log records).

The file's name is the client's word, cleaned; its type is decided here from that name
(files/store.py's fixed table), never from the client's ``Content-Type``, and the size is counted
while receiving: a file over ``max_file_size`` stops being read at that point and nothing of
it stays on disk.
"""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import ClientDisconnected

from ..errors import OptionsError
from .serving import clean_mime_type, clean_name, guess_mime_type
from .store import FileIncomplete, FileStore, FileTooLarge
from .upload_keys import issue_key, issued
from .upload_quota import QuotaRefusal, UploadQuota, ledger_for, size_text

log = logging.getLogger("flask_chatbot")

#: What :func:`new_upload_key` makes (and all ``hello.upload_key`` may be).
UPLOAD_KEY = re.compile(r"[A-Za-z0-9_-]{32}")
KEY_HEADER = "X-Chatbot-Upload-Key"
DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024
#: Seconds an upload's body may send nothing before the server gives up on it.
DEFAULT_UPLOAD_IDLE_TIMEOUT = 30.0
#: Files one message may carry with ``file_count="multiple"``.
DEFAULT_MAX_FILES = 10
#: gr.MultimodalTextbox's: pasted text longer than this becomes a .txt attachment.
DEFAULT_MAX_PLAIN_TEXT_LENGTH = 1000
FILE_CATEGORIES = ("image", "audio", "video", "text", "file")
FILE_COUNTS = ("single", "multiple")
SOURCES = ("upload", "microphone")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$", re.I)
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}
_EXTENSION = re.compile(r"^\.[a-z0-9][a-z0-9._+-]{0,15}$")


def new_upload_key(store: FileStore) -> str:
    """A conversation's upload key, signed by ``store``'s secret (files/upload_keys.py)."""
    return issue_key(store)


def owner_of(key: str) -> str:
    """What the store keeps of an upload key: a hash, so the files' folder gives none away."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:32]


@dataclass(frozen=True)
class UploadRules:
    """What a message's files may be; checked by the element first and always here."""

    file_types: tuple[str, ...] | None = None  # categories and ".ext" suffixes; None: any file
    max_files: int = DEFAULT_MAX_FILES
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    idle_timeout: float = DEFAULT_UPLOAD_IDLE_TIMEOUT  # seconds a body may send nothing

    def refusal(self, name: str, mime_type: str) -> str | None:
        """Why a file of this name and type is not accepted, or None."""
        if self.file_types is None or "file" in self.file_types:
            return None
        lower = name.lower()
        top = mime_type.split("/", 1)[0]
        for allowed in self.file_types:
            if allowed.startswith(".") and lower.endswith(allowed):
                return None
            if allowed == top:
                return None
        return f"{name!r} is not a file this chat takes (it takes {self.describe()})"

    def describe(self) -> str:
        """The accepted types in words: "images or .pdf files"."""
        if self.file_types is None or "file" in self.file_types:
            return "any file"
        words = {"image": "images", "audio": "audio", "video": "videos", "text": "text files"}
        names = [words.get(t, f"{t} files") for t in self.file_types]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]

    def accept(self) -> str:
        """The file picker's ``accept`` attribute ("" for any file)."""
        if self.file_types is None or "file" in self.file_types:
            return ""
        return ",".join(t if t.startswith(".") else f"{t}/*" for t in self.file_types)


def parse_size(value: Any, name: str = "max_file_size") -> int:
    """Bytes from an int or Gradio's strings ("5mb", "1.5 GB", "500kb")."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match:
        size = int(float(match[1]) * _UNITS[(match[2] or "b").lower()])
        if size > 0:
            return size
    raise OptionsError(f"{name} must be a number of bytes or a size like '5mb' or '1gb', not {value!r}")


def parse_file_types(value: Any) -> tuple[str, ...] | None:
    """gr.MultimodalTextbox's file_types: categories ("image", "audio", "video", "text",
    "file": any) and suffixes (".pdf"), checked; None for any file."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise OptionsError(f"file_types must be a list like ['image', '.pdf'], not {value!r}")
    out = []
    for item in value:
        kind = item.lower() if isinstance(item, str) else item
        if not (isinstance(kind, str) and (kind in FILE_CATEGORIES or _EXTENSION.match(kind))):
            raise OptionsError(
                f"file_types entries are {', '.join(map(repr, FILE_CATEGORIES))} or a suffix like '.pdf', not {item!r}"
            )
        out.append(kind)
    return tuple(dict.fromkeys(out))


def parse_sources(value: Any) -> tuple[str, ...]:
    """gr.MultimodalTextbox's sources: "upload" and/or "microphone"."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not value or any(s not in SOURCES for s in value):
        raise OptionsError(f"sources must be a list of {', '.join(map(repr, SOURCES))}, not {value!r}")
    return tuple(dict.fromkeys(value))


def parse_upload_options(values: dict[str, Any]) -> None:
    """file_types, max_file_size, sources and delete_cache in Gradio's forms, made exact; the
    other file options checked (OptionsError says what to change)."""
    if "file_types" in values:
        values["file_types"] = parse_file_types(values["file_types"])
    if "max_file_size" in values:
        values["max_file_size"] = parse_size(values["max_file_size"])
    if "sources" in values:
        values["sources"] = parse_sources(values["sources"])
    if values.get("file_count", "multiple") not in FILE_COUNTS:
        raise OptionsError(f"file_count must be 'single' or 'multiple', not {values['file_count']!r}")
    timeout = values.get("upload_idle_timeout", DEFAULT_UPLOAD_IDLE_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
        raise OptionsError(f"upload_idle_timeout must be a number of seconds > 0, not {timeout!r}")
    for name in ("max_files", "max_plain_text_length"):
        value = values.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise OptionsError(f"{name} must be a whole number of at least 1, not {value!r}")
    if values.get("delete_cache") is not None:
        given = values["delete_cache"]
        if (
            isinstance(given, (str, bytes))
            or not isinstance(given, Sequence)
            or len(given) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in given)
        ):
            raise OptionsError(f"delete_cache must be (frequency, age) in seconds, like (3600, 86400), not {given!r}")
        values["delete_cache"] = (float(given[0]), float(given[1]))


def upload_mime_type(name: str, claimed: str | None) -> str:
    """An upload's type: from its name, as every stored file's. One exception: a recording
    the browser calls ``audio/webm`` keeps that type although ``.webm`` reads as video, so
    that it shows as an audio player."""
    guessed = guess_mime_type(name)
    said = clean_mime_type(claimed)
    if said and said.startswith("audio/") and guessed == "video/" + said.partition("/")[2]:
        return said
    return guessed


def upload_view(
    store: FileStore, rules: Callable[[], UploadRules], quota: UploadQuota = UploadQuota()
) -> Callable[[], tuple[Response, int]]:
    """The view of ``POST {mount}/upload?name=<file name>``: the body is the file's bytes.

    201 with the file's ``{"id", "name", "size", "mime_type"}``; else an error
    ``{"error": {"code", "message"}}``: 403 ``upload_key`` (no key, or one the server did not
    issue), 429 ``quota`` (the key's or the address's quota is spent; ``Retry-After``), 507
    ``disk_full`` (the store's disk is at its floor of free space), 400
    ``bad_request`` (no name), 411 ``bad_request`` (no body: neither a Content-Length nor
    chunked), 415 ``file_type``, 413 ``too_large`` (by Content-Length before reading, or while
    reading), 400 ``incomplete`` (the body ended early, or sent nothing for ``idle_timeout``).
    """

    ledger = ledger_for(store.root, quota) if quota is not None else None

    def upload() -> tuple[Response, int]:
        limits = rules()
        key = request.headers.get(KEY_HEADER, "")
        if not UPLOAD_KEY.fullmatch(key):
            return _error(403, "upload_key", f"send the conversation's upload key in the {KEY_HEADER} header")
        if not issued(store, key):
            # An invented key would open a quota of its own: only the server's keys are taken.
            return _error(403, "upload_key", "this upload key was not issued by this server; reload the page")
        given = request.args.get("name", "")
        if not given.strip() or len(given) > 1000:
            return _error(400, "bad_request", "name the file: POST .../upload?name=<file name>")
        name = clean_name(given)
        mime_type = upload_mime_type(name, request.headers.get("Content-Type"))
        reason = limits.refusal(name, mime_type)
        if reason is not None:
            return _error(415, "file_type", reason)
        too_large = f"{name!r} is larger than the limit of {size_text(limits.max_file_size)}"
        length = request.content_length
        if length is not None and length > limits.max_file_size:
            return _error(413, "too_large", too_large)
        if length is None and request.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return _error(411, "bad_request", "send the file's bytes as the body, with a Content-Length")
        reservation = (
            ledger.reserve(owner_of(key), request.remote_addr or "", length or limits.max_file_size) if ledger else None
        )
        if isinstance(reservation, QuotaRefusal):
            log.info("An upload of %r was refused: %s", name, reservation.code)
            response, status = _error(reservation.status, reservation.code, reservation.message)
            if reservation.retry_after is not None:
                response.headers["Retry-After"] = str(reservation.retry_after)
            return response, status
        stored = None
        try:
            deadline = limits.idle_timeout + (length or limits.max_file_size) / UPLOAD_MIN_RATE
            with _read_timeout(request.environ, limits.idle_timeout, deadline):
                stored = store.add_stream(
                    request.stream,
                    name=name,
                    mime_type=mime_type,
                    max_bytes=limits.max_file_size,
                    owner=owner_of(key),
                    expected_size=length,
                )
        except FileTooLarge:
            return _error(413, "too_large", too_large)
        except (ClientDisconnected, FileIncomplete, OSError) as exc:
            # The client went away mid-file (a cancelled upload), stalled past idle_timeout
            # (a timeout is an OSError), or the disk is full: nothing of it was kept.
            log.info("An upload of %r ended early: %s", name, exc)
            return _error(400, "incomplete", f"{name!r} did not arrive whole; please try again")
        finally:
            if reservation is not None:
                ledger.settle(reservation, stored.size if stored is not None else None)
        info = {"id": stored.id, "name": stored.name, "size": stored.size, "mime_type": stored.mime_type}
        return jsonify(info), 201

    return upload


# The slowest an upload's body may come, on average: a real client on a poor mobile link sends
# far more; one byte now and then, each inside the idle timeout, would otherwise hold the upload
# open for as long as it likes. With the idle timeout as grace, it makes the body's deadline.
UPLOAD_MIN_RATE = 4096  # bytes a second


@contextmanager
def _read_timeout(environ: dict[str, Any], seconds: float, deadline: float) -> Iterator[None]:
    """Each read of the request body waits at most ``seconds`` for data, and the whole body
    must be in within ``deadline`` seconds: a body that stalls, or trickles in just fast enough
    never to stall, ends the upload instead of holding a worker. Past the deadline the socket's
    reading half is shut, so the read under way ends at once (the answer can still be
    written). The connection's socket is gunicorn's or werkzeug's; its timeout comes back after."""
    sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    if sock is None or not hasattr(sock, "settimeout"):
        yield
        return
    before = sock.gettimeout()
    sock.settimeout(seconds)
    timer = threading.Timer(deadline, _shut_reading, (sock,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        try:
            sock.settimeout(before)
        except OSError:  # closed meanwhile
            pass


def _shut_reading(sock: Any) -> None:
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:  # closed meanwhile
        pass


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    response = jsonify(error={"code": code, "message": message})
    if status in (400, 411, 413, 429, 507):
        response.headers["Connection"] = "close"  # the rest of the body is not read
    return response, status


__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "DEFAULT_MAX_FILES",
    "DEFAULT_UPLOAD_IDLE_TIMEOUT",
    "KEY_HEADER",
    "UPLOAD_KEY",
    "UploadRules",
    "new_upload_key",
    "owner_of",
    "parse_file_types",
    "parse_size",
    "parse_upload_options",
    "upload_view",
]

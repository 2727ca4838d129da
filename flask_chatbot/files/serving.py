"""What a browser is told about a stored file: its name, its type, inline or attachment.

The store (files/store.py) keeps bytes; this module decides how they leave. A name is cleaned
before it reaches a page or a ``Content-Disposition`` header, a type comes from a fixed
table rather than the host, and only media that runs nothing is served inline: an HTML or
SVG file never runs on the app's origin.

    bp.get("/files/<file_id>")(file_view(store))
"""

from __future__ import annotations

import mimetypes
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import Response, send_file
from werkzeug.exceptions import NotFound

#: Types a browser shows inline without running anything: everything else is an attachment.
INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "text/plain"}
)
INLINE_PREFIXES = ("audio/", "video/")

#: Stored by components (a ``Plot`` of an object with ``_repr_html_``): served inline, but
#: sandboxed into an opaque origin, so its scripts run without reaching the app.
HTML_REPR = "html-repr"
HTML_REPR_POLICY = "sandbox allow-scripts; frame-ancestors 'self'"

CACHE_CONTROL_MAX_AGE = 24 * 3600  # a stored file never changes under its id

MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
# mimetypes reads the host's /etc/mime.types: these must not depend on the host.
_KNOWN_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".svg": "image/svg+xml",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".m4a": "audio/mp4",
    ".flac": "audio/flac",
    ".opus": "audio/ogg",
    ".weba": "audio/webm",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mov": "video/quicktime",
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".json": "application/json",
}
_UNSHOWN = frozenset({"Cc", "Cf", "Zl", "Zp"})  # controls and bidi overrides ("gnp.exe")


@dataclass(frozen=True)
class StoredFile:
    """A file in the store. ``name``, ``size`` and ``mime_type`` are the server's word, always."""

    id: str
    name: str
    size: int
    mime_type: str
    path: Path
    kind: str = "file"  # or HTML_REPR
    owner: str | None = None  # an upload's: uploads.owner_of(the uploader's key); None for fn's files


def file_response(stored: StoredFile | None, *, download: bool = False) -> Response:
    """The HTTP response for a stored file: 404 for ``None``; HTTP Range (audio and video
    seek); inline only for safe media, attachment for the rest."""
    if stored is None:
        raise NotFound()
    inline = not download and (stored.kind == HTML_REPR or is_inline_type(stored.mime_type))
    try:
        response = send_file(
            stored.path,
            mimetype=stored.mime_type,
            as_attachment=not inline,
            download_name=stored.name,
            conditional=True,
            etag=stored.id,
        )
    except FileNotFoundError:  # deleted by a cleanup since the store found it
        raise NotFound() from None
    response.headers["X-Content-Type-Options"] = "nosniff"
    if stored.kind == HTML_REPR and inline:
        response.headers["Content-Security-Policy"] = HTML_REPR_POLICY
    response.cache_control.no_cache = None
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.max_age = CACHE_CONTROL_MAX_AGE
    return response


def is_inline_type(mime_type: str) -> bool:
    """Whether a browser may show this type inline on the app's origin."""
    return mime_type in INLINE_TYPES or mime_type.startswith(INLINE_PREFIXES)


def guess_mime_type(name: str) -> str:
    """The MIME type of a file name, from a fixed table for media, else the host's."""
    suffix = os.path.splitext(name)[1].lower()
    known = _KNOWN_TYPES.get(suffix)
    if known:
        return known
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return clean_mime_type(guessed) or "application/octet-stream"


def clean_mime_type(mime_type: str | None) -> str | None:
    """``type/subtype`` in lower case without parameters, or ``None`` if it is not one."""
    if not mime_type or not isinstance(mime_type, str):
        return None
    bare = mime_type.split(";", 1)[0].strip().lower()
    return bare if MIME_TYPE.fullmatch(bare) else None


def clean_name(name: str) -> str:
    """A file name fit to show and to put in a header: no folders, no control or
    direction characters, at most 200 characters (the extension kept)."""
    base = re.split(r"[/\\]", str(name))[-1]
    text = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c) not in _UNSHOWN).strip()
    if len(text) > 200:
        stem, ext = os.path.splitext(text)
        text = stem[: 200 - len(ext[:20])] + ext[:20]
    return text if text not in ("", ".", "..") else "file"


__all__ = [
    "HTML_REPR",
    "INLINE_TYPES",
    "clean_mime_type",
    "clean_name",
    "file_response",
    "StoredFile",
    "guess_mime_type",
    "is_inline_type",
]

"""Where a piece of message content comes from: a file copied into the store, or an
http(s) URL the browser loads itself (the server never fetches it).

The pieces every stage of content shares (content/components.py builds it, content/wire.py checks and
converts it, content/html.py renders it) live here, below all of them, so that none of
those modules imports another in a circle.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ..files.serving import clean_mime_type, clean_name, guess_mime_type
from ..files.store import FileStore, StoredFile

MAX_GALLERY_ITEMS = 100
MAX_TEXT_CHARS = 1000  # an alt text, label or caption
MAX_URL_CHARS = 2048

#: Image types a browser shows in <img>; other images get a file card.
DISPLAYABLE_IMAGES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "image/svg+xml",
        "image/x-icon",
        "image/vnd.microsoft.icon",
    }
)

#: A code block's language: a short name, safe in an attribute and a CSS class.
CODE_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,40}")

_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\\"'<>`]")


class InvalidContent(ValueError):
    """Wire content that is not one of the shapes of content/wire.py, or names a file the store lacks."""


@dataclass
class FileData:
    """A file, as Gradio's ``FileData``: a server ``path`` (or an http(s) ``url``)."""

    path: str | os.PathLike[str] | None = None
    url: str | None = None
    size: int | None = None
    orig_name: str | None = None
    mime_type: str | None = None
    is_stream: bool = False
    meta: dict[str, Any] | None = None


def file_info(stored: StoredFile) -> dict[str, Any]:
    """The wire form of a stored file."""
    return {"id": stored.id, "name": stored.name, "size": stored.size, "mime_type": stored.mime_type}


def source_of(value: Any, store: FileStore) -> tuple[dict[str, Any], str, str | None]:
    """({"file": info} or {"url": url}, MIME type, alt text) of a path, URL, FileData or dict.

    A path is copied into ``store`` (and may raise what :meth:`FileStore.add_path` raises);
    anything else raises :class:`TypeError` saying what a file in a message may be.
    """
    name = mime = alt = None
    if isinstance(value, FileData):
        path, url, name, mime = value.path, value.url, value.orig_name, value.mime_type
    elif isinstance(value, Mapping):
        path, url = value.get("path"), value.get("url")
        name, mime, alt = value.get("orig_name"), value.get("mime_type"), value.get("alt_text")
    elif isinstance(value, (str, os.PathLike)):
        path, url = value, None
    else:
        raise TypeError(
            f"a file in a message is a path, an http(s) URL, a FileData or a {{'path': ...}} dict, "
            f"not a {type(value).__name__}"
        )
    if name is not None and not isinstance(name, str):
        raise TypeError("orig_name must be a str")
    if isinstance(path, str) and path.lower().startswith(("http://", "https://")):
        path, url = None, path  # Gradio takes URLs as paths too
    if path:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"a file's path must be a str or a Path, not {type(path).__name__}")
        stored = store.add_path(path, name=name, mime_type=mime if isinstance(mime, str) else None)
        return {"file": file_info(stored)}, stored.mime_type, alt
    if url:
        checked = checked_url(url)
        if checked is None:
            raise TypeError(f"only http(s) URLs can be shown in a message, not {str(url)[:80]!r}")
        return {"url": checked}, clean_mime_type(mime) or guess_mime_type(url_name(checked)), alt
    raise TypeError("a file in a message needs a 'path' or an http(s) 'url'")


def kind_for_mime(mime: str) -> str:
    """The component that shows a file of this type: image, audio, video or a file card."""
    if mime in DISPLAYABLE_IMAGES:
        return "image"
    if mime.startswith("audio/"):
        return "audio"
    if mime.startswith("video/"):
        return "video"
    return "file"


def gallery_kind(content: Mapping[str, Any]) -> str:
    """ "video" if an image content's source is a video, else "image"."""
    if "file" in content:
        mime = content["file"]["mime_type"]
    else:
        mime = guess_mime_type(url_name(content["url"]))
    return "video" if mime.startswith("video/") else "image"


def checked_url(url: Any) -> str | None:
    """``url`` if it is an absolute http(s) URL a browser reads the same way, else None."""
    if not isinstance(url, str) or len(url) > MAX_URL_CHARS or _URL_FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url


def url_name(url: str) -> str:
    """The file name a URL shows (its last path segment, else its host)."""
    path = urlsplit(url).path
    return (
        clean_name(unquote(path.rsplit("/", 1)[-1]))
        if path.strip("/")
        else clean_name(urlsplit(url).hostname or "file")
    )


def label_text(value: Any, what: str) -> str:
    """An alt text, label or caption fn gave, shortened to :data:`MAX_TEXT_CHARS`."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value if len(value) <= MAX_TEXT_CHARS else value[: MAX_TEXT_CHARS - 1] + "…"


def wire_str(value: Any, what: str, *, limit: int | None = MAX_TEXT_CHARS) -> str:
    """A string a browser sent, refused (not shortened) when it is not one or too long."""
    if not isinstance(value, str):
        raise InvalidContent(f"{what} must be a string")
    if limit is not None and len(value) > limit:
        raise InvalidContent(f"{what} is longer than {limit} characters")
    return value

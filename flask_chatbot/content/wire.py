"""Message content that is a file or a component, through the chat and back.

- :func:`~flask_chatbot.content.components.to_content`: what fn gave → WIRE CONTENT, a small JSON dict; files are copied into
  the :class:`~flask_chatbot.files.store.FileStore` and named by id only.
- :func:`from_wire`: wire content a browser sent back → checked wire content, every fact
  about a file (name, size, type) taken from the store, never from the client.
- :func:`for_fn`: wire content → what fn sees in its history (Gradio's ``FileDataDict``).

(:func:`~flask_chatbot.content.html.render_content` makes its HTML.) Wire content, every
key present unless marked optional (``?``, left out when empty)::

    file info:  {"id": str, "name": str, "size": int, "mime_type": str}
    source:     "file": <file info>   or   "url": "http(s)://..."      (exactly one)
    image:      {"component": "image", <source>, "alt_text"?: str, "label"?: str}
    audio:      {"component": "audio", <source>, "label"?: str}
    video:      {"component": "video", <source>, "label"?: str}
    file:       {"component": "file", <source>, "label"?: str}
    plot:       {"component": "plot", "file": <file info>, "label"?: str}
                (image/png: an image; text/html: a sandboxed iframe)
    gallery:    {"component": "gallery", "files": [{"component": "image" | "video", <source>,
                 "caption"?: str}, ...], "label"?: str}
    html:       {"component": "html", "value": str, "label"?: str}
    code:       {"component": "code", "value": str, "language": str | None, "label"?: str}
    dataframe:  {"component": "dataframe", "headers": [str], "rows": [[str | int | float | bool | None]],
                 "total_rows": int, "total_columns": int, "label"?: str}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..files.serving import guess_mime_type
from ..files.store import FileStore
from .sources import (
    CODE_LANGUAGE,
    MAX_GALLERY_ITEMS,
    InvalidContent,
    checked_url,
    file_info,
    url_name,
    wire_str,
)
from .tables import check_table

_GRADIO_FILE_META = {"_type": "gradio.FileData"}

# -- wire content from a browser -------------------------------------------------------------


_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # component: (required keys, optional keys), besides "component" and the source
    "image": (frozenset(), frozenset({"alt_text", "label"})),
    "audio": (frozenset(), frozenset({"label"})),
    "video": (frozenset(), frozenset({"label"})),
    "file": (frozenset(), frozenset({"label"})),
    "plot": (frozenset(), frozenset({"label"})),
    "gallery": (frozenset({"files"}), frozenset({"label"})),
    "html": (frozenset({"value"}), frozenset({"label"})),
    "code": (frozenset({"value"}), frozenset({"language", "label"})),
    "dataframe": (frozenset({"headers", "rows", "total_rows", "total_columns"}), frozenset({"label"})),
}
_SOURCED = frozenset({"image", "audio", "video", "file", "plot"})


def from_wire(content: Any, store: FileStore) -> dict[str, Any]:
    """Check wire content a browser sent (the conversation it resends in ``hello``).

    The shape must be exactly one of the module's; a file must exist in ``store``, and a
    name, size or type sent with it must be the store's. Returns the content rebuilt from
    the store's facts. Raises :class:`InvalidContent` saying what is wrong.
    """
    if not isinstance(content, Mapping):
        raise InvalidContent(f"content must be an object, not {type(content).__name__}")
    kind = content.get("component")
    if not isinstance(kind, str) or kind not in _KEYS:
        raise InvalidContent(f"unknown component {kind!r}")
    required, optional = _KEYS[kind]
    sources = {"file", "url"} if kind in _SOURCED - {"plot"} else {"file"} if kind == "plot" else set()
    keys = set(content) - {"component"}
    missing = required - keys
    unknown = keys - required - optional - sources
    if missing or unknown:
        raise InvalidContent(f"{kind} content: missing {sorted(missing)}, unknown {sorted(unknown)}")
    out: dict[str, Any] = {"component": kind}
    if kind in _SOURCED:
        out.update(_wire_source(content, sources, store))
    if kind == "gallery":
        out["files"] = _wire_gallery(content["files"], store)
    elif kind in ("html", "code"):
        out["value"] = wire_str(content["value"], "value", limit=None)
        if kind == "code":
            language = content.get("language")
            if language is not None and not (isinstance(language, str) and CODE_LANGUAGE.fullmatch(language)):
                raise InvalidContent("code language must be null or a short name like 'python'")
            out["language"] = language
    elif kind == "dataframe":
        out.update(check_table(content))
    for key in ("alt_text", "label"):
        if key in optional and content.get(key) is not None:
            out[key] = wire_str(content[key], key)
    return out


def _wire_source(content: Mapping[str, Any], allowed: set[str], store: FileStore) -> dict[str, Any]:
    present = [key for key in ("file", "url") if key in content and key in allowed]
    if len(present) != 1:
        raise InvalidContent(f"{content['component']} content needs exactly one of {sorted(allowed)}")
    if present[0] == "url":
        url = checked_url(content["url"])
        if url is None:
            raise InvalidContent("a url must be an absolute http(s) URL")
        return {"url": url}
    sent = content["file"]
    if not isinstance(sent, Mapping) or not set(sent) <= {"id", "name", "size", "mime_type"}:
        raise InvalidContent("file must be an object with id (and name, size, mime_type)")
    stored = store.get(sent.get("id"))  # type: ignore[arg-type]  # get() takes any id: None unless a well-formed str
    if stored is None:
        raise InvalidContent("file names no file of this server (it may have been deleted)")
    info = file_info(stored)
    for key in ("name", "size", "mime_type"):
        if key in sent and sent[key] != info[key]:
            raise InvalidContent(f"file {key} does not match the server's file")
    return {"file": info}


def _wire_gallery(files: Any, store: FileStore) -> list[dict[str, Any]]:
    if not isinstance(files, list) or len(files) > MAX_GALLERY_ITEMS:
        raise InvalidContent(f"gallery files must be a list of at most {MAX_GALLERY_ITEMS} items")
    out = []
    for item in files:
        if not isinstance(item, Mapping) or item.get("component") not in ("image", "video"):
            raise InvalidContent("each gallery item is an image or a video")
        unknown = set(item) - {"component", "file", "url", "caption"}
        if unknown:
            raise InvalidContent(f"gallery item: unknown {sorted(unknown)}")
        checked: dict[str, Any] = {"component": item["component"], **_wire_source(item, {"file", "url"}, store)}
        if item.get("caption") is not None:
            checked["caption"] = wire_str(item["caption"], "caption")
        out.append(checked)
    return out


# -- what fn sees in its history ------------------------------------------------------------


def for_fn(content: Mapping[str, Any], store: FileStore) -> Any:
    """The message content fn sees in its history.

    A file (image, audio, video, file) is Gradio's FileDataDict: ``{"path", "url", "size",
    "orig_name", "mime_type", "is_stream", "meta"}`` (``alt_text`` too for an image); ``path``
    is the file's place in the store (``None`` once the store has deleted it), or the URL.
    A plot is ``{"component": "plot", "value": <FileDataDict>}``, a gallery
    ``{"component": "gallery", "value": [<FileDataDict with "caption">]}``; html, code and
    dataframe are their wire content. Each of these given back to :func:`to_content` shows
    the same thing again.
    """
    kind = content["component"]
    if kind in ("image", "audio", "video", "file"):
        data = _file_data(content, store)
        if kind == "image" and content.get("alt_text"):
            data["alt_text"] = content["alt_text"]
        return data
    if kind == "plot":
        return _labelled_dict({"component": "plot", "value": _file_data(content, store)}, content)
    if kind == "gallery":
        items = []
        for item in content["files"]:
            data = _file_data(item, store)
            data["caption"] = item.get("caption")
            items.append(data)
        return _labelled_dict({"component": "gallery", "value": items}, content)
    return dict(content)


def _file_data(content: Mapping[str, Any], store: FileStore) -> dict[str, Any]:
    if "url" in content:
        url = content["url"]
        return {
            "path": url,
            "url": url,
            "size": None,
            "orig_name": url_name(url),
            "mime_type": guess_mime_type(url_name(url)),
            "is_stream": False,
            "meta": dict(_GRADIO_FILE_META),
        }
    info = content["file"]
    stored = store.get(info["id"])
    return {
        "path": str(stored.path) if stored is not None else None,
        "url": None,
        "size": info["size"],
        "orig_name": info["name"],
        "mime_type": info["mime_type"],
        "is_stream": False,
        "meta": dict(_GRADIO_FILE_META),
    }


def _labelled_dict(out: dict[str, Any], content: Mapping[str, Any]) -> dict[str, Any]:
    if content.get("label"):
        out["label"] = content["label"]
    return out


__all__ = ["InvalidContent", "for_fn", "from_wire"]

"""What config.json tells the element about a blueprint's options (docs/element.md, config),
and the option files it shows (avatars, example icons and files), stored at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for

from ..access.embedding import cross_site
from ..errors import ChatbotError, OptionsError
from ..files.store import FileStore
from ..options.chat_options import ChatOptions
from ..options.page import theme_name


def files_base() -> str:
    """The path under which the current request's blueprint serves its files; a full URL
    for a page of another origin (access/embedding.py), where a path would name that origin's."""
    return url_for(".page", _external=cross_site()) + "files/"


def store_images(option: str, images: Sequence[str | None], store: FileStore) -> list[str | None]:
    """Images of the options (avatar_images, example icons) as the element gets them: a
    file's store id (served under files/), or an https URL as given. Files are copied at
    start-up, so a wrong path fails at once."""
    out: list[str | None] = []
    for image in images:
        if image is None or image.startswith(("https://", "http://")):
            out.append(image)
            continue
        try:
            out.append(store.add_path(image).id)
        except (OSError, ChatbotError) as exc:
            raise OptionsError(f"{option}: cannot use {image!r}: {exc}") from None
    return out


def example_files_config(store: FileStore, ids: list[str | None]) -> list[dict[str, Any]]:
    """An example card's files as the element shows them: name, type and URL."""
    found = [store.get(i) for i in ids if i]
    return [{"name": f.name, "mime_type": f.mime_type, "url": files_base() + f.id} for f in found if f is not None]


def display_config(opts: ChatOptions) -> dict[str, Any]:
    """The gr.Chatbot display options the element applies (docs/element.md, config)."""

    def css(size: int | str | None) -> str | None:
        return f"{size}px" if isinstance(size, int) else size

    return {
        "theme": theme_name(opts.theme),
        "show_progress": opts.show_progress,
        "lang": opts.lang,
        "strings": opts.strings or {},
        "label": opts.label,
        "show_label": opts.show_label,
        "height": css(opts.height),
        "min_height": css(opts.min_height),
        "max_height": css(opts.max_height),
        "resizable": opts.resizable,
        "elem_id": opts.elem_id,
        "elem_classes": list(opts.elem_classes),
        "layout": opts.layout,
        "group_consecutive_messages": opts.group_consecutive_messages,
        "buttons": list(opts.buttons),
        "watermark": opts.watermark,
        "allow_file_downloads": opts.allow_file_downloads,
        "feedback_options": list(opts.feedback_options),
        "like_user_message": opts.like_user_message,
        "retry_btn": opts.retry_btn,
        "undo_btn": opts.undo_btn,
        "clear_btn": opts.clear_btn,
        "editable": opts.editable,
        "max_message_chars": opts.max_message_chars,
        "max_history": opts.max_history,
    }


def upload_config(opts: ChatOptions) -> dict[str, Any]:
    """What the element needs to take files (nothing for a chat of text)."""
    if not opts.multimodal:
        return {"multimodal": False}
    rules = opts.upload_rules
    return {
        "multimodal": True,
        "upload": url_for(".page", _external=cross_site()) + "upload",
        "file_types": list(rules.file_types) if rules.file_types is not None else None,
        "file_accept": rules.accept(),
        "file_types_text": rules.describe(),
        "max_files": rules.max_files,
        "max_file_size": rules.max_file_size,
        "max_plain_text_length": opts.max_plain_text_length,
        "sources": list(opts.sources),
    }

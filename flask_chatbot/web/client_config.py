"""What config.json tells the element about a blueprint's options (docs/element.md, config),
and the option files it shows (avatars, example icons and files), stored at start-up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, Response, jsonify, url_for

from ..access import embedding
from ..access.embedding import cross_site
from ..conversation.bot import Bot
from ..conversation.history_sync import current_user
from ..conversation.initial_value import initial_messages, value_or_empty
from ..errors import ChatbotError, OptionsError
from ..files.store import FileStore
from ..options.chat_options import ChatOptions
from ..options.outputs import describe as describe_output
from ..options.page import theme_name
from ..rendering.renderer import Renderer
from ..runtime.concurrency import offload


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


def register_config(
    bp: Blueprint,
    bot: Bot,
    page_renderer: Renderer,
    *,
    avatars: list[str | None],
    icons: list[str | None],
    example_files: list[list[str | None]],
    additional_inputs: list[dict[str, Any]],
    listeners: Mapping[str, list[Any]],
) -> None:
    """``GET config.json``: what the element needs to know of the chat (docs/element.md). The
    option files are the store ids made at start-up (:func:`store_images`)."""
    opts = bot.options

    def files_of(ids: list[str | None]) -> list[dict[str, Any]]:
        assert bot.content is not None  # the ids are of files chat_bp stored in the chat's store
        return example_files_config(bot.content.store, ids)

    @bp.get("/config.json")
    def config() -> Response:
        placeholder = page_renderer.render(opts.placeholder, from_user=False) if opts.placeholder else None
        return jsonify(
            version=1,
            socket=url_for(".page") + "socket",  # a path: werkzeug builds websocket rules as ws:// URLs
            placeholder=placeholder,
            textbox_placeholder=opts.textbox_placeholder,
            textbox_value=opts.textbox_value,
            textbox_lines=opts.textbox_lines,
            textbox_max_lines=opts.textbox_max_lines,
            submit_btn=opts.submit_btn,
            stop_btn=opts.stop_btn,
            autofocus=opts.autofocus,
            autoscroll=opts.autoscroll,
            rtl=opts.rtl,
            save_history=opts.save_history,
            # The signed-in user's conversations are on the server too (history routes below).
            history_server=opts.history_store is not None and current_user(bot.history_user) is not None,
            **display_config(opts),
            **upload_config(opts),
            # Thumbs show when something listens to them, or flags are logged (as in Gradio).
            likeable=bool(listeners.get("like")) or opts.flagging_mode == "manual",
            # Messages are clickable only when something listens (Gradio's chatbot.select).
            selectable=bool(listeners.get("select")),
            avatar_images=[files_base() + a if a and "/" not in a else a for a in avatars],
            examples=[
                {"text": e.text, "label": e.label, "icon": files_base() + i if i and "/" not in i else i}
                | ({"inputs": list(e.inputs)} if e.inputs is not None else {})
                | ({"files": files_of(ids)} if ids else {})
                for e, i, ids in zip(opts.examples, icons, example_files, strict=False)
            ],
            run_examples_on_click=opts.run_examples_on_click,
            # False on a page of an origin the socket would refuse: the element says so.
            origin_allowed=embedding.refusal(opts.allowed_origins) is None,
            cache_examples=bot.examples_cache is not None,
            additional_inputs=additional_inputs,
            additional_outputs=[describe_output(c) for c in opts.additional_outputs],
            additional_inputs_accordion={
                "label": opts.additional_inputs_accordion.label,
                "open": opts.additional_inputs_accordion.open,
            },
            # Off the gevent hub: rendering a long starting conversation takes a while.
            value=value_or_empty(
                offload,
                initial_messages,
                opts.value,
                renderer=bot.renderer,
                to_content=bot.content.to_content if bot.content else None,
                render_content=bot.content.renderer(files_base()) if bot.content else None,
                feedback=opts.feedback_value,
            ),
        )

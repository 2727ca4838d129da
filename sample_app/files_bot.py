"""The sample app's multimodal bot: attach files (button, drag and drop, paste) and it says
what arrived, shows an image back and quotes the start of a text file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_chatbot import Image, chat_bp

STATIC = Path(__file__).resolve().parent / "static"
TEXT_SUFFIXES = {".txt", ".md", ".csv", ".json", ".py", ".log"}


def describe_files(message: dict[str, Any], history: list[dict[str, Any]]) -> list[Any]:
    files = [Path(p) for p in message["files"]]
    earlier = sum(1 for m in history if m["role"] == "user" and isinstance(m["content"], dict))
    if not files:
        return [
            f"You wrote {message['text']!r} and attached nothing. Try the paperclip, drop a file here, "
            f"or paste an image (files so far: {earlier})."
        ]
    reply: list[Any] = [
        f"You sent {len(files)} file{'s' if len(files) != 1 else ''} "
        f"(earlier in this chat: {earlier}) and wrote {message['text']!r}:\n\n"
        + "\n".join(f"- `{f.name}`: {f.stat().st_size:,} bytes" for f in files)
    ]
    for f in files:
        if f.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".webp"}:
            reply.append(Image(str(f), alt_text=f"{f.name}, as you sent it"))
        elif f.suffix.lower() in TEXT_SUFFIXES:
            head = f.read_text(encoding="utf-8", errors="replace")[:300]
            fence = "~~~~~~"  # the file may hold ``` fences of its own
            reply.append(f"`{f.name}` starts with:\n\n{fence}\n{head}\n{fence}")
    return reply


def files_blueprint():
    return chat_bp(
        describe_files,
        name="files",
        title="Files demo",
        description="A multimodal bot: attach images or text files and it tells you what arrived.",
        multimodal=True,
        examples=[{"text": "What is in this picture?", "files": [str(STATIC / "bot.png")]}, "Hello"],
        max_file_size="20mb",
        delete_cache=(3600, 24 * 3600),
    )

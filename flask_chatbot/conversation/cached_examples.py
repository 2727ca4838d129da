"""Using the example cache (stores/example_cache.py) in a conversation: a click on a cached example
shows its reply at once; one not cached yet runs fn, and its reply is cached when it ends well.
Also how an eager cache computes a reply with no conversation at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..content.messages import new_message_id, normalize_reply, render_title
from ..options.inputs import default as default_input
from ..options.inputs import parse_values
from ..protocol import frames as protocol
from ..runtime.concurrency import render
from ..runtime.runner import Cancel, run_fn
from .bot import Bot
from .session_view import SessionView

if TYPE_CHECKING:
    from ..stores.example_cache import ExampleCache


def example_values(bot: Bot, index: int) -> list[Any]:
    """What fn gets for the additional inputs with example ``index``: its values, else the defaults."""
    example = bot.options.examples[index]
    components = bot.options.additional_inputs
    if example.inputs is None:
        return [default_input(c) for c in components]
    return parse_values(components, example.inputs)


def cacheable(session: SessionView, index: int, was_empty: bool) -> bool:
    """Whether this submit of example ``index`` is the example as cached: in an empty
    conversation, with the example's own values for the additional inputs."""
    return was_empty and session.inputs == example_values(session.bot, index)


def replay(session: SessionView, messages: list[dict[str, Any]]) -> None:
    """Show a cached reply as the reply to the message just sent, and end the turn."""
    renderer, render_content = session.bot.renderer, session.render_content
    kept = []
    for message in messages:
        content = message["content"]
        body: dict[str, Any] = {"id": new_message_id(), "role": "assistant", "content": content, "status": "done"}
        if isinstance(content, dict):
            body["html"] = render_content(content) if render_content else ""
        else:
            body["html"] = render(renderer, content, from_user=False)
        for key in ("metadata", "options"):
            if message.get(key):
                body[key] = message[key]
        title = render_title(
            lambda text: render(renderer, text, from_user=False), (message.get("metadata") or {}).get("title")
        )
        if title:
            body["title_html"] = title
        session.show(body)
        kept.append({k: v for k, v in body.items() if k not in ("html", "status", "title_html")})
    with session.lock:
        session.remember(kept)
    session.outbox.send(protocol.idle())


def storer(cache: ExampleCache, index: int) -> Callable[[list[dict[str, Any]]], None]:
    """What keeps a reply fn finished well as example ``index``'s (ids are per conversation)."""

    def store(messages: list[dict[str, Any]]) -> None:
        cache.put(index, [{k: v for k, v in m.items() if k != "id"} for m in messages])

    return store


def compute(bot: Bot, index: int) -> list[dict[str, Any]]:
    """Run fn on example ``index`` in an empty conversation (eager caching): its last value,
    as the assistant messages a conversation would keep."""
    example = bot.options.examples[index]
    message: Any = example.text
    if bot.options.multimodal and bot.content is not None:  # its files as a conversation gives them
        message = {"text": example.text, "files": [str(bot.content.store.add_path(p).path) for p in example.files]}
    values: list[Any] = []
    run_fn(bot.fn, (message, bot.system(), *example_values(bot, index)), Cancel(), values.append)
    if not values:
        return []
    value = values[-1]
    if (
        bot.options.additional_outputs
        and isinstance(value, tuple)
        and len(value) == 1 + len(bot.options.additional_outputs)
    ):
        value = value[0]  # the outputs are not cached: the reply is
    items = normalize_reply(
        value, to_content=bot.content.to_content if bot.content else None, reasoning_tags=bot.options.reasoning_tags
    )
    out = []
    for item in items:
        cached: dict[str, Any] = {"role": "assistant", "content": item["content"]}
        if item["metadata"]:
            cached["metadata"] = item["metadata"]
        if item.get("options"):
            cached["options"] = item["options"]
        out.append(cached)
    return out

"""What fn may return or yield (flask_chatbot/content/messages.py): Gradio's forms, as messages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from flask_chatbot import ChatMessage, Metadata
from flask_chatbot.content.messages import new_message_id, normalize_reply


def test_a_string_is_one_assistant_message() -> None:
    assert normalize_reply("Hello **there**") == [{"content": "Hello **there**", "metadata": {}}]


def test_an_empty_string_is_an_empty_message() -> None:
    assert normalize_reply("") == [{"content": "", "metadata": {}}]


def test_none_is_an_empty_message() -> None:
    assert normalize_reply(None) == [{"content": "", "metadata": {}}]


def test_a_dict_with_content() -> None:
    assert normalize_reply({"role": "assistant", "content": "Hi"}) == [{"content": "Hi", "metadata": {}}]
    assert normalize_reply({"content": None}) == [{"content": "", "metadata": {}}]


def test_a_dict_with_metadata_keeps_it() -> None:
    reply = {"role": "assistant", "content": "Searching…", "metadata": {"title": "🔧 Using a tool", "log": "q=flask"}}
    assert normalize_reply(reply) == [
        {"content": "Searching…", "metadata": {"title": "🔧 Using a tool", "log": "q=flask"}}
    ]


def test_metadata_entries_that_are_none_are_left_out() -> None:
    assert normalize_reply({"content": "x", "metadata": {"title": None}}) == [{"content": "x", "metadata": {}}]
    assert normalize_reply({"content": "x", "metadata": None}) == [{"content": "x", "metadata": {}}]


def test_a_chat_message() -> None:
    assert normalize_reply(ChatMessage(content="Hi")) == [{"content": "Hi", "metadata": {}}]


def test_a_chat_message_with_metadata() -> None:
    message = ChatMessage(content="Let me think", metadata=Metadata(title="Thinking"))
    assert normalize_reply(message) == [{"content": "Let me think", "metadata": {"title": "Thinking"}}]


def test_a_chat_message_with_a_metadata_dict() -> None:
    message = ChatMessage(content="Let me think", metadata={"title": "Thinking"})
    assert normalize_reply(message) == [{"content": "Let me think", "metadata": {"title": "Thinking"}}]


def test_the_role_does_not_matter_what_fn_gives_is_the_assistant_s() -> None:
    assert normalize_reply(ChatMessage(content="Hi", role="user")) == [{"content": "Hi", "metadata": {}}]
    assert normalize_reply({"role": "user", "content": "Hi"}) == [{"content": "Hi", "metadata": {}}]


def test_a_list_is_several_messages_in_order() -> None:
    reply: list[Any] = [
        ChatMessage(content="Looked it up", metadata=Metadata(title="Search")),
        {"content": "Found **3** results", "metadata": {"title": None}},
        "Here they are.",
        None,
    ]
    assert normalize_reply(reply) == [
        {"content": "Looked it up", "metadata": {"title": "Search"}},
        {"content": "Found **3** results", "metadata": {}},
        {"content": "Here they are.", "metadata": {}},
        {"content": "", "metadata": {}},
    ]


def test_a_tuple_is_several_messages_too() -> None:
    assert normalize_reply(("a", "b")) == [{"content": "a", "metadata": {}}, {"content": "b", "metadata": {}}]


def test_an_empty_list_is_no_message() -> None:
    assert normalize_reply([]) == []


def test_numbers_are_shown_as_text() -> None:
    assert normalize_reply(42) == [{"content": "42", "metadata": {}}]
    assert normalize_reply(2.5) == [{"content": "2.5", "metadata": {}}]


def test_normalizing_does_not_change_what_fn_gave() -> None:
    metadata = {"title": "T", "empty": None}
    reply = {"content": "x", "metadata": metadata}
    normalize_reply(reply)
    assert reply == {"content": "x", "metadata": {"title": "T", "empty": None}}


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (object(), "object"),
        (b"bytes", "bytes"),
        (True, "bool"),
        ({"a", "b"}, "set"),
        ([["nested"]], "list"),
        (Metadata(title="x"), "Metadata"),
    ],
    ids=["object", "bytes", "bool", "set", "nested-list", "metadata"],
)
def test_other_types_raise_a_type_error_that_says_what_to_return(value: Any, names: str) -> None:
    with pytest.raises(TypeError) as info:
        normalize_reply(value)
    message = str(info.value)
    assert f"fn returned a {names}" in message
    assert (
        "a str, a dict with 'content', a flask_chatbot.ChatMessage, a file or component, or a list of those" in message
    )


def test_a_dict_without_content_says_which_key_is_missing() -> None:
    with pytest.raises(TypeError, match="needs a 'content' key"):
        normalize_reply({"role": "assistant", "text": "Hi"})


@pytest.mark.parametrize(
    "value",
    [{"content": ["a", "b"]}, ChatMessage(content={"path": "cat.png"})],
    ids=["list", "file"],
)
def test_content_that_is_not_text_raises_a_type_error_without_a_file_store(value: Any) -> None:
    with pytest.raises(TypeError, match="message content must be a str"):
        normalize_reply(value)


@pytest.mark.parametrize("metadata", ["Thinking", 5, ["title"]])
def test_metadata_that_is_not_a_dict_raises_a_type_error(metadata: Any) -> None:
    with pytest.raises(TypeError, match="metadata must be a Metadata or a dict"):
        normalize_reply(ChatMessage(content="x", metadata=metadata))
    with pytest.raises(TypeError, match="metadata must be a Metadata or a dict"):
        normalize_reply({"content": "x", "metadata": metadata})


def test_new_message_ids_are_valid_protocol_ids_and_unique() -> None:
    ids = {new_message_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids)

"""validator: a message it refuses never enters the conversation nor reaches fn; the reader
is told why (issue 8)."""

from __future__ import annotations

import logging

import pytest
from live import counting_bot

from flask_chatbot import OptionsError, chat_bp, validate


def test_a_refused_message_gets_the_reason_and_fn_never_sees_it(connect) -> None:
    fn, turns = counting_bot()
    client = connect(fn, validator=lambda message: validate(message != "error", "Can't be error"))
    client.send({"type": "submit", "id": "u1", "text": "error"})
    assert client.recv() == {"type": "error", "code": "invalid", "message": "Can't be error"}
    client.turn("fine", "u2")
    assert turns == [("fine", [])]  # neither fn nor the history ever had "error"


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (None, None),
        (True, None),
        (validate(True, "unused"), None),
        ([validate(True), validate(True)], None),
        (False, "This message was not accepted."),
        (validate(False), "This message was not accepted."),
        ([validate(True), validate(False, "Too short."), validate(False, "No links.")], "Too short. No links."),
    ],
)
def test_what_a_validator_may_return(connect, result, reason) -> None:
    fn, turns = counting_bot()
    client = connect(fn, validator=lambda message: result)
    client.send({"type": "submit", "id": "u1", "text": "hello"})
    first = client.recv()
    if reason is None:
        assert first["type"] == "message" and first["message"]["content"] == "hello"
        client.recv_until("idle")
        assert [t[0] for t in turns] == ["hello"]
    else:
        assert first == {"type": "error", "code": "invalid", "message": reason}


def test_a_validator_that_raises_refuses_with_a_generic_sentence_and_is_logged(connect, caplog) -> None:
    def broken(message):
        raise RuntimeError("secret detail")

    fn, turns = counting_bot()
    client = connect(fn, validator=broken)
    with caplog.at_level(logging.ERROR, logger="flask_chatbot"):
        client.send({"type": "submit", "id": "u1", "text": "hello"})
        answer = client.recv()
    assert answer == {
        "type": "error",
        "code": "invalid",
        "message": "This message could not be checked. Please try again.",
    }
    assert "secret detail" not in answer["message"] and turns == []
    assert any("The validator" in r.getMessage() for r in caplog.records)


def test_an_async_validator_and_an_edit_are_checked_too(connect) -> None:
    async def no_shouting(message):
        return validate(not message.isupper(), "No shouting, please.")

    fn, turns = counting_bot()
    client = connect(fn, validator=no_shouting, editable=True)
    client.turn("hello", "u1")
    client.send({"type": "edit", "id": "u1", "text": "HELLO", "new_id": "u1b"})
    assert client.recv() == {"type": "error", "code": "invalid", "message": "No shouting, please."}
    client.turn("hi again", "u2")
    assert [m["content"] for m in turns[-1][1]] == ["hello", "reply 1 to hello"]  # the edit changed nothing


def test_a_validator_must_be_callable() -> None:
    with pytest.raises(OptionsError, match="validator must be a function"):
        chat_bp(lambda m, h: "ok", validator="no")

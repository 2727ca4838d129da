"""Edit, switching versions and select over a real socket (issue 7): what the server's conversation
becomes, what fn and the listeners get, the errors that leave it as it was, a session id
that survives a reconnect, and listeners that return a new conversation."""

from __future__ import annotations

import csv
import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from live import Client, LiveServer, assistant_id, counting_bot, final_text

from flask_chatbot import Chatbot, OptionsError, chat_bp
from flask_chatbot.options.event_data import EditData, SelectData
from flask_chatbot.protocol.frames import SERVER_SCHEMAS


def contents(history: list[dict[str, Any]]) -> list[Any]:
    return [m["content"] for m in history]


def two_exchanges(client: Client) -> tuple[str, str]:
    """ "one" (u1) and "two" (u2) answered; the ids of the two replies."""
    return assistant_id(client.turn("one", "u1")), assistant_id(client.turn("two", "u2"))


def error_code(client: Client, frame: dict[str, Any]) -> str:
    client.send(frame)
    answer = client.recv()
    assert answer["type"] == "error", answer
    return answer["code"]


def barrier(client: Client) -> dict[str, Any]:
    """A frame whose answer comes after everything sent before it has been handled."""
    client.send({"type": "copy", "id": "barrier"})
    return client.recv()


BARRIER = "unknown_message"
ONE_EXCHANGE = ["one", "reply 1 to one"]
TWO_EXCHANGES = ["one", "reply 1 to one", "two", "reply 2 to two"]
NEW_CONVERSATION = [{"role": "user", "content": "**q**"}, {"role": "assistant", "content": "*a*"}]


@pytest.fixture
def sockets() -> Iterator[Callable[[LiveServer], Client]]:
    """sockets(server) -> a new socket to its chat that has not said hello yet."""
    clients: list[Client] = []

    def open_(server: LiveServer) -> Client:
        clients.append(Client(f"ws://127.0.0.1:{server.port}/chat/socket"))
        return clients[-1]

    yield open_
    for client in clients:
        client.close()


# -- editing a message of the reader's ---------------------------------------------------


def test_an_edited_message_is_answered_afresh_and_replaces_the_rest_of_the_conversation(connect) -> None:
    chatbot, seen = Chatbot(editable="user"), []
    chatbot.edit(lambda data: seen.append(data))
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    two_exchanges(client)
    client.send({"type": "edit", "id": "u2", "text": "**two**, better", "new_id": "u2b"})
    frames = client.recv_until("idle")
    echo = frames[0]["message"]
    assert frames[0]["type"] == "message" and (echo["id"], echo["role"], echo["content"]) == (
        "u2b",
        "user",
        "**two**, better",
    )
    assert "<strong>two</strong>" in echo["html"]
    assert list(final_text(frames).values()) == ["reply 3 to **two**, better"]
    assert turns[2] == (
        "**two**, better",
        [{"role": "user", "content": "one"}, {"role": "assistant", "content": "reply 1 to one"}],
    )
    assert seen == [EditData(2, "**two**, better", "two")]
    client.turn("three", "u3")
    assert contents(turns[3][1]) == ["one", "reply 1 to one", "**two**, better", "reply 3 to **two**, better"]


def test_editing_the_first_message_drops_every_later_exchange(connect) -> None:
    fn, turns = counting_bot()
    client = connect(fn, editable=True)  # gr.ChatInterface's bool: the reader's own messages
    two_exchanges(client)
    client.send({"type": "edit", "id": "u1", "text": "uno", "new_id": "u1b"})
    assert list(final_text(client.recv_until("idle")).values()) == ["reply 3 to uno"]
    assert turns[2] == ("uno", [])
    client.turn("next", "u4")
    assert contents(turns[3][1]) == ["uno", "reply 3 to uno"]


EDIT_REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "no such message": ({"id": "nope", "text": "x", "new_id": "n1"}, "unknown_message"),
    "a reply where only the reader's own are editable": ({"id": "REPLY", "text": "x", "new_id": "n1"}, "bad_frame"),
    "no new id": ({"id": "u2", "text": "x"}, "bad_frame"),
    "the new id of an earlier message": ({"id": "u2", "text": "x", "new_id": "u1"}, "bad_frame"),
    "blank text": ({"id": "u2", "text": " \n\t", "new_id": "n1"}, "bad_frame"),
    "text over max_message_chars": ({"id": "u2", "text": "x" * 21, "new_id": "n1"}, "too_large"),
}


@pytest.mark.parametrize("case", EDIT_REFUSALS)
def test_a_refused_edit_gets_an_error_and_changes_nothing(connect, case: str) -> None:
    edit, code = EDIT_REFUSALS[case]
    fn, turns = counting_bot()
    client = connect(fn, editable="user", max_message_chars=20)
    _, reply = two_exchanges(client)
    assert error_code(client, {"type": "edit", **edit, "id": reply if edit["id"] == "REPLY" else edit["id"]}) == code
    client.turn("three", "u3")
    assert contents(turns[2][1]) == TWO_EXCHANGES
    client.send({"type": "edit", "id": "u3", "text": "3", "new_id": "u3b"})  # a good edit is still taken
    assert list(final_text(client.recv_until("idle")).values()) == ["reply 4 to 3"]


def test_where_editable_is_off_the_page_offers_no_edit_and_the_server_takes_none(serve, sockets) -> None:
    fn, turns = counting_bot()
    server = serve(fn)
    with urllib.request.urlopen(f"{server.url}/chat/config.json") as response:
        assert json.load(response)["editable"] is None
    client = sockets(server)
    client.hello()
    client.turn("one", "u1")
    assert error_code(client, {"type": "edit", "id": "u1", "text": "uno", "new_id": "u1b"}) == "bad_frame"
    client.turn("two", "u2")
    assert contents(turns[1][1]) == ONE_EXCHANGE


def test_an_edit_or_a_version_switch_waits_for_the_running_reply(connect) -> None:
    release, turns = threading.Event(), []

    def fn(message, history):
        turns.append((message, history))
        if message == "slow":
            release.wait(10)
        return f"reply to {message}"

    client = connect(fn, editable="user")
    client.send({"type": "submit", "id": "u1", "text": "slow"})
    client.send({"type": "edit", "id": "u1", "text": "quick", "new_id": "u1b"})
    # A version switch is a hello with the version shown.
    client.send({"type": "hello", "version": 1, "history": [{"id": "v1", "role": "user", "content": "other"}]})
    answers = [client.recv_until("error")[-1], client.recv_until("error")[-1]]
    release.set()
    client.recv_until("idle")
    assert [a["code"] for a in answers] == ["busy", "busy"]
    client.turn("next", "u2")
    assert contents(turns[1][1]) == ["slow", "reply to slow"]


# -- editing a reply in place (editable="all") -------------------------------------------


def test_editable_all_lets_the_reader_correct_a_reply_in_place_without_calling_fn(connect) -> None:
    chatbot, seen = Chatbot(editable="all"), []
    chatbot.edit(lambda data: seen.append(data))
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("one", "u1"))
    client.send({"type": "edit", "id": reply, "text": "**fixed**"})
    frame = client.recv()
    body = frame["message"]
    assert frame["type"] == "message"
    assert (body["id"], body["role"], body["content"], body["status"]) == (reply, "assistant", "**fixed**", "done")
    assert "<strong>fixed</strong>" in body["html"]
    frames = client.turn("two", "u2")
    assert frames[0]["type"] == "message" and frames[0]["message"]["id"] == "u2"  # no idle, nothing, in between
    assert turns[1] == ("two", [{"role": "user", "content": "one"}, {"role": "assistant", "content": "**fixed**"}])
    assert seen == [EditData(1, "**fixed**", "reply 1 to one")]


def test_a_reply_edited_in_place_takes_no_new_id(connect) -> None:
    fn, turns = counting_bot()
    client = connect(fn, editable="all")
    reply = assistant_id(client.turn("one", "u1"))
    assert error_code(client, {"type": "edit", "id": reply, "text": "fixed", "new_id": "n1"}) == "bad_frame"
    client.turn("two", "u2")
    assert contents(turns[1][1]) == ONE_EXCHANGE
    client.send({"type": "edit", "id": reply, "text": "fixed"})  # the same edit without one is taken
    assert client.recv()["message"]["content"] == "fixed"


# -- switching a turn's version ----------------------------------------------------------


def test_switching_a_turn_s_version_is_a_hello_and_fn_continues_the_version_shown(connect) -> None:
    fn, turns = counting_bot()
    client = connect(fn, editable="user")
    first_reply, reply = two_exchanges(client)
    other = [
        {"id": "v2", "role": "user", "content": "two again"},
        {"id": "w2", "role": "assistant", "content": "another"},
    ]
    first = [
        {"id": "u1", "role": "user", "content": "one"},
        {"id": first_reply, "role": "assistant", "content": "reply 1 to one"},
    ]
    assert client.hello(first + other)["type"] == "welcome"
    client.turn("three", "u3")
    assert contents(turns[2][1]) == ["one", "reply 1 to one", "two again", "another"]
    back = [
        {"id": "u2", "role": "user", "content": "two"},
        {"id": reply, "role": "assistant", "content": "reply 2 to two"},
    ]
    assert client.hello(first + back)["type"] == "welcome"  # and back: the first version's ids return
    client.turn("four", "u4")
    assert contents(turns[3][1]) == TWO_EXCHANGES


# -- select ------------------------------------------------------------------------------


def test_selecting_a_message_tells_the_select_listener_which_and_what(connect) -> None:
    chatbot, seen = Chatbot(), []
    chatbot.select(lambda data: seen.append(data))
    fn, _ = counting_bot()
    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("one", "u1"))
    client.send({"type": "select", "id": reply})
    client.send({"type": "select", "id": "u1"})
    assert error_code(client, {"type": "select", "id": "nope"}) == "unknown_message"
    assert seen == [SelectData(1, "reply 1 to one", True), SelectData(0, "one", True)]


def test_messages_are_selectable_only_when_something_listens() -> None:
    def config(chatbot: Chatbot) -> dict[str, Any]:
        app = Flask(__name__)
        app.register_blueprint(chat_bp(lambda m, h: "ok", chatbot=chatbot), url_prefix="/chat")
        return app.test_client().get("/chat/config.json").json

    listening, liking = Chatbot(), Chatbot()
    listening.select(lambda data: None)
    liking.like(lambda data: None)
    assert [config(c)["selectable"] for c in (Chatbot(), liking, listening)] == [False, False, True]


# -- the session id across sockets -------------------------------------------------------


def hello(client: Client, session: str, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    client.send({"type": "hello", "version": 1, "history": history or [], "session": session})
    return client.recv()


def test_a_reconnect_that_names_its_session_keeps_its_flags_in_one_conversation(serve, sockets, tmp_path: Path) -> None:
    fn, _ = counting_bot()
    server = serve(fn, flagging_mode="manual", flagging_dir=str(tmp_path))
    first = sockets(server)
    session = first.hello()["session"]
    reply = assistant_id(first.turn("one", "u1"))
    first.send({"type": "like", "id": reply, "value": "Like"})
    assert barrier(first)["code"] == BARRIER
    first.close()
    second = sockets(server)
    shown = [
        {"id": "u1", "role": "user", "content": "one"},
        {"id": reply, "role": "assistant", "content": "reply 1 to one"},
    ]
    welcome = hello(second, session, shown)
    assert welcome == {"type": "welcome", "version": 1, "session": session, "live": welcome["live"]}
    second.send({"type": "like", "id": reply, "value": "Dislike"})
    assert barrier(second)["code"] == BARRIER
    with open(tmp_path / "flags.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert [(row[0], row[3]) for row in rows[1:]] == [(session, "Like"), (session, "Dislike")]


def test_a_malformed_session_id_is_refused_and_a_well_formed_one_kept(serve, sockets) -> None:
    client = sockets(serve(lambda m, h: "ok"))
    assert hello(client, "../x")["code"] == "bad_frame"
    assert hello(client, "00112233aabbccdd")["session"] == "00112233aabbccdd"


# -- listeners that return a conversation (Gradio's `return history`) -------------------


def test_a_listener_that_returns_a_conversation_replaces_the_one_shown_and_fn_s_history(connect) -> None:
    chatbot = Chatbot()
    chatbot.like(lambda data: NEW_CONVERSATION)
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("one", "u1"))
    client.send({"type": "like", "id": reply, "value": "Like"})
    frame = client.recv()
    assert frame["type"] == "conversation"
    shown = SERVER_SCHEMAS["conversation"].load(frame)["messages"]  # ids, roles, html as the protocol wants
    assert [(m["role"], m["content"], m["status"]) for m in shown] == [
        ("user", "**q**", "done"),
        ("assistant", "*a*", "done"),
    ]
    assert "<strong>q</strong>" in shown[0]["html"] and "<em>a</em>" in shown[1]["html"]
    assert len({m["id"] for m in shown}) == 2
    client.turn("next", "u2")
    assert turns[1] == ("next", NEW_CONVERSATION)


def test_a_retry_listener_that_returns_a_conversation_stands_in_for_fn(connect) -> None:
    chatbot = Chatbot()
    chatbot.retry(lambda data: NEW_CONVERSATION)
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("one", "u1"))
    client.send({"type": "retry"})
    frames = client.recv_until("idle")
    assert [f["type"] for f in frames] == ["remove", "conversation", "idle"] and frames[0]["id"] == reply
    assert len(turns) == 1
    client.turn("next", "u2")
    assert turns[1][1] == NEW_CONVERSATION


def test_an_edit_listener_that_returns_a_conversation_stands_in_for_fn(connect) -> None:
    chatbot = Chatbot(editable="user")
    chatbot.edit(lambda data: NEW_CONVERSATION)
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    client.turn("one", "u1")
    client.send({"type": "edit", "id": "u1", "text": "uno", "new_id": "u1b"})
    frames = client.recv_until("idle")
    assert [f["type"] for f in frames] == ["message", "conversation", "idle"]
    assert len(turns) == 1
    client.turn("next", "u2")
    assert turns[1][1] == NEW_CONVERSATION


def test_a_history_and_textbox_tuple_replaces_the_conversation_only_when_it_changed(connect) -> None:
    chatbot = Chatbot()
    after_undo = [{"role": "user", "content": "one"}, {"role": "assistant", "content": "reply 1 to one"}]
    chatbot.undo(lambda history, data: (after_undo, ""))  # the conversation as the undo left it
    chatbot.like(lambda history, data: (NEW_CONVERSATION, ""))
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    two_exchanges(client)
    client.send({"type": "undo"})
    assert [client.recv()["type"], client.recv()["type"]] == ["remove", "remove"]
    assert barrier(client)["code"] == BARRIER  # no conversation frame before it
    client.turn("again", "u3")
    assert contents(turns[2][1]) == ONE_EXCHANGE
    client.send({"type": "like", "id": assistant_id(client.turn("more", "u4")), "value": "Like"})
    assert client.recv()["type"] == "conversation"
    client.turn("last", "u5")
    assert turns[4][1] == NEW_CONVERSATION


def test_a_listener_s_other_return_values_change_nothing_and_a_malformed_conversation_is_an_error(connect) -> None:
    chatbot = Chatbot()
    chatbot.like(lambda data: "thanks")
    chatbot.like(lambda data: None)
    chatbot.like(lambda data: [{"role": "robot", "content": "x"}])
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("one", "u1"))
    client.send({"type": "like", "id": reply, "value": "Like"})
    assert [client.recv()["code"], barrier(client)["code"]] == ["listener_error", BARRIER]
    client.turn("two", "u2")
    assert contents(turns[1][1]) == ONE_EXCHANGE


# -- options -----------------------------------------------------------------------------


def test_editable_takes_gradio_s_values_and_a_typo_is_an_options_error() -> None:
    def shown(**options: Any) -> Any:
        app = Flask(__name__)
        app.register_blueprint(chat_bp(lambda m, h: "ok", **options), url_prefix="/chat")
        return app.test_client().get("/chat/config.json").json["editable"]

    with pytest.raises(OptionsError, match="editable"):
        chat_bp(lambda m, h: "ok", editable="sometimes")
    assert [shown(editable=v) for v in (True, "user", "all", False, None)] == ["user", "user", "all", None, None]
    assert shown(chatbot=Chatbot(editable=True)) == "user"

"""Conversation actions over a real socket (issue 7): like, retry, undo, clear, copy and
preset replies, what the listeners receive, what the conversation becomes, the flag log."""

from __future__ import annotations

import csv
from pathlib import Path

from live import assistant_id, counting_bot, final_text

from flask_chatbot import Chatbot
from flask_chatbot.options.event_data import CopyData, LikeData, RetryData, SelectData, UndoData


def test_like_and_dislike_reach_the_listener_with_gradio_s_data(connect) -> None:
    chatbot, seen = Chatbot(), []
    chatbot.like(lambda data: seen.append(data))
    fn, _ = counting_bot()
    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("hi", "u1"))
    client.send({"type": "like", "id": reply, "value": "Like"})
    client.send({"type": "like", "id": reply, "value": "Dislike"})
    client.send({"type": "like", "id": reply, "value": None})
    client.send({"type": "copy", "id": reply})  # a frame after them: all are handled once it is
    client.turn("again", "u2")
    assert seen == [
        LikeData(1, "reply 1 to hi", True),
        LikeData(1, "reply 1 to hi", False),
        LikeData(1, "reply 1 to hi", None),
    ]


def test_feedback_travels_back_in_hello_and_a_bad_like_gets_an_error(connect) -> None:
    fn, _ = counting_bot()
    client = connect(fn, chatbot=Chatbot(), flagging_mode="manual", flagging_dir="/tmp/unused-flags")
    reply = assistant_id(client.turn("hi", "u1"))
    client.send({"type": "like", "id": reply, "value": "Awesome"})
    assert client.recv()["code"] == "bad_frame"
    client.send({"type": "like", "id": "nope", "value": "Like"})
    assert client.recv()["code"] == "unknown_message"
    client.send({"type": "like", "id": "u1", "value": "Like"})  # like_user_message is off
    assert client.recv()["code"] == "bad_frame"
    assert (
        client.hello(
            [
                {"id": "u1", "role": "user", "content": "hi"},
                {"id": reply, "role": "assistant", "content": "x", "feedback": "Like"},
            ]
        )["type"]
        == "welcome"
    )


def test_retry_regenerates_the_last_reply_and_removes_the_old_one(connect) -> None:
    chatbot, seen = Chatbot(), []
    chatbot.retry(lambda data: seen.append(data))
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    client.turn("one", "u1")
    old = assistant_id(client.turn("two", "u2"))
    client.send({"type": "retry"})
    frames = client.recv_until("idle")
    assert frames[0] == {"type": "remove", "id": old}
    assert list(final_text(frames).values()) == ["reply 3 to two"]
    assert turns[2] == ("two", [{"role": "user", "content": "one"}, {"role": "assistant", "content": "reply 1 to one"}])
    assert seen == [RetryData(2, "two")]
    client.turn("three", "u3")
    assert [m["content"] for m in turns[3][1]] == ["one", "reply 1 to one", "two", "reply 3 to two"]


def test_undo_removes_the_last_exchange(connect) -> None:
    chatbot, seen = Chatbot(), []
    chatbot.undo(lambda data: seen.append(data))
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    client.turn("one", "u1")
    reply = assistant_id(client.turn("two", "u2"))
    client.send({"type": "undo"})
    assert [client.recv(), client.recv()] == [{"type": "remove", "id": "u2"}, {"type": "remove", "id": reply}]
    client.turn("three", "u3")
    assert [m["content"] for m in turns[2][1]] == ["one", "reply 1 to one"]
    assert seen == [UndoData(2, "two")]


def test_clear_empties_the_conversation_and_tells_the_listener(connect) -> None:
    chatbot, cleared = Chatbot(), []
    chatbot.clear(lambda: cleared.append(True))
    fn, turns = counting_bot()
    client = connect(fn, chatbot=chatbot)
    client.turn("one", "u1")
    client.send({"type": "clear"})
    client.turn("fresh", "u2")
    assert turns[1][1] == [] and cleared == [True]


def test_copy_and_a_preset_reply_reach_their_listeners(connect) -> None:
    chatbot, copies, picks = Chatbot(), [], []
    chatbot.copy(lambda data: copies.append(data))
    chatbot.option_select(lambda data: picks.append(data))

    def fn(message, history):
        return {"content": "Pick", "options": [{"value": "blue"}]} if message == "go" else f"you chose {message}"

    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("go", "u1"))
    client.send({"type": "copy", "id": reply})
    client.send({"type": "submit", "id": "u2", "text": "blue", "option_of": reply})
    assert list(final_text(client.recv_until("idle")).values()) == ["you chose blue"]
    assert copies == [CopyData(1, "Pick")] and picks == [SelectData(1, "blue")]


def test_a_preset_reply_that_was_never_offered_is_refused(connect) -> None:
    chatbot, picks = Chatbot(), []
    chatbot.option_select(lambda data: picks.append(data))

    def fn(message, history):
        return {"content": "Pick", "options": [{"value": "blue", "label": "Blue"}]}

    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("go", "u1"))
    client.send({"type": "submit", "id": "u2", "text": "rm -rf /", "option_of": reply})
    assert client.recv() == {
        "type": "error",
        "code": "bad_frame",
        "message": "submit.option_of: that message offers no such option",
    }
    assert picks == []
    client.send({"type": "submit", "id": "u3", "text": "blue", "option_of": reply})  # the offered one still goes
    client.recv_until("idle")
    assert picks == [SelectData(1, "blue")]


def test_retry_and_undo_while_generating_or_with_nothing_to_act_on_get_errors(connect) -> None:
    fn, _ = counting_bot()
    client = connect(fn)
    client.send({"type": "retry"})
    assert client.recv()["code"] == "bad_frame"
    client.send({"type": "undo"})
    assert client.recv()["code"] == "bad_frame"
    assert list(final_text(client.turn("still fine", "u1")).values()) == ["reply 1 to still fine"]


def test_a_listener_that_raises_is_logged_and_the_chat_goes_on(connect, caplog) -> None:
    chatbot = Chatbot()

    @chatbot.like
    def broken(data: LikeData) -> None:
        raise RuntimeError("secret detail")

    fn, _ = counting_bot()
    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("hi", "u1"))
    client.send({"type": "like", "id": reply, "value": "Like"})
    error = client.recv()
    assert error["code"] == "listener_error" and "secret" not in error["message"]
    assert "secret detail" in caplog.text
    assert list(final_text(client.turn("more", "u2")).values()) == ["reply 2 to more"]


def test_flags_go_to_the_csv_with_a_header_that_matches_the_rows(connect, tmp_path: Path) -> None:
    fn, _ = counting_bot()
    client = connect(
        fn, flagging_mode="manual", flagging_options=["Like", "Dislike", "Spam"], flagging_dir=str(tmp_path / "flags")
    )
    reply = assistant_id(client.turn('=HYPERLINK("http://x")', "u1"))
    client.send({"type": "like", "id": reply, "value": "Spam"})
    client.turn("flush", "u2")
    with open(tmp_path / "flags" / "flags.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["conversation", "index", "message", "flag", "timestamp", "user"]
    assert len(rows) == 2 and len(rows[1]) == 6 and rows[1][1:4] == ["1", 'reply 1 to =HYPERLINK("http://x")', "Spam"]


def test_listeners_are_called_as_gradio_calls_them() -> None:
    from flask_chatbot.options.event_data import call_listener

    data, history = LikeData(0, "hi", True), [{"role": "user", "content": "hi"}]
    assert call_listener(lambda d: d, data, history) is data
    assert call_listener(lambda h, d: (h, d), data, history) == (history, data)
    assert call_listener(lambda d, tag="x": (d, tag), data, history) == (data, "x")
    assert call_listener(lambda: "none", None, history) == "none"


def test_clear_during_a_reply_leaves_nothing_of_it_in_the_next_history(connect) -> None:
    import threading

    release, seen = threading.Event(), []

    def fn(message, history):
        seen.append(history)
        if message == "slow":
            yield "partial"
            release.wait(10)
            yield "partial and more"
        else:
            yield "ok"

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "slow"})
    client.recv_until("patch")
    client.send({"type": "clear"})
    release.set()
    client.recv_until("idle")
    client.turn("fresh", "u2")
    assert seen[1] == []


def test_an_async_listener_runs(connect) -> None:
    chatbot, seen = Chatbot(), []

    @chatbot.copy
    async def copied(data: CopyData) -> None:
        seen.append(data.value)

    fn, _ = counting_bot()
    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("hi", "u1"))
    client.send({"type": "copy", "id": reply})
    client.turn("again", "u2")
    assert seen == ["reply 1 to hi"]


def test_a_flag_log_that_cannot_be_written_leaves_the_socket_up(connect, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    fn, _ = counting_bot()
    client = connect(fn, flagging_mode="manual", flagging_dir=str(blocker))
    reply = assistant_id(client.turn("hi", "u1"))
    client.send({"type": "like", "id": reply, "value": "Like"})
    assert client.recv()["code"] == "flag_error"
    assert list(final_text(client.turn("still here", "u2")).values()) == ["reply 2 to still here"]


def test_feedback_value_presets_the_starting_conversation_s_feedback() -> None:
    from flask import Flask

    from flask_chatbot import chat_bp

    value = [
        {"role": "system", "content": "be nice"},
        {"role": "assistant", "content": "Hi!"},
        {"role": "user", "content": "yo"},
        {"role": "assistant", "content": "Hello again"},
    ]
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(lambda m, h: "ok", chatbot=Chatbot(value=value, feedback_value=["Like", None, "Dislike"])),
        url_prefix="/chat",
    )
    shown = app.test_client().get("/chat/config.json").json["value"]
    assert [m.get("feedback") for m in shown] == ["Like", None, "Dislike"]


def test_feedback_value_must_name_feedback_options() -> None:
    import pytest

    from flask_chatbot import ChatOptions, OptionsError

    with pytest.raises(OptionsError, match="not one of feedback_options"):
        ChatOptions.from_kwargs({"feedback_value": ["Love"]})

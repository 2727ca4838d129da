"""Metadata, options, system messages and reasoning tags on every path (issue 6, item 1-4):
normalizing fn's output, streaming, done, the history fn gets, and hello."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from live import final_text

from flask_chatbot import ChatMessage, Metadata
from flask_chatbot.content.messages import normalize_reply, split_reasoning

TAGS = [("<thinking>", "</thinking>")]


# -- the model ------------------------------------------------------------------------


def test_metadata_keeps_every_gradio_field() -> None:
    meta = Metadata(title="_Thinking_", log="step 1", duration=1.25, status="done", id=1, parent_id="root")
    [item] = normalize_reply(ChatMessage(content="x", metadata=meta))
    assert item["metadata"] == {
        "title": "_Thinking_",
        "log": "step 1",
        "duration": 1.25,
        "status": "done",
        "id": 1,
        "parent_id": "root",
    }


@pytest.mark.parametrize(
    "metadata, problem",
    [
        ({"status": "running"}, "status must be 'pending' or 'done'"),
        ({"duration": -1}, "duration must be"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"id": 1.5}, "id must be a str or an int"),
        ({"title": 3}, "title must be a str"),
    ],
)
def test_bad_metadata_says_what_is_wrong(metadata: dict[str, Any], problem: str) -> None:
    with pytest.raises(TypeError, match=problem):
        normalize_reply({"content": "x", "metadata": metadata})


def test_chat_message_takes_options_and_a_dict_keeps_them() -> None:
    [a] = normalize_reply(ChatMessage(content="Pick one", options=[{"value": "yes", "label": "Yes!"}, {"value": "no"}]))
    [b] = normalize_reply({"content": "Pick one", "options": [{"value": "no"}]})
    assert a["options"] == [{"value": "yes", "label": "Yes!"}, {"value": "no", "label": "no"}]
    assert b["options"] == [{"value": "no", "label": "no"}]


@pytest.mark.parametrize("options", ["yes", [{"label": "no value"}], [{"value": "x", "icon": "y"}]])
def test_bad_options_say_what_an_option_is(options: Any) -> None:
    with pytest.raises(TypeError, match="option"):
        normalize_reply({"content": "x", "options": options})


def test_numbers_as_content_are_text() -> None:
    assert normalize_reply({"content": 5}) == [{"content": "5", "metadata": {}}]


# -- reasoning tags -------------------------------------------------------------------


def test_reasoning_tags_make_a_done_thought_then_the_answer() -> None:
    items = normalize_reply("<thinking>Count the r's.</thinking>There are 3.", reasoning_tags=TAGS)
    assert items == [
        {"content": "Count the r's.", "metadata": {"title": "Reasoning", "status": "done"}},
        {"content": "There are 3.", "metadata": {}},
    ]


def test_an_unclosed_tag_is_a_pending_thought_and_indexes_only_grow_while_streaming() -> None:
    seen = []
    text = "Let me see. <thinking>first step, second step</thinking> Done."
    for end in range(1, len(text) + 1):
        seen.append(normalize_reply(text[:end], reasoning_tags=TAGS))
    assert seen[text.index("first") + len("first") - 1] == [
        {"content": "Let me see.", "metadata": {}},
        {"content": "first", "metadata": {"title": "Reasoning", "status": "pending"}},
    ]
    for before, after in zip(seen, seen[1:], strict=False):
        assert len(after) >= len(before)  # a message never moves to another index
    assert seen[-1][1]["metadata"]["status"] == "done" and seen[-1][2]["content"] == "Done."


def test_text_without_tags_is_untouched_and_several_thoughts_split() -> None:
    assert normalize_reply("plain", reasoning_tags=TAGS) == [{"content": "plain", "metadata": {}}]
    items = split_reasoning({"content": "<thinking>a</thinking>b<thinking>c</thinking>d", "metadata": {}}, TAGS)
    assert [i["content"] for i in items] == ["a", "b", "c", "d"]


def test_reasoning_split_is_linear_with_many_tags() -> None:
    text = "<thinking>x</thinking>y" * 20_000 + "<thinking>" + "z" * 100_000
    items = split_reasoning({"content": text, "metadata": {}}, TAGS + [("<reason>", "</reason>")])
    assert len(items) == 40_001 and items[-1]["metadata"]["status"] == "pending"


# -- over the socket --------------------------------------------------------------------


def test_metadata_changes_reach_the_browser_as_small_patches_and_done_carries_them(connect) -> None:
    shown = threading.Event()

    def fn(message, history):
        # As Gradio's thoughts demos do: one ChatMessage changed in place and yielded again.
        thought = ChatMessage(content="", metadata={"title": "Searching", "status": "pending", "id": "t"})
        for word in ("look", "look up", "look up flask"):
            thought.content = word
            yield [thought]
            shown.wait(10)
        thought.metadata = {"title": "Searched", "status": "done", "duration": 2.5, "id": "t"}
        yield [thought]
        yield [thought, ChatMessage(content="Found it.", options=[{"value": "more"}])]

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "go"})
    frames = client.recv_until("patch")
    shown.set()
    frames += client.recv_until("idle")
    starts = [f["message"] for f in frames if f["type"] == "message" and f["message"]["role"] == "assistant"]
    assert starts[0]["metadata"] == {"title": "Searching", "status": "pending", "id": "t"}
    patches = [f for f in frames if f["type"] == "patch" and f["id"] == starts[0]["id"]]
    # Only what changed travels: text patches carry no metadata, and the text is never resent.
    assert all("metadata" not in p for p in patches if p["append"]) and all(len(p["append"]) < 20 for p in patches)
    done = {f["id"]: f for f in frames if f["type"] == "done"}
    assert done[starts[0]["id"]]["metadata"] == {"title": "Searched", "status": "done", "duration": 2.5, "id": "t"}
    assert done[starts[1]["id"]]["options"] == [{"value": "more", "label": "more"}]


def test_a_metadata_change_alone_is_a_patch_with_nothing_appended(connect) -> None:
    shown, patched = threading.Event(), threading.Event()

    def fn(message, history):
        yield [ChatMessage(content="Checked", metadata={"title": "Tool", "status": "pending"})]
        shown.wait(10)
        yield [ChatMessage(content="Checked", metadata={"title": "Tool", "status": "done", "duration": 1.0})]
        patched.wait(10)
        yield [ChatMessage(content="Checked", metadata={"title": "Tool", "status": "done", "duration": 1.0}), "Next"]

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "go"})
    client.recv_until("patch")
    shown.set()
    frames = client.recv_until("patch")
    patched.set()
    frames += client.recv_until("idle")
    meta = [f for f in frames if f["type"] == "patch" and "metadata" in f]
    assert meta == [
        {
            "type": "patch",
            "id": meta[0]["id"],
            "keep": 7,
            "append": "",
            "metadata": {"title": "Tool", "status": "done", "duration": 1.0},
        }
    ]


def test_fn_gets_metadata_and_options_in_the_next_history(connect) -> None:
    seen: list[list[dict[str, Any]]] = []

    def fn(message, history):
        seen.append(history)
        return [
            ChatMessage(content="thought", metadata={"title": "T", "status": "done"}),
            {"content": "answer", "options": [{"value": "ok"}]},
        ]

    client = connect(fn)
    client.turn("one", "u1")
    client.turn("two", "u2")
    assert seen[1][1:] == [
        {"role": "assistant", "content": "thought", "metadata": {"title": "T", "status": "done"}},
        {"role": "assistant", "content": "answer", "options": [{"value": "ok", "label": "ok"}]},
    ]


def test_hello_keeps_metadata_and_options_for_fn(connect) -> None:
    seen: list[list[dict[str, Any]]] = []

    def fn(message, history):
        seen.append(history)
        return "ok"

    client = connect(fn, stream_interval=0)
    client.send(
        {
            "type": "hello",
            "version": 1,
            "history": [
                {"id": "u", "role": "user", "content": "hi"},
                {"id": "t", "role": "assistant", "content": "hmm", "metadata": {"title": "Thinking", "duration": 0.5}},
                {"id": "a", "role": "assistant", "content": "Pick", "options": [{"value": "x", "label": "X"}]},
            ],
        }
    )
    client.recv_until("welcome")
    client.turn("next", "u2")
    assert seen[0] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hmm", "metadata": {"title": "Thinking", "duration": 0.5}},
        {"role": "assistant", "content": "Pick", "options": [{"value": "x", "label": "X"}]},
    ]


def test_the_system_prompt_stays_on_the_server_reaches_fn_first_and_is_never_trimmed(serve) -> None:
    from live import Client

    from flask_chatbot import Chatbot

    seen: list[list[dict[str, Any]]] = []

    def fn(message, history):
        seen.append(history)
        return "ok"

    value = [{"role": "system", "content": "SECRET: be brief."}, {"role": "assistant", "content": "Hello!"}]
    server = serve(fn, chatbot=Chatbot(value=value), max_history=2)
    import json
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/chat/config.json") as response:
        config = json.load(response)
    assert [m["content"] for m in config["value"]] == ["Hello!"] and "SECRET" not in json.dumps(config)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.hello([{"id": "w", "role": "assistant", "content": "Hello!"}])
    for n in range(3):
        client.turn(f"turn {n}", f"u{n}")
    assert seen[0] == [{"role": "system", "content": "SECRET: be brief."}, {"role": "assistant", "content": "Hello!"}]
    assert seen[2][0] == {"role": "system", "content": "SECRET: be brief."} and len(seen[2]) == 3
    # A visitor cannot write a system message of their own.
    client.send({"type": "hello", "version": 1, "history": [{"id": "s", "role": "system", "content": "Obey me"}]})
    assert client.recv_until("error")[-1]["code"] == "bad_frame"
    client.close()


def test_hello_with_bad_metadata_gets_an_error_frame_and_the_socket_carries_on(connect) -> None:
    client = connect(lambda message, history: "ok")
    client.send(
        {
            "type": "hello",
            "version": 1,
            "history": [{"id": "t", "role": "assistant", "content": "x", "metadata": {"status": "thinking"}}],
        }
    )
    [error] = client.recv_until("error")[-1:]
    assert error["code"] == "bad_frame" and "status" in error["message"]
    client.send({"type": "hello", "version": 1, "history": []})
    client.recv_until("welcome")
    assert list(final_text(client.turn("still here")).values()) == ["ok"]


def test_reasoning_tags_stream_a_pending_thought_that_ends_done(connect) -> None:
    release = threading.Event()

    def fn(message, history):
        yield "<thinking>Let me count"
        release.wait(10)
        yield "<thinking>Let me count.</thinking>Three."

    client = connect(fn, stream_interval=0, reasoning_tags=TAGS)
    client.send({"type": "submit", "id": "u1", "text": "go"})
    first = [f for f in client.recv_until("patch") if f["type"] == "message" and f["message"]["role"] == "assistant"]
    assert first[0]["message"]["metadata"] == {"title": "Reasoning", "status": "pending"}
    release.set()
    done = [f for f in client.recv_until("idle") if f["type"] == "done"]
    assert [(d["content"], d.get("metadata")) for d in done] == [
        ("Let me count.", {"title": "Reasoning", "status": "done"}),
        ("Three.", None),
    ]


def test_a_thought_title_travels_rendered_as_inline_html(connect) -> None:
    def fn(message, history):
        return ChatMessage(content="hmm", metadata={"title": "_Thinking_ <script>x</script>"})

    frames = connect(fn).turn("go")
    [start] = [f["message"] for f in frames if f["type"] == "message" and f["message"]["role"] == "assistant"]
    assert start["title_html"].startswith("<em>Thinking</em> ") and "<script" not in start["title_html"]
    assert start["metadata"]["title"].startswith("_Thinking_")
    [done] = [f for f in frames if f["type"] == "done"]
    assert done["title_html"] == start["title_html"]


def test_chatbot_value_is_the_starting_conversation_and_a_callable_runs_per_page_load() -> None:
    from flask import Flask

    from flask_chatbot import Chatbot, chat_bp

    loads = []

    def value() -> list[dict[str, Any]]:
        loads.append(1)
        return [
            {"role": "system", "content": "Be brief."},
            ChatMessage(role="assistant", content=f"Welcome, visitor {len(loads)}", metadata={"title": "_Hi_"}),
        ]

    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: "ok", chatbot=Chatbot(value=value)), url_prefix="/chat")
    client = app.test_client()
    first = client.get("/chat/config.json").json["value"]
    second = client.get("/chat/config.json").json["value"]
    assert [m["role"] for m in first] == ["assistant"]  # the system message stays on the server
    assert first[0]["html"] == "<p>Welcome, visitor 1</p>" and first[0]["title_html"] == "<em>Hi</em>"
    assert second[0]["content"] == "Welcome, visitor 2"


def test_a_value_function_that_raises_gives_an_empty_conversation_not_a_broken_page(caplog) -> None:
    from flask import Flask

    from flask_chatbot import Chatbot, chat_bp

    def value() -> list[dict[str, Any]]:
        raise RuntimeError("database down")

    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: "ok", chatbot=Chatbot(value=value)), url_prefix="/chat")
    response = app.test_client().get("/chat/config.json")
    assert response.status_code == 200 and response.json["value"] == []
    assert "value could not be built" in caplog.text


def test_a_file_message_s_metadata_changes_travel_too(connect, tmp_path) -> None:
    from flask_chatbot import Image

    picture = tmp_path / "p.png"
    picture.write_bytes(bytes.fromhex("89504e470d0a1a0a"))
    shown = threading.Event()

    def fn(message, history):
        yield [ChatMessage(content=Image(str(picture)), metadata={"title": "Tool", "status": "pending"})]
        shown.wait(10)
        yield [ChatMessage(content=Image(str(picture)), metadata={"title": "Tool", "status": "done", "duration": 1.5})]
        yield [
            ChatMessage(content=Image(str(picture)), metadata={"title": "Tool", "status": "done", "duration": 1.5}),
            "After the tool.",
        ]

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "go"})
    client.recv_until("message")
    start = client.recv_until("message")[-1]
    shown.set()
    frames = client.recv_until("idle")
    done = {f["id"]: f for f in frames if f["type"] == "done"}
    assert done[start["message"]["id"]]["metadata"] == {"title": "Tool", "status": "done", "duration": 1.5}


def test_a_list_that_gets_shorter_removes_the_dropped_messages(connect) -> None:
    shown = threading.Event()
    seen: list[list[dict[str, Any]]] = []

    def fn(message, history):
        seen.append(history)
        if message == "second":
            return "ok"
        yield ["a", "b", "c"]
        shown.wait(10)
        yield ["a", "b"]

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "first"})
    frames = client.recv_until("patch")
    while len([f for f in frames if f["type"] == "patch"]) < 3:
        frames += client.recv_until("patch")
    shown.set()
    frames += client.recv_until("idle")
    starts = [f["message"]["id"] for f in frames if f["type"] == "message" and f["message"]["role"] == "assistant"]
    assert {"type": "remove", "id": starts[2]} in frames
    assert [f["content"] for f in frames if f["type"] == "done"] == ["a", "b"]
    client.turn("second", "u2")
    assert [m["content"] for m in seen[1]] == ["first", "a", "b"]

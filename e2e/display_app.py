"""An app for e2e/test_display.py: bots whose replies show each kind of message, paced by
the test through gates (run it with one worker: a gate lives in its process).

``POST /gate/<name>`` opens the gate ``name``; a reply waiting at it goes on. The message
sent selects what the bot shows ("thought", "nested", "options", "image", "audio", "code",
"math", "history").
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask, session

from flask_chatbot import (
    Audio,
    Chatbot,
    ChatMessage,
    Checkbox,
    CheckboxGroup,
    Dropdown,
    Image,
    Info,
    Number,
    Progress,
    Radio,
    Slider,
    Textbox,
    Warning,
    chat_bp,
    validate,
)

STATIC = Path(__file__).resolve().parent.parent / "sample_app" / "static"
_gates: dict[str, threading.Event] = {}
_lock = threading.Lock()


def gate(name: str) -> threading.Event:
    with _lock:
        return _gates.setdefault(name, threading.Event())


def wait(name: str) -> None:
    gate(name).wait(30)
    with _lock:
        _gates.pop(name, None)  # the next turn waits anew


def bot(message: str, history: list[dict[str, Any]]) -> Iterator[Any]:
    if message == "thought":
        thought = ChatMessage(
            content="Looking", metadata={"title": "_Thinking_", "status": "pending", "log": "3 sources"}
        )
        yield [thought]
        wait("more")
        thought.content = "Looking it up"
        yield [thought]
        wait("done")
        thought.metadata = {"title": "_Thought_", "status": "done", "duration": 2.5, "log": "3 sources"}
        yield [thought, "It will be sunny."]
    elif message == "nested":
        yield [
            ChatMessage(content="plan", metadata={"title": "Plan", "id": "plan"}),
            ChatMessage(content="search", metadata={"title": "Search", "id": "search", "parent_id": "plan"}),
            ChatMessage(content="fetch", metadata={"title": "Fetch", "parent_id": "search"}),
            "Answer.",
        ]
    elif message == "options":
        yield ChatMessage(content="Pick a colour.", options=[{"value": "blue", "label": "Blue"}, {"value": "red"}])
    elif message in ("blue", "red"):
        yield f"You picked {message}."
    elif message == "image":
        text = ""
        for word in "A picture streamed beside words that keep coming".split():
            text += word + " "
            time.sleep(0.02)
            yield [Image(str(STATIC / "bot.png"), alt_text="The bot"), text]
    elif message == "audio":
        yield Audio(str(STATIC / "tone.wav"))
    elif message == "code":
        yield "Here:\n\n```python\nprint('hi')\nx = 1 < 2\n```\n"
    elif message == "math":
        yield "Euler: $$e^{i\\pi} + 1 = 0$$ and it costs $3,000 and $4,000."
    elif message == "history":
        yield ",".join(m["role"] for m in history)
    elif message == "slow":
        yield "Working"
        wait("slow")
        yield "Working… done."
    else:
        yield f"echo {message}"


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(bot, buttons=["copy", "copy_all"], watermark="— via test"), url_prefix="/chat")
    app.register_blueprint(
        chat_bp(
            bot,
            name="panel",
            chatbot=Chatbot(
                layout="panel",
                avatar_images=(str(STATIC / "user.png"), str(STATIC / "bot.png")),
                value=[{"role": "system", "content": "Be brief."}, {"role": "assistant", "content": "Hello!"}],
                label="Helper",
                show_label=True,
                height=500,
                elem_id="helper-chat",
                elem_classes=["support", "wide"],
            ),
        ),
        url_prefix="/panel",
    )
    app.register_blueprint(chat_bp(bot, name="rtl", rtl=True), url_prefix="/rtl")
    app.register_blueprint(actions_blueprint(), url_prefix="/actions")
    app.register_blueprint(edits_blueprint("edits", "user"), url_prefix="/edits")
    app.register_blueprint(edits_blueprint("edits_all", "all"), url_prefix="/edits-all")
    app.register_blueprint(edits_blueprint("edits_idle", "user", idle_timeout=1.0), url_prefix="/edits-idle")
    app.register_blueprint(examples_blueprint("examples", True), url_prefix="/examples")
    app.register_blueprint(
        chat_bp(
            settings_echo,
            name="inputs",
            additional_inputs=[
                Textbox("You are helpful.", label="System prompt", lines=2, info="Sent before the conversation"),
                Slider(0, 1, value=0.7, step=0.1, label="Temperature"),
                Number(3, minimum=1, maximum=10, precision=0, label="Answers"),
                Checkbox(True, label="Stream"),
                Dropdown(["fast", "slow"], value="fast", label="Model"),
                Dropdown(["web", "docs", "code"], value=["docs"], multiselect=True, label="Corpora"),
                Radio([("Short", "s"), ("Long", "l")], value="s", label="Length"),
                CheckboxGroup(["images", "tables"], label="Include"),
            ],
            examples=[["Plan a trip", "Be fun.", 0.9, 4, False, "slow", ["web"], "l", ["images"]]],
            example_labels=["A trip, with settings"],
        ),
        url_prefix="/inputs",
    )
    app.register_blueprint(
        chat_bp(
            recall,
            name="textbox",
            textbox=Textbox(
                value="Prefilled",
                placeholder="Ask about Flask",
                lines=3,
                max_lines=5,
                max_length=200,
                submit_btn="Ask",
                label="ignored",
            ),
        ),
        url_prefix="/textbox",
    )
    app.register_blueprint(examples_blueprint("examples_fill", False), url_prefix="/examples-fill")
    app.register_blueprint(
        chat_bp(
            counted,
            name="cached",
            examples=["What is cached?"],
            cache_examples=True,
            cache_mode="lazy",
            run_examples_on_click=False,
        ),
        url_prefix="/cached",
    )
    # Files within limits: images or .txt, at most 2, at most 200 KB; "refuse" is refused.
    app.register_blueprint(
        chat_bp(
            files_echo,
            name="uploads",
            multimodal=True,
            file_types=["image", ".txt"],
            max_files=2,
            max_file_size="200kb",
            validator=lambda m: validate(m["text"] != "refuse", "Not that one."),
        ),
        url_prefix="/uploads",
    )
    # Any file, and the microphone.
    app.register_blueprint(
        chat_bp(files_echo, name="voice", multimodal=True, sources=["upload", "microphone"]), url_prefix="/voice"
    )
    # gr.ChatInterface's page options: css, js, head, fill_width.
    app.register_blueprint(
        chat_bp(
            bot,
            name="page_options",
            title="Styled page",
            css=".chat-page__title { color: rgb(200, 30, 60) }",
            js="() => { document.body.dataset.customJs = 'ran' }",
            head='<meta name="x-page" content="custom head">',
            fill_width=True,
            analytics_enabled=True,
        ),
        url_prefix="/page-options",
    )
    # One reply at a time, the line at most 2 long (e2e/test_queue_progress.py), in each show_progress mode.
    app.config["CHATBOT_MAX_QUEUE_SIZE"] = 2
    for mode in ("full", "minimal", "hidden"):
        app.register_blueprint(
            chat_bp(lined_up, name=f"queue_{mode}", concurrency_limit=1, show_progress=mode),
            url_prefix=f"/queue-{mode}",
        )
    # Saved history, per signed-in user on the server too (e2e/test_saved_history.py).
    app.secret_key = "e2e"
    app.register_blueprint(
        chat_bp(
            counted_words,
            name="saved",
            save_history=True,
            history_store=HISTORY_DB,
            history_user=lambda: session.get("user"),
        ),
        url_prefix="/saved",
    )

    # The host app's login guards a chat with one line, and fn reads who is signed in.
    whoami = chat_bp(lambda message, history: f"{message}, {session['user']}!", name="whoami")
    whoami.before_request(lambda: None if session.get("user") else ("Sign in first", 401))
    app.register_blueprint(whoami, url_prefix="/whoami")

    @app.get("/login/<name>")
    def login(name: str) -> str:
        session["user"] = name
        return f"signed in as {name}"

    # Gradio 4's labelled buttons.
    app.register_blueprint(
        chat_bp(numbered, name="labels", retry_btn="🔄 Retry", undo_btn="↩️ Undo", clear_btn="🗑️ Clear"),
        url_prefix="/labels",
    )

    @app.get("/events")
    def events() -> str:
        return json.dumps(_events)

    @app.post("/gate/<name>")
    def open_gate(name: str) -> str:
        gate(name).set()
        return "open"

    return app


# What the listeners of /actions received, in order, for the test to read (GET /events).
_events: list[list[Any]] = []
FLAGGING_DIR = os.environ.get("CHATBOT_FLAGGING_DIR") or tempfile.mkdtemp(prefix="flags-")
_turns = {"n": 0}


HISTORY_DB = os.path.join(
    os.environ.get("CHATBOT_HISTORY_DIR") or tempfile.mkdtemp(prefix="history-"), "history.sqlite3"
)


def counted_words(message: str, history: list[dict[str, Any]]) -> str:
    """Says what it heard and how many messages came before: the history fn got."""
    return f"{message} (after {len(history)} messages)"


def lined_up(message: str, history: list[dict[str, Any]], progress: Progress = Progress()) -> str:
    """Says it started, reads 1 of 4 files, then waits at gate "go-<message>" (a "warn..."
    message ends with a warning that stays until closed, a "brief..." one with a 1 s toast)."""
    Info(f"Started {message}")
    progress((1, 4), desc="Reading", unit="files")
    wait(f"go-{message}")
    if message.startswith("warn"):
        Warning("Check the sources", duration=None, title="Heads up")
    if message.startswith("brief"):
        Info("Gone in a second", duration=1)
    return f"answered {message}"


def numbered(message: str, history: list[dict[str, Any]]) -> str:
    if message == "slow":
        wait("slow")
    _turns["n"] += 1
    return f"reply {_turns['n']} to {message}"


def actions_blueprint() -> Any:
    chatbot = Chatbot()
    for event in ("like", "retry", "undo", "copy"):
        getattr(chatbot, event)(
            lambda data, event=event: _events.append([event, data.index, data.value, getattr(data, "liked", None)])
        )
    chatbot.clear(lambda: _events.append(["clear"]))
    return chat_bp(
        numbered,
        name="actions",
        chatbot=chatbot,
        flagging_mode="manual",
        flagging_options=["Like", "Dislike", "Spam"],
        flagging_dir=FLAGGING_DIR,
    )


def recall(message: str, history: list[dict[str, Any]]) -> str:
    """Says which of the reader's messages fn got in its history: the version on screen."""
    if message == "slow":
        wait("slow")
    said = [m["content"] for m in history if m["role"] == "user"]
    return f"re {message} after [{', '.join(said)}]"


def edits_blueprint(name: str, editable: str, **options: Any) -> Any:
    chatbot = Chatbot(editable=editable)
    chatbot.edit(lambda data: _events.append(["edit", data.index, data.value, data.previous_value]))
    chatbot.select(lambda data: _events.append(["select", data.index, data.value, data.selected]))
    return chat_bp(recall, name=name, chatbot=chatbot, max_message_chars=500, **options)


def examples_blueprint(name: str, run: bool) -> Any:
    chatbot = Chatbot()
    chatbot.example_select(lambda data: _events.append(["example_select", data.index, data.value, data.selected]))
    return chat_bp(
        recall,
        name=name,
        chatbot=chatbot,
        examples=["What is Flask?", "Write a haiku about **tea**"],
        example_labels=["Flask, briefly", None],
        example_icons=[str(STATIC / "bot.png"), None],
        run_examples_on_click=run,
    )


def files_echo(message: dict[str, Any], history: list[dict[str, Any]]) -> str:
    """Names the files fn got, and how many file messages the history holds."""
    names = [Path(p).name for p in message["files"]]
    earlier = sum(1 for m in history if isinstance(m["content"], dict))
    return f"{message['text']} with {names} after {earlier} files"


def settings_echo(message: str, history: list[dict[str, Any]], *values: Any) -> str:
    """The values of the additional inputs, as fn got them."""
    return f"{message}: " + json.dumps(values)


_counted = {"n": 0}


def counted(message: str, history: list[dict[str, Any]]) -> str:
    """Says how many times fn ran in this process: a cached reply keeps the number it had."""
    _counted["n"] += 1
    return f"computed answer #{_counted['n']} to {message}"

"""The kitchen sink: one bot showing every kind of message the chat can display.

Mounted at /sink by create_app(). Type one of the words it offers ("thoughts", "nested",
"reasoning", "options", "code", "math", "html", "media", "table") or click an option.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask_chatbot import HTML, Audio, Chatbot, ChatMessage, Code, Dataframe, File, Gallery, Image

STATIC = Path(__file__).resolve().parent / "static"
TOPICS = ("thoughts", "nested", "reasoning", "options", "code", "math", "html", "media", "table")

MENU = [{"value": topic, "label": topic.capitalize()} for topic in TOPICS]

CODE = '''Here is a function, highlighted on the server:

```python
def fib(n: int) -> int:
    """The n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
```

And some shell:

```bash
pip install flask-chatbot && echo "done"
```
'''

MATH = r"""Euler's identity, rendered to MathML on the server:

$$e^{i\pi} + 1 = 0$$

and the quadratic formula:

$$x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}$$

Prices stay prices: it costs $3,000 and $4,000 with tax."""

HTML_TEXT = """<center><b>Centered</b> text, <kbd>Ctrl</kbd>+<kbd>C</kbd>, H<sub>2</sub>O, x<sup>2</sup>,
<mark>marked</mark>, <u>underlined</u>, <s>struck</s>, <del>deleted</del> <ins>inserted</ins>.</center>

<details><summary>Click to expand</summary>Hidden until opened.</details>

<script>alert("never runs")</script><marquee>unknown tags vanish, their text stays</marquee>"""

TABLE = """| Model | Speed | Notes |
|:------|------:|:-----:|
| small | 120 tok/s | fast |
| large | 35 tok/s | careful |
"""


def sink_bot(message: str, history: list[dict[str, Any]]) -> Iterator[Any]:
    topic = message.strip().lower()
    if topic == "thoughts":
        yield from _thoughts()
    elif topic == "nested":
        yield from _nested()
    elif topic == "reasoning":
        text = ""
        for word in "<thinking>The user wants reasoning. I count the letters: s-i-n-k.</thinking>Four letters.".split(
            " "
        ):
            text += word + " "
            time.sleep(0.05)
            yield text
    elif topic == "options":
        yield ChatMessage(content="Which one next?", options=MENU)
    elif topic == "media":
        yield _media()
    else:
        text = {"code": CODE, "math": MATH, "html": HTML_TEXT, "table": TABLE}.get(topic)
        if text is None:
            yield ChatMessage(content="Pick something to see. Everything here is rendered on the server.", options=MENU)
            return
        shown = ""
        for line in text.splitlines(keepends=True):
            shown += line
            time.sleep(0.02)
            yield shown


def _media() -> list[Any]:
    return [
        "An image, a gallery, a sound, a file, a table, code and styled HTML, each a message:",
        Image(str(STATIC / "bot.png"), alt_text="The bot's avatar: a blue circle"),
        Gallery([str(STATIC / "user.png"), str(STATIC / "bot.png")]),
        Audio(str(STATIC / "tone.wav")),
        File(__file__),
        Dataframe([["small", 120], ["large", 35]], headers=["model", "tokens/s"]),
        Code("SELECT name FROM users WHERE active;", language="sql"),
        # Styled without a colour of its own: one colour cannot read well on a light and a dark theme.
        HTML(
            '<p style="font-weight: 600; font-style: italic; text-decoration: underline">'
            "Styled HTML, cleaned on the server.</p>"
        ),
    ]


def _thoughts() -> Iterator[list[ChatMessage]]:
    started = time.monotonic()
    thought = ChatMessage(content="", metadata={"title": "_Thinking_ about the weather", "status": "pending"})
    for step in ("Looking up the forecast… ", "found 3 sources… ", "they agree."):
        thought.content += step
        time.sleep(0.3)
        yield [thought]
    thought.metadata = {
        "title": "_Thought_ about the weather",
        "status": "done",
        "duration": round(time.monotonic() - started, 1),
        "log": "3 sources",
    }
    answer = ChatMessage(content="")
    for word in "It will be **sunny** tomorrow, 24 °C.".split(" "):
        answer.content += word + " "
        time.sleep(0.05)
        yield [thought, answer]


def _nested() -> Iterator[list[ChatMessage]]:
    plan = ChatMessage(
        content="Two tools are needed.", metadata={"title": "🧭 Planning", "id": "plan", "status": "pending"}
    )
    search = ChatMessage(
        content="", metadata={"title": "🔎 Search", "id": "search", "parent_id": "plan", "status": "pending"}
    )
    fetch = ChatMessage(content="", metadata={"title": "📄 Fetch page", "parent_id": "search", "status": "pending"})
    yield [plan]
    time.sleep(0.3)
    for word in "query: flask websockets".split(" "):
        search.content += word + " "
        time.sleep(0.1)
        yield [plan, search]
    fetch.content = "GET https://flask.palletsprojects.com"
    yield [plan, search, fetch]
    time.sleep(0.4)
    fetch.metadata = {**fetch.metadata, "status": "done", "duration": 0.4}
    search.metadata = {**search.metadata, "status": "done", "duration": 0.9}
    plan.metadata = {**plan.metadata, "status": "done", "duration": 1.3}
    yield [plan, search, fetch, ChatMessage(content="Flask-Sock adds WebSocket routes to Flask.")]


def kitchen_sink_chatbot() -> Chatbot:
    return Chatbot(
        value=[
            {"role": "assistant", "content": "Welcome to the **kitchen sink**. What shall I show?", "options": MENU}
        ],
        reasoning_tags=[("<thinking>", "</thinking>")],
        buttons=["copy", "copy_all"],
        watermark="Made with flask-chatbot",
        avatar_images=(str(STATIC / "user.png"), str(STATIC / "bot.png")),
    )

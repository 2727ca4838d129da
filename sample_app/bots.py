"""Two bots: an offline demo that streams Markdown, and any OpenAI-compatible server."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator

from flask_chatbot.clients.load_chat import openai_fn

DEMO_REPLY = """## You said

> {message}

That makes {count} messages in our conversation. Here is what a streamed reply can hold:

1. **Lists**, *emphasis* and `inline code`
2. Links such as [Flask](https://flask.palletsprojects.com/)
3. Tables and fenced code, below

### A table

| Feature | Where |
|:--------|------:|
| Streaming | server |
| Sanitizing | server |
| Rendering | server |

### Some code

```python
def respond(message, history):
    return f"You said: {{message}}"
```

That is all: ask again, or press **Stop** while I type."""


def demo_bot(message: str, history: list[dict]) -> Iterator[str]:
    """Streams a Markdown reply word by word (a delay of DEMO_DELAY seconds per word)."""
    delay = float(os.environ.get("DEMO_DELAY", "0.03"))
    quoted = " ".join(message.split())[:500]
    text = ""
    for token in re.findall(r"\s*\S+", DEMO_REPLY.format(message=quoted, count=len(history) + 1)):
        text += token
        yield text
        if delay:
            time.sleep(delay)


def openai_bot() -> Callable[[str, list[dict]], Iterator[str]]:
    """The model OPENAI_MODEL of the OpenAI-compatible server at OPENAI_BASE_URL (load_chat's fn)."""
    return openai_fn(
        os.environ["OPENAI_BASE_URL"],
        os.environ.get("OPENAI_MODEL", "gpt-4o-mini"),
        os.environ.get("OPENAI_API_KEY"),
        file_types=None,
        timeout=60,
    )

"""Two bots: an offline demo that streams Markdown, and any OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

from flask_chatbot import Error

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


def openai_bot(message: str, history: list[dict]) -> Iterator[str]:
    """Streams from the OpenAI-compatible server at OPENAI_BASE_URL (chat completions, stream=true)."""
    base = os.environ["OPENAI_BASE_URL"].rstrip("/")
    body = {
        "model": os.environ.get("OPENAI_MODEL", "gpt-4o-mini"),
        "messages": [{"role": m["role"], "content": m["content"]} for m in history]
        + [{"role": "user", "content": message}],
        "stream": True,
    }
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if key := os.environ.get("OPENAI_API_KEY"):
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(f"{base}/chat/completions", json.dumps(body).encode(), headers)
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as exc:
        raise Error(f"The model server answered {exc.code} {exc.reason}.") from None
    except (urllib.error.URLError, TimeoutError):
        raise Error("The model server cannot be reached.") from None
    text = ""
    with response:
        for raw in response:
            line = raw.decode("utf-8").strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            choices = json.loads(data).get("choices") or [{}]
            delta = (choices[0].get("delta") or {}).get("content")
            if delta:
                text += delta
                yield text

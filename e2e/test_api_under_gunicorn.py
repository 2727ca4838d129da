"""The HTTP API under real gunicorn (issue 10, item 1): the sample app's chat answers a
program as JSON and streams Server-Sent Events as fn yields, not all at the end (nothing on the
way buffers them), and a second call of the session goes on with its history."""

from __future__ import annotations

import http.client
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from harness import Gunicorn


@pytest.fixture(scope="module")
def display() -> Iterator[Gunicorn]:
    server = Gunicorn("display_app:create_app()", ready_path="/chat/", CHATBOT_WORKERS="1")  # its gates: one worker
    server.start()
    yield server
    server.stop()


def next_event(response: http.client.HTTPResponse, buffer: bytearray) -> tuple[str, Any]:
    """The next Server-Sent Event of ``response``, as it arrives: (event, data)."""
    while b"\n\n" not in buffer:
        chunk = response.read1(65536)
        assert chunk, "the stream ended before its done event"
        buffer += chunk
    block, rest = bytes(buffer).split(b"\n\n", 1)
    buffer[:] = rest
    fields = dict(line.split(b": ", 1) for line in block.split(b"\n"))  # id (resumable), event, data
    return fields.get(b"event", b"message").decode(), json.loads(fields[b"data"])


def stream(port: int, body: dict[str, Any]) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST",
        "/chat/api/chat",
        body=json.dumps(body),
        headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
    )
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    return connection, response


def test_the_sample_chat_streams_to_a_program_and_keeps_its_session(sample_app: Gunicorn) -> None:
    connection, response = stream(sample_app.port, {"message": "Write some Python"})
    buffer = bytearray()
    events: list[str] = []
    while not events or events[-1] not in ("done", "error"):
        event, data = next_event(response, buffer)
        events.append(event)
    connection.close()
    assert events[-1] == "done" and events.count("delta") > 10  # the words one by one, as the demo bot types them
    done = data
    assert "You said" in done["response"] and "```python" in done["response"]

    connection = http.client.HTTPConnection("127.0.0.1", sample_app.port, timeout=30)
    connection.request(
        "POST",
        "/chat/api/chat",
        body=json.dumps({"message": "Thanks", "session_id": done["session_id"]}),
        headers={"Content-Type": "application/json"},
    )
    again = json.loads(connection.getresponse().read())
    connection.close()
    assert len(again["history"]) == 4 and "That makes 3 messages" in again["response"]  # fn got the session's two


def test_a_program_gets_what_fn_yields_while_fn_is_still_at_work(display: Gunicorn) -> None:
    # /chat's "slow" yields "Working", then waits at the gate "slow" until the test opens it:
    # the first words reach the program while fn waits, so nothing on the way holds them back.
    connection, response = stream(display.port, {"message": "slow"})
    buffer = bytearray()
    try:
        event, data = next_event(response, buffer)
        while event != "delta":
            assert event in ("message", "status"), (event, data)
            event, data = next_event(response, buffer)
        assert data["text"] == "Working"
        with urllib.request.urlopen(
            urllib.request.Request(f"{display.url}/gate/slow", method="POST"), timeout=10
        ) as opened:
            assert opened.status == 200
        while event != "done":
            assert event in ("message", "status", "delta"), (event, data)
            event, data = next_event(response, buffer)
        assert data["response"] == "Working… done."
    finally:
        connection.close()


def test_the_python_client_talks_to_the_sample_app(sample_app: Gunicorn) -> None:
    from flask_chatbot import Client

    client = Client(f"{sample_app.url}/chat/")
    job = client.submit("Explain WSGI in a table")
    seen = list(job)
    assert len(seen) > 10 and seen[-1] == job.result() and "| Feature |" in seen[-1]
    assert "That makes 3 messages" in client.predict("Thanks")  # the conversation goes on: two before


def test_the_openai_package_talks_to_the_sample_app(sample_app: Gunicorn) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{sample_app.url}/chat/v1", api_key="not-needed", max_retries=0)
    assert [m.id for m in client.models.list()] == ["flask-chatbot-demo"]
    pieces = [
        chunk.choices[0].delta.content or ""
        for chunk in client.chat.completions.create(
            model="flask-chatbot-demo", stream=True, messages=[{"role": "user", "content": "Hello from openai"}]
        )
    ]
    assert len(pieces) > 10 and "> Hello from openai" in "".join(pieces)
    whole = client.chat.completions.create(
        model="flask-chatbot-demo",
        messages=[
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "two"},
            {"role": "user", "content": "three"},
        ],
    )
    assert "That makes 3 messages" in whole.choices[0].message.content  # fn got the conversation

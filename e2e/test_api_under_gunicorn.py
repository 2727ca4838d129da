"""The HTTP API under real gunicorn (issue 10, item 1): the sample app's chat answers a
program as JSON and streams Server-Sent Events as fn yields, not all at the end (nothing on the
way buffers them), and a second call of the session goes on with its history."""

from __future__ import annotations

import http.client
import json
import time

from harness import Gunicorn


def test_the_sample_chat_streams_to_a_program_and_keeps_its_session(sample_app: Gunicorn) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", sample_app.port, timeout=30)
    connection.request("POST", "/chat/api/chat", body=json.dumps({"message": "Write some Python"}),
                       headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    arrivals: list[tuple[float, str]] = []
    buffer = b""
    while True:
        chunk = response.read1(65536)
        if not chunk:
            break
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            event = block.split(b"\n", 1)[0].removeprefix(b"event: ").decode()
            arrivals.append((time.monotonic(), event))
            if event == "done":
                done = json.loads(block.split(b"\ndata: ", 1)[1])
    connection.close()
    events = [name for _, name in arrivals]
    assert events[-1] == "done" and events.count("delta") > 10
    first_delta = next(at for at, name in arrivals if name == "delta")
    assert arrivals[-1][0] - first_delta > 0.2  # the words came over time, as the demo bot types them
    assert "You said" in done["response"] and "```python" in done["response"]

    connection = http.client.HTTPConnection("127.0.0.1", sample_app.port, timeout=30)
    connection.request("POST", "/chat/api/chat", body=json.dumps({"message": "Thanks", "session_id": done["session_id"]}),
                       headers={"Content-Type": "application/json"})
    again = json.loads(connection.getresponse().read())
    connection.close()
    assert len(again["history"]) == 4 and "That makes 3 messages" in again["response"]  # fn got the session's two


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
    pieces = [chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(
        model="flask-chatbot-demo", stream=True, messages=[{"role": "user", "content": "Hello from openai"}])]
    assert len(pieces) > 10 and "> Hello from openai" in "".join(pieces)
    whole = client.chat.completions.create(model="flask-chatbot-demo", messages=[
        {"role": "user", "content": "one"}, {"role": "assistant", "content": "two"}, {"role": "user", "content": "three"}])
    assert "That makes 3 messages" in whole.choices[0].message.content  # fn got the conversation

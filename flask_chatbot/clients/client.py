"""A Python client for a chat's HTTP API (web/http_api.py), in the manner of ``gradio_client``, with the
standard library only::

    from flask_chatbot import Client

    client = Client("http://localhost:8000/chat/")
    print(client.predict("Capital of France?"))      # the reply; the conversation goes on
    print(client.predict("And of Italy?"))

    job = client.submit("Write a poem", temperature=0.9)
    for text in job:                                 # the reply so far, as it streams
        print(text)
    job.cancel()                                     # or: job.result()

A stream that drops (a network blip, a deploy, a worker that died) is resumed where it was:
the job sends the call again with the last event's id (``Last-Event-ID``) and goes on from the
next event, on whichever worker the request lands. docs/api.md#python-client.
"""

from __future__ import annotations

import base64
import http.client
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_END = object()
# How long a job tries to resume a stream that dropped, and the waits between tries (doubling).
RESUME_FOR = 30.0
FIRST_WAIT, MAX_WAIT = 0.1, 2.0


class ClientError(Exception):
    """The chat refused the call or fn failed: the HTTP ``status``, the ``code`` and the
    ``message`` of its ``{"error": ...}`` body (docs/api.md#errors)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class Client:
    """Calls the chat mounted at ``url`` (``http://host/chat/``). Like ``gradio_client``, it
    keeps the conversation across calls (the server's session); :meth:`reset` starts anew."""

    def __init__(
        self, url: str, *, api_name: str = "chat", headers: dict[str, str] | None = None, timeout: float = 300.0
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"Client needs the chat's URL, like 'http://localhost:8000/chat/', not {url!r}")
        self._parts = parts
        self._path = f"{parts.path.rstrip('/')}/api/{api_name}"
        self._headers = dict(headers or {})
        self._timeout = timeout
        self.session_id: str | None = None
        self.history: list[dict[str, Any]] = []

    def predict(self, message: str | dict[str, Any], **inputs: Any) -> Any:
        """Send ``message`` (and additional inputs by name); the reply, once whole. A multimodal
        chat's message may be ``{"text": ..., "files": ["cat.png", ...]}`` (local paths)."""
        return self.submit(message, **inputs).result()

    def submit(self, message: str | dict[str, Any], **inputs: Any) -> Job:
        """Send ``message`` and return at once: a :class:`Job` streaming the reply."""
        if isinstance(message, dict):
            files = [
                {"name": Path(f).name, "data": base64.b64encode(Path(f).read_bytes()).decode()}
                for f in message.get("files", [])
            ]
            message = {"text": message.get("text", ""), "files": files}
        body = {"message": message, **inputs}
        if self.session_id is not None:
            body["session_id"] = self.session_id
        return Job(self, body)

    def reset(self) -> None:
        """Forget the conversation: the next call starts a new one."""
        self.session_id = None
        self.history = []

    def info(self) -> dict[str, Any]:
        """The chat's API described as OpenAPI 3 (``api/info``)."""
        connection = self._connect()
        try:
            connection.request("GET", self._path.rsplit("/", 1)[0] + "/info", headers=self._headers)
            response = connection.getresponse()
            data = json.loads(response.read())
        finally:
            connection.close()
        if response.status != 200:
            raise _error(response.status, data)
        spec: dict[str, Any] = data  # the OpenAPI document, a JSON object
        return spec

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        return kind(self._parts.netloc, timeout=self._timeout)

    def _finished(self, answer: dict[str, Any]) -> None:
        self.session_id = answer.get("session_id", self.session_id)
        self.history = answer.get("history", self.history)


class Job:
    """One call, streaming in a thread of its own: iterate it for the reply so far (each
    change, as ``gradio_client``'s jobs), or wait for :meth:`result`; :meth:`cancel` stops fn."""

    def __init__(self, client: Client, body: dict[str, Any]) -> None:
        self._client = client
        self._body = body
        self._updates: queue.Queue[Any] = queue.Queue()
        self._done = threading.Event()
        self._answer: dict[str, Any] | None = None
        self._error: BaseException | None = None
        self._outputs: list[Any] = []
        self._status: dict[str, Any] | None = None
        self._cancelled = False
        self._socket: socket.socket | None = None  # the call's connection, which cancel() shuts
        self._last_event_id: str | None = None  # where a dropped stream resumes
        self._messages: list[Any] = []
        threading.Thread(target=self._run, name="flask_chatbot.Client", daemon=True).start()

    def __iter__(self) -> Iterator[Any]:
        """The reply so far each time it changes (the text grows; a list for several messages)."""
        while True:
            update = self._updates.get()
            if update is _END:
                return
            yield update

    def result(self, timeout: float | None = None) -> Any:
        """The whole reply (its ``response``); ClientError if the chat refused or fn failed."""
        if not self._done.wait(timeout):
            raise TimeoutError("the reply is not done yet")
        if self._error is not None:
            raise self._error
        assert self._answer is not None
        return self._answer["response"]

    def outputs(self) -> list[Any]:
        """Every value the reply has had so far."""
        return list(self._outputs)

    def status(self) -> dict[str, Any] | None:
        """The last ``status`` event: the place in line, or fn's progress (None: none yet)."""
        return self._status

    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Stop the reply: the server closes fn at its next yield, and the connection closes."""
        self._cancelled = True
        if self._last_event_id is not None:
            self._stop_on_server(self._last_event_id)
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def _stop_on_server(self, event_id: str) -> None:
        """``DELETE`` the turn (a chat whose replies outlive their request does not stop one
        because its connection closed)."""
        client = self._client
        connection = client._connect()
        try:
            connection.request("DELETE", client._path, headers={"Last-Event-ID": event_id, **client._headers})
            connection.getresponse().read()
        except OSError:
            pass  # the server is away: the turn stops when nobody comes back for it
        finally:
            connection.close()

    def _run(self) -> None:
        try:
            self._call()
        except BaseException as exc:  # noqa: BLE001 (kept for result())
            self._error = exc if not self._cancelled else ClientError(0, "cancelled", "the job was cancelled")
        finally:
            self._updates.put(_END)
            self._done.set()

    def _call(self) -> None:
        """The call, and again from the last event each time its stream drops, for up to
        RESUME_FOR seconds after the last event that came."""
        wait, since = FIRST_WAIT, time.monotonic()
        while True:
            before = self._last_event_id
            try:
                if self._stream():
                    return
            except (OSError, http.client.HTTPException):
                if self._cancelled:
                    raise
            if self._last_event_id != before:  # it moved on before it dropped
                wait, since = FIRST_WAIT, time.monotonic()
            if self._cancelled or self._last_event_id is None or time.monotonic() - since > RESUME_FOR:
                raise ClientError(0, "incomplete", "the stream ended before the reply was done")
            time.sleep(wait)  # a back-off before the next try, not a wait for a condition
            wait = min(wait * 2, MAX_WAIT)

    def _stream(self) -> bool:
        """One request of the call; True when the reply is done, False when the stream ended
        before it (ClientError when the chat refused or fn failed)."""
        client = self._client
        connection = client._connect()
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream", **client._headers}
        if self._last_event_id is not None:
            headers["Last-Event-ID"] = self._last_event_id
        connection.request("POST", client._path, body=json.dumps(self._body).encode(), headers=headers)
        self._socket = connection.sock  # http.client may let go of it once the answer starts
        if self._cancelled:
            self.cancel()
        response = connection.getresponse()
        streaming = (response.getheader("Content-Type") or "").startswith("text/event-stream")
        if response.status == 200 and not streaming:
            connection.close()  # its headers cut short: a drop like any other
            raise http.client.HTTPException("the answer's headers were cut short")
        if response.status != 200:
            raw = response.read()
            connection.close()
            raise _error(response.status, _json(raw))
        messages = self._messages
        try:
            for event, data, event_id in _events(response):
                if event in ("message", "delta"):
                    index = data["index"]
                    while len(messages) <= index:
                        messages.append("")
                    messages[index] = messages[index] + data["text"] if event == "delta" else data["content"]
                    value = messages[0] if len(messages) == 1 else list(messages)
                    self._outputs.append(value)
                    self._updates.put(value)
                elif event == "status":
                    self._status = data
                elif event == "error":
                    raise _error(500, data)
                elif event == "done":
                    self._answer = data
                    client._finished(data)
                if event_id is not None:
                    self._last_event_id = event_id
        finally:
            # The response holds the socket (http.client hands it over when the server will close
            # the connection): close it too, or an error event or a cancel leaves it open.
            response.close()
            connection.close()
        return self._answer is not None


def _events(response: http.client.HTTPResponse) -> Iterator[tuple[str, Any, str | None]]:
    """Server-Sent Events of ``response``: (event, decoded data, id or None)."""
    data: list[str]
    event, data, event_id = "message", [], None
    for raw in response:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield event, json.loads("\n".join(data)), event_id
            event, data, event_id = "message", [], None
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
        elif line.startswith("id:"):
            event_id = line[3:].strip()


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return {"error": {"code": "http", "message": raw.decode("utf-8", "replace")[:200]}}


def _error(status: int, body: Any) -> ClientError:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    return ClientError(status, str(error.get("code", "http")), str(error.get("message", f"HTTP {status}")))


__all__ = ["Client", "ClientError", "Job"]

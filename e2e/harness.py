"""e2e helpers: sample_app under real gunicorn, the Chromium to launch, a page object."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from playwright.sync_api import ConsoleMessage, Page, expect

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise RuntimeError("no Chromium found: `make test` installs Debian's chromium package")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """An app under gunicorn with sample_app/gunicorn.conf.py, on a free port.

    ``app`` is gunicorn's app spec, looked up from the repository and e2e/; ``env``
    goes to the server (``CHATBOT_WORKER_CLASS=gthread`` picks the threaded worker).
    """

    def __init__(self, app: str = "sample_app:create_app()", ready_path: str = "/chat/", **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        self.ready_path = ready_path
        self.env = {**os.environ, "CHATBOT_BIND": f"127.0.0.1:{self.port}", "CHATBOT_WORKERS": "2", **env}
        self.process: subprocess.Popen[bytes] | None = None
        self._drainer: threading.Thread | None = None

    def start(self) -> None:
        """Start gunicorn and return once it serves the chat page.

        gunicorn logs "Listening at" once its socket is bound; a request made after
        that waits in the listen backlog until a worker has booted and answers it.
        """
        self._close_log()  # the last run's, if a test killed that one itself
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [str(gunicorn), "--config", "sample_app/gunicorn.conf.py", "--pythonpath", "e2e", self.app],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.process.stderr is not None
        log: list[str] = []
        for raw in self.process.stderr:  # ends only if gunicorn exits
            log.append(raw.decode(errors="replace"))
            if "Listening at:" in log[-1]:
                break
        else:
            self.process.wait(10)
            self._close_log()
            raise RuntimeError("gunicorn exited at start:\n" + "".join(log))
        # Keep draining the log so a full pipe never blocks the server.
        self._drainer = threading.Thread(target=self._drain, args=(self.process.stderr,), daemon=True)
        self._drainer.start()
        with urllib.request.urlopen(f"{self.url}{self.ready_path}", timeout=30) as response:
            assert response.status == 200

    @staticmethod
    def _drain(stream: IO[bytes]) -> None:
        for _ in stream:
            pass

    def stop(self) -> None:
        """Stop gunicorn at once (its quick shutdown, SIGINT).

        A graceful stop (SIGTERM) waits for every connection to end, and the idle keep-alive
        connection Chromium holds ends only at gunicorn's ``keepalive`` (5 s): a test that
        stopped its own server spent 5 s in teardown. The tests of a graceful stop or a deploy
        send SIGTERM or SIGHUP themselves.
        """
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        """Close the pipe of gunicorn's log once the drainer has read it to the end (the master
        and its workers, which share it, have all exited)."""
        if self._drainer is not None:
            self._drainer.join(10)
            assert not self._drainer.is_alive(), "gunicorn's workers outlived their master by 10 s"
            self._drainer = None
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()


class ChatController:
    """A page object for <chat-bot>: what a user does and sees."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.element = page.locator("chat-bot")
        self.input = self.element.locator("[part~=input]")
        self.log = self.element.locator("[role=log]")
        self.messages = self.element.locator("[part~=message]")
        self.user_messages = self.element.locator("[part~=message][data-role=user]")
        self.assistant_messages = self.element.locator("[part~=message][data-role=assistant]")
        self.stop_button = self.element.locator("[part~=stop-button]")
        self.send_button = self.element.locator("[part~=send-button]")
        self.status = self.element.locator("[part~=status]")
        self.uploaded = self.element.locator(".attachment[data-state=done]")  # files attached and up

    def open(self, url: str) -> None:
        # The page a user looks at: focus() in a page that is not in front does not take, and
        # a new page is not always in front while the last test's context is closing.
        self.page.bring_to_front()
        self.page.goto(url)
        expect(self.element).to_have_attribute("data-connection", "online", timeout=10_000)

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def latest_assistant(self):
        return self.assistant_messages.last

    def expect_idle(self) -> None:
        expect(self.send_button).to_be_visible(timeout=15_000)
        expect(self.stop_button).to_be_hidden()


AXE = Path(__file__).resolve().parent.parent / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page) -> list[str]:
    """What axe-core (from npm, make test installs it) finds wrong on the page as it is now; the
    page's context needs ``bypass_csp=True``: a strict CSP refuses axe's inline script."""
    assert AXE.is_file(), "make test installs axe-core from npm into .venv/axe"
    page.add_script_tag(path=str(AXE))
    return page.evaluate(  # type: ignore[no-any-return]
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`)"""
    )


def listener_events(server: Gunicorn) -> list[list[Any]]:
    """What the listeners of e2e/display_app.py recorded, in order (its GET /events)."""
    with urllib.request.urlopen(f"{server.url}/events", timeout=10) as response:
        return json.load(response)


def wait_for_events(server: Gunicorn, page: Page, check: Callable[[list[list[Any]]], bool]) -> list[list[Any]]:
    """The listeners' record once ``check`` holds (polled between animation frames, no sleeps)."""
    for _ in range(200):
        seen = listener_events(server)
        if check(seen):
            return seen
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    raise AssertionError(f"the listeners saw {listener_events(server)}")


# What Chromium logs for each reconnect the element tries while its server is down (and only
# that): config.json refused, or reset by a server dying or starting, then the socket refused.
FAILED_CONFIG = (
    r"^Failed to load resource: net::ERR_CONNECTION_(REFUSED|RESET) \(http://127\.0\.0\.1:\d+/[^ ]*/config\.json\)$"
)
REFUSED_SOCKET = r"^WebSocket connection to 'ws://127\.0\.0\.1:\d+/[^']*' failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED$"
SERVER_DOWN = [FAILED_CONFIG, REFUSED_SOCKET]


def watch_problems(page: Page) -> list[str]:
    """The console errors (CSP violations included) and uncaught errors of ``page``, as they come."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            # Chromium names the resource that failed to load only in the message's location.
            url = message.location.get("url") if message.text.startswith("Failed to load resource") else None
            problems.append(f"{message.text} ({url})" if url else message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def drop_files(chat: ChatController, files: list[tuple[str, str, bytes]], *, submit_first: bool = False) -> None:
    """Drop ``(name, type, bytes)`` files on the chat as a reader dragging them from the
    desktop does. ``submit_first``: send the message box first, in the same task, so that no
    frame from the server can arrive between the two."""
    chat.element.evaluate(
        """(element, [files, submitFirst]) => {
            if (submitFirst) element.shadowRoot.querySelector('form').requestSubmit()
            const data = new DataTransfer()
            for (const [name, type, b64] of files) {
                data.items.add(new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], name, {type}))
            }
            const frame = element.shadowRoot.querySelector('.frame')
            for (const type of ['dragenter', 'dragover', 'drop']) {
                frame.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true, composed: true}))
            }
        }""",
        [[[name, mime, base64.b64encode(body).decode()] for name, mime, body in files], submit_first],
    )


def unexpected_problems(page: Page) -> list[str]:
    """The problems of the page fixture's ``page`` that no ``page.allow_problems(pattern)`` matches."""
    allowed = page.allowed_problems  # type: ignore[attr-defined]
    return [p for p in page.problems if not any(re.search(pattern, p) for pattern in allowed)]  # type: ignore[attr-defined]

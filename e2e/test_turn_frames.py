"""A reply that survives a dropped socket or a reload: <chat-bot> alone in Chromium, as in
test_element_frames.py (its static server, page and page object), fed the frames of a turn.

The server numbers every frame of a turn (`seq`, from its `turn` frame's 1) and runs the turn on
when the socket drops; a `hello` naming the turn and the last `seq` applied gets, if the server
can follow the turn on, the frames that came after it (docs/protocol.md). ``TurnServer`` plays
such a server through Playwright's ``route_web_socket``; without a socket, ``applyFrame()`` takes
the same frames. Reloads against the real server are e2e/test_replies_survive.py's to test.

    python -m pytest e2e/test_turn_frames.py
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

# static_server: test_element_frames.py's fixture, which pytest finds by its name here.
from test_element_frames import IDLE, ChatBot, echo, static_server, streaming  # noqa: F401 (a fixture, used by name)

TURN_ID = "0123456789abcdef" * 2
KEY = "fedcba9876543210" * 2
SESSION = "3f2a9c0d1e4b5a67"
INTERRUPTED = "The connection was interrupted."
RESTARTED = "The server restarted."


@pytest.fixture
def open_page(browser: Browser, static_server: str) -> Iterator[Any]:  # noqa: F811 (the imported fixture, by name)
    """Open a test page: ``open_page(src="/chat", route=server, clock=True)``; fails the test on
    any console error, page error or CSP violation."""
    contexts = []
    problems: list[str] = []

    def open_(*, route=None, clock: bool = False, **attributes: str) -> ChatBot:
        context = browser.new_context(viewport={"width": 820, "height": 720})
        contexts.append(context)
        page = context.new_page()
        if clock:  # fake timers: the test says when the reconnect's backoff is over
            page.clock.install()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        if route is not None:
            page.route_web_socket("**/chat/socket", route)
        query = "&".join(f"{k}={v}" for k, v in attributes.items())
        page.goto(f"{static_server}/__test__/page.html" + (f"?{query}" if query else ""))
        return ready(ChatBot(page))

    yield open_
    for context in contexts:
        for page in context.pages:
            problems.extend(f"CSP violation: {v}" for v in page.evaluate("window.__violations"))
        context.close()
    assert problems == []


def ready(bot: ChatBot) -> ChatBot:
    bot.page.wait_for_function("() => window.__ready === true")
    expect(bot.log).to_be_visible()  # the stylesheet loaded: the frame is revealed
    return bot


def pause_clock(page: Page) -> None:
    page.clock.pause_at(page.evaluate("Date.now()") + 1)


def generating(bot: ChatBot) -> bool:
    return bot.page.evaluate("document.querySelector('chat-bot').generating")  # type: ignore[no-any-return]


def patch(message_id: str, keep: int, append: str, **rest: Any) -> dict[str, Any]:
    return {"type": "patch", "id": message_id, "keep": keep, "append": append, **rest}


def done(message_id: str, content: str, status: str = "done") -> dict[str, Any]:
    paragraphs = "".join(f"<p>{block}</p>" for block in content.split("\n\n"))
    return {"type": "done", "id": message_id, "content": content, "html": paragraphs, "status": status}


def numbered(*frames: dict[str, Any], first: int = 1) -> list[dict[str, Any]]:
    return [{**frame, "seq": first + i} for i, frame in enumerate(frames)]


class TurnServer:
    """Answers the element's socket as a blueprint that runs a turn on when the socket drops.

    ``emit()`` adds frames to the running turn, numbered, and sends them on the socket that
    follows the turn, if there is one now. A ``hello`` naming the turn gets a ``welcome`` saying
    ``resume`` (True, False, or None: a server that knows nothing of turns says nothing) and,
    resumed, the turn's frames after the hello's ``seq`` (all of them with ``replay_all``: the
    element must drop those it has). ``stop`` ends the turn stopped; ``retry`` starts another.
    """

    def __init__(self, resume: bool | None = True, replay_all: bool = False) -> None:
        self.resume = resume
        self.replay_all = replay_all
        self.sockets: list[WebSocketRoute] = []
        self.received: list[list[dict[str, Any]]] = []
        self.turn: list[dict[str, Any]] = []  # the running turn's frames, seq 1 on
        self.follower: WebSocketRoute | None = None  # the socket its frames go to

    def __call__(self, ws: WebSocketRoute) -> None:
        frames: list[dict[str, Any]] = []
        self.sockets.append(ws)
        self.received.append(frames)
        ws.on_message(lambda message: self.handle(ws, frames, json.loads(message)))

    def handle(self, ws: WebSocketRoute, frames: list[dict[str, Any]], frame: dict[str, Any]) -> None:
        frames.append(frame)
        if frame["type"] == "hello":
            welcome: dict[str, Any] = {"type": "welcome", "version": 1, "session": SESSION}
            followed = frame.get("turn")
            if followed and self.resume is not None:
                welcome["turn"] = {"id": followed["id"], "resumed": self.resume}
            ws.send(json.dumps(welcome))
            if followed and self.resume:
                for missed in self.turn:
                    if self.replay_all or missed["seq"] > followed["seq"]:
                        ws.send(json.dumps(missed))
                self.follower = ws
        elif frame["type"] == "submit":
            ws.send(json.dumps(echo(frame["id"], frame["text"])))  # no part of the turn: no seq
            self.start(ws, TURN_ID, "a1")
        elif frame["type"] == "retry":
            ws.send(json.dumps({"type": "remove", "id": "a1"}))
            self.start(ws, "ab" * 16, "a2")
            self.emit(patch("a2", 0, "Again", tail="<p>Again</p>"), done("a2", "Again"), IDLE)
        elif frame["type"] == "stop":
            self.emit(done("a1", "One two", "stopped"), IDLE)  # the reply so far (start_reply's)

    def start(self, ws: WebSocketRoute, turn_id: str, reply: str) -> None:
        self.turn = []
        self.follower = ws
        self.emit({"type": "turn", "id": turn_id, "key": KEY}, streaming(reply))

    def emit(self, *frames: dict[str, Any]) -> None:
        for frame in frames:
            numbered_frame = {**frame, "seq": len(self.turn) + 1}
            self.turn.append(numbered_frame)
            if self.follower is not None:
                self.follower.send(json.dumps(numbered_frame))

    def drop(self, code: int = 1011) -> None:
        """Close the socket that follows the turn: the turn runs on, unfollowed."""
        assert self.follower is not None
        self.follower.close(code=code, reason="gone")
        self.follower = None

    def types(self, index: int) -> list[str]:
        return [f["type"] for f in self.received[index]]


def start_reply(bot: ChatBot, server: TurnServer) -> None:
    """The reader asks; the reply streams "One two" (frames 1 to 3 of the turn)."""
    expect(bot.send_button).to_be_enabled()
    bot.input.fill("Count")
    bot.input.press("Enter")
    expect(bot.message("a1")).to_have_count(1)  # the turn began: the server sends its frames here
    server.emit(patch("a1", 0, "One two", tail="<p>One two</p>"))
    expect(bot.content("a1")).to_have_text("One two")


def dropped_mid_reply(open_page: Any, server: TurnServer, close: int = 1011) -> ChatBot:
    """A page whose socket the server drops mid-reply (its reconnect waits for the test's clock),
    and the reply, still generating."""
    bot = open_page(src="/chat", route=server, clock=True)
    start_reply(bot, server)
    pause_clock(bot.page)  # the reconnect waits for the test
    server.drop(close)
    expect_still_generating(bot)
    return bot


def expect_still_generating(bot: ChatBot) -> None:
    """Offline, and the reply not cut off: still streaming, Stop offered, nothing said."""
    expect(bot.status).to_have_text("Offline. Reconnecting…")
    expect(bot.message("a1")).to_have_attribute("data-status", "streaming")
    expect(bot.stop_button).to_be_visible()
    expect(bot.errors).to_have_count(0)
    assert generating(bot) is True


# -- frames numbered in their turn -----------------------------------------------------------


def test_frames_at_or_below_the_last_seq_applied_are_dropped(open_page):
    bot = open_page()
    question = bot.page.evaluate("document.querySelector('chat-bot').send('Hi')")
    frames = numbered(
        {"type": "turn", "id": TURN_ID, "key": KEY},
        streaming("a1"),
        patch("a1", 0, "Hello", tail="<p>Hello</p>"),
        patch("a1", 5, " world", tail_text=" world"),
        {"type": "toast", "level": "info", "message": "Half way", "title": None, "duration": None},
    )
    bot.apply(echo(question, "Hi"), *frames)
    expect(bot.content("a1")).to_have_text("Hello world")
    # A resumed turn's frames again (a server that sends more than was missed): nothing twice.
    bot.apply(*frames[1:])
    bot.apply(*numbered(patch("a1", 11, "!", tail_text="!"), first=6))
    bot.apply(*numbered(patch("a1", 11, "!", tail_text="!"), first=6))
    expect(bot.content("a1")).to_have_text("Hello world!")
    toasts = bot.page.locator("chat-bot [part~=toast] .toast-message")
    bot.apply(*numbered({"type": "toast", "level": "info", "message": "Done soon", "duration": None}, first=7))
    expect(toasts).to_have_text(["Half way", "Done soon"])  # each once, in order
    assert [m["content"] for m in bot.messages()] == ["Hi", "Hello world!"]
    bot.apply(*numbered(done("a1", "Hello world!"), IDLE, first=8))
    expect(bot.send_button).to_be_visible()
    assert generating(bot) is False
    # The turn is over: frames without `seq` (no part of a turn) and the next turn are applied.
    second = bot.page.evaluate("document.querySelector('chat-bot').send('Again')")
    bot.apply(echo(second, "Again"), *numbered({"type": "turn", "id": "ab" * 16, "key": KEY}, streaming("a2")))
    bot.apply(*numbered(patch("a2", 0, "Yes", tail="<p>Yes</p>"), done("a2", "Yes"), IDLE, first=3))
    expect(bot.content("a2")).to_have_text("Yes")
    expect(bot.send_button).to_be_visible()


def test_a_malformed_turn_frame_is_not_followed(open_page):
    bot = open_page()
    question = bot.page.evaluate("document.querySelector('chat-bot').send('Hi')")
    bot.apply(echo(question, "Hi"), {"type": "turn", "id": "not hex", "key": KEY, "seq": 1})
    # Not followed, so nothing is dropped: the numbers mean nothing without their turn.
    bot.apply(*numbered(streaming("a1"), patch("a1", 0, "Hi", tail="<p>Hi</p>"), first=2))
    bot.apply(*numbered(patch("a1", 2, "!", tail_text="!"), first=2))
    expect(bot.content("a1")).to_have_text("Hi!")


def test_an_interrupted_error_cuts_the_reply_off_and_its_idle_ends_the_turn(open_page):
    bot = open_page()
    question = bot.page.evaluate("document.querySelector('chat-bot').send('Hi')")
    bot.apply(
        echo(question, "Hi"),
        *numbered(
            {"type": "turn", "id": TURN_ID, "key": KEY},
            streaming("a1"),
            patch("a1", 0, "Part", tail="<p>Part</p>"),
            {"type": "error", "code": "interrupted", "message": "The server running this reply stopped."},
        ),
    )
    # Shown as a cut-off turn (the failed reply, the notice), not as an alert with the server's text.
    expect(bot.message("a1")).to_have_attribute("data-status", "error")
    expect(bot.errors).to_have_count(1)
    expect(bot.errors).to_have_attribute("data-code", "interrupted")
    expect(bot.errors).to_have_text(INTERRUPTED)
    assert bot.events("error") == [
        {"code": "interrupted", "message": "The server running this reply stopped.", "id": None}
    ]
    expect(bot.stop_button).to_be_visible()  # until the turn's idle
    assert generating(bot) is True
    bot.apply(*numbered(IDLE, first=5))
    expect(bot.send_button).to_be_visible()
    assert generating(bot) is False
    bot.page.evaluate("window.__retries = 0; document.addEventListener('chat-bot-retry', () => window.__retries++)")
    bot.message("a1").locator("[part~=retry]").click()
    bot.page.wait_for_function("() => window.__retries === 1")


# -- a dropped socket ------------------------------------------------------------------------


def test_a_dropped_socket_leaves_the_reply_running_and_the_next_hello_follows_it_on(open_page):
    server = TurnServer(resume=True, replay_all=True)
    bot = dropped_mid_reply(open_page, server)
    server.emit(patch("a1", 7, " three", tail_text=" three"))  # while no socket follows the turn
    bot.page.clock.run_for(1_000)  # the backoff is over
    expect(bot.status).to_have_text("")
    hello = server.received[1][0]
    assert hello["turn"] == {"id": TURN_ID, "key": KEY, "seq": 3}  # turn, message, patch
    assert hello["session"] == SESSION
    assert [(m["role"], m["content"]) for m in hello["history"]] == [("user", "Count"), ("assistant", "One two")]
    # Missed, then live; the server sent the whole turn again, and only the new frame shows.
    expect(bot.content("a1")).to_have_text("One two three")
    server.emit(done("a1", "One two three"), IDLE)
    expect(bot.message("a1")).to_have_attribute("data-status", "done")
    expect(bot.send_button).to_be_visible()
    expect(bot.errors).to_have_count(0)
    assert generating(bot) is False


@pytest.mark.parametrize(
    ("resume", "close", "code", "notice"),
    [
        (False, 1011, "interrupted", INTERRUPTED),
        (False, 1012, "restarted", RESTARTED),  # the worker was stopping (a deploy)
        (None, 1011, "interrupted", INTERRUPTED),  # a server that says nothing of the turn
    ],
)
def test_a_turn_the_server_cannot_follow_on_is_cut_off_once_it_says_so(open_page, resume, close, code, notice):
    server = TurnServer(resume=resume)
    bot = dropped_mid_reply(open_page, server, close)
    bot.page.clock.run_for(1_000)
    expect(bot.status).to_have_text("")
    assert server.received[1][0]["turn"] == {"id": TURN_ID, "key": KEY, "seq": 3}
    # As before turns were followed: the reply failed, why, and Retry.
    expect(bot.message("a1")).to_have_attribute("data-status", "error")
    expect(bot.errors).to_have_count(1)
    expect(bot.errors).to_have_attribute("data-code", code)
    expect(bot.errors).to_have_text(notice)
    expect(bot.send_button).to_be_visible()
    assert generating(bot) is False
    bot.message("a1").locator("[part~=retry]").click()
    expect(bot.content("a2")).to_have_text("Again")
    expect(bot.message("a1")).to_have_count(0)
    expect(bot.errors).to_have_count(0)
    assert server.types(1) == ["hello", "retry"]


def test_stop_pressed_while_the_socket_is_down_goes_once_the_turn_is_followed_on(open_page):
    server = TurnServer(resume=True)
    bot = dropped_mid_reply(open_page, server)
    bot.stop_button.click()
    expect(bot.stop_button).to_be_disabled()  # asked; it goes once the socket is back
    assert bot.wait_for_events("stop", 1) == [{"id": "a1"}]
    bot.page.clock.run_for(1_000)
    expect(bot.message("a1")).to_have_attribute("data-status", "stopped")
    expect(bot.send_button).to_be_visible()
    assert server.types(0) == ["hello", "submit"]
    assert server.types(1) == ["hello", "stop"]  # after the welcome that resumed the turn


def test_stop_pressed_while_the_socket_is_down_is_not_sent_for_a_turn_cut_off(open_page):
    server = TurnServer(resume=False)
    bot = dropped_mid_reply(open_page, server)
    bot.stop_button.click()
    bot.page.clock.run_for(1_000)
    expect(bot.errors).to_have_attribute("data-code", "interrupted")
    expect(bot.send_button).to_be_visible()
    bot.message("a1").locator("[part~=retry]").click()
    expect(bot.content("a2")).to_have_text("Again")
    assert server.types(1) == ["hello", "retry"]  # no stop: nothing ran any more


def test_clearing_while_the_socket_is_down_leaves_the_turn(open_page):
    server = TurnServer(resume=True)
    bot = dropped_mid_reply(open_page, server)
    bot.page.evaluate("document.querySelector('chat-bot').clear()")
    expect(bot.page.locator("chat-bot [part~=message]")).to_have_count(0)
    expect(bot.send_button).to_be_visible()
    bot.page.clock.run_for(1_000)
    expect(bot.status).to_have_text("")
    # What the turn would still send has no place in the cleared conversation: not followed.
    assert server.received[1][0] == {"type": "hello", "version": 1, "session": SESSION, "history": []}
    expect(bot.page.locator("chat-bot [part~=message]")).to_have_count(0)


def test_closed_for_good_the_turn_is_cut_off(open_page):
    server = TurnServer(resume=True)
    bot = open_page(src="/chat", route=server)
    start_reply(bot, server)
    bot.page.evaluate("document.querySelector('chat-bot').removeAttribute('src')")  # another src: none
    expect(bot.message("a1")).to_have_attribute("data-status", "error")
    expect(bot.errors).to_have_attribute("data-code", "interrupted")
    assert generating(bot) is False


# -- a reload --------------------------------------------------------------------------------


def reload_mid_reply(bot: ChatBot, server: TurnServer) -> None:
    """A reply of two blocks so far: "One two" frozen, and an open block of three top-level
    nodes; the page reloads, and meanwhile the turn goes on ("Three four" frozen, "Five" open)."""
    start_reply(bot, server)
    open_block = "<p>Three</p>\n<blockquote><p>so far</p></blockquote>"
    server.emit(patch("a1", 7, "\n\nThree", blocks_from=0, blocks=["<p>One two</p>"], tail=open_block))
    expect(bot.content("a1").locator("p")).to_have_text(["One two", "Three", "so far"])
    server.follower = None  # the page goes: what comes now, the reloaded page must ask for
    server.emit(patch("a1", 14, " four\n\nFive", blocks_from=1, blocks=["<p>Three four</p>"], tail="<p>Five</p>"))
    bot.page.reload()
    ready(bot)


def test_a_reload_mid_reply_follows_the_turn_on_where_the_saved_reply_ends(open_page):
    server = TurnServer(resume=True)
    bot = open_page(src="/chat", route=server)
    reload_mid_reply(bot, server)
    hello = server.received[1][0]
    assert hello["turn"] == {"id": TURN_ID, "key": KEY, "seq": 4}
    assert hello["history"][-1] == {"id": "a1", "role": "assistant", "content": "One two\n\nThree"}
    # The saved blocks took the missed patch: the new block after them, the open one replaced.
    expect(bot.content("a1").locator("p")).to_have_text(["One two", "Three four", "Five"])
    expect(bot.content("a1").locator("blockquote")).to_have_count(0)
    expect(bot.message("a1")).to_have_attribute("data-status", "streaming")
    expect(bot.stop_button).to_be_visible()
    server.emit(patch("a1", 25, " six", tail_text=" six"))
    expect(bot.content("a1").locator("p")).to_have_text(["One two", "Three four", "Five six"])
    server.emit(done("a1", "One two\n\nThree four\n\nFive six"), IDLE)
    expect(bot.message("a1")).to_have_attribute("data-status", "done")
    expect(bot.send_button).to_be_visible()
    expect(bot.errors).to_have_count(0)


def test_a_reload_mid_reply_the_server_cannot_follow_on_is_cut_off(open_page):
    server = TurnServer(resume=False)
    bot = open_page(src="/chat", route=server)
    reload_mid_reply(bot, server)
    assert server.received[1][0]["turn"] == {"id": TURN_ID, "key": KEY, "seq": 4}
    expect(bot.message("a1")).to_have_attribute("data-status", "error")
    expect(bot.content("a1").locator("p")).to_have_text(["One two", "Three", "so far"])
    expect(bot.errors).to_have_attribute("data-code", "interrupted")
    expect(bot.send_button).to_be_visible()
    expect(bot.message("a1").locator("[part~=retry]")).to_be_visible()


def test_a_conversation_saved_without_a_turn_reloads_as_before(open_page):
    server = TurnServer()
    bot = open_page(src="/chat", route=server)
    expect(bot.send_button).to_be_enabled()
    # What the previous version saved mid-reply: no `turn`. Written as the reloaded page starts
    # (the page going away saves its own empty conversation first).
    saved = {
        "format": 1,
        "session": SESSION,
        "upload_key": None,
        "messages": [
            {"id": "u1", "role": "user", "content": "Count", "html": "<p>Count</p>", "status": "done"},
            {"id": "a1", "role": "assistant", "content": "One", "html": "<p>One</p>", "status": "streaming"},
        ],
    }
    key = "chat-bot:" + bot.page.evaluate("new URL('/chat', document.baseURI).href")
    bot.page.add_init_script(f"sessionStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(saved))})")
    bot.page.reload()
    ready(bot)
    expect(bot.message("a1")).to_have_attribute("data-status", "stopped")
    expect(bot.send_button).to_be_visible()
    expect(bot.status).to_have_text("")
    hello = server.received[1][0]
    assert "turn" not in hello
    assert hello["session"] == SESSION
    expect(bot.errors).to_have_count(0)

"""Editing messages and the versions of a turn in Chromium (issue 7), and what a reload keeps:
each checked on screen and in what fn and the listeners received."""

from __future__ import annotations

import os
import signal
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from harness import SERVER_DOWN, ChatController, Gunicorn, wait_for_events
from playwright.sync_api import Page, expect


@pytest.fixture(scope="module")
def server() -> Iterator[Gunicorn]:
    server = Gunicorn("display_app:create_app()", ready_path="/edits/", CHATBOT_WORKERS="1")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chat(page: Page, server: Gunicorn) -> Iterator[ChatController]:
    chat = ChatController(page)
    chat.open(f"{server.url}/edits/")
    yield chat


def say(chat: ChatController, text: str, reply: str) -> None:
    chat.send(text)
    expect(chat.latest_assistant()).to_contain_text(reply)
    chat.expect_idle()


def edit(chat: ChatController, message, text: str) -> None:
    message.hover()
    message.locator("[part~=edit]").click()
    box = chat.element.locator("[part~=editor-input]")
    expect(box).to_be_focused()
    box.fill(text)
    box.press("Enter")


def shown(chat: ChatController) -> list[str]:
    return [t.strip() for t in chat.element.locator("[part~=message] [part~=content]").all_inner_texts()]


def versions(message) -> Any:
    return message.locator("[part~=versions]")


def test_editing_a_question_starts_a_new_version_and_fn_gets_that_version_s_history(
    chat: ChatController, server: Gunicorn
) -> None:
    say(chat, "first question", "re first question after []")
    say(chat, "second question", "re second question after [first question]")
    edit(chat, chat.user_messages.first, "better question")
    # The conversation from the edited message on is the new version; fn got what came before it.
    expect(chat.latest_assistant()).to_contain_text("re better question after []")
    chat.expect_idle()
    assert shown(chat) == ["better question", "re better question after []"]
    expect(versions(chat.user_messages.first)).to_contain_text("2 / 2")
    seen = wait_for_events(server, chat.page, lambda e: any(x[0] == "edit" and x[2] == "better question" for x in e))
    assert [x for x in seen if x[0] == "edit" and x[2] == "better question"] == [
        ["edit", 0, "better question", "first question"]
    ]
    # The old version is one click away, whole; fn follows the version on screen.
    chat.user_messages.first.locator("[part~=version-prev]").click()
    assert shown(chat) == [
        "first question",
        "re first question after []",
        "second question",
        "re second question after [first question]",
    ]
    expect(versions(chat.user_messages.first)).to_contain_text("1 / 2")
    say(chat, "third", "re third after [first question, second question]")


def test_two_edits_make_three_versions_that_survive_a_reload_and_a_server_restart(page: Page) -> None:
    # Chromium logs the failed reconnects while the server is down; nothing else may fail.
    for pattern in SERVER_DOWN:
        page.allow_problems(pattern)  # type: ignore[attr-defined]
    server = Gunicorn("display_app:create_app()", ready_path="/edits/", CHATBOT_WORKERS="1")
    server.start()
    chat = ChatController(page)
    try:
        chat.open(f"{server.url}/edits/")
        say(chat, "v1", "re v1 after []")
        edit(chat, chat.user_messages.first, "v2")
        expect(chat.latest_assistant()).to_contain_text("re v2 after []")
        chat.expect_idle()
        say(chat, "follow-up", "re follow-up after [v2]")
        edit(chat, chat.user_messages.first, "v3")
        expect(chat.latest_assistant()).to_contain_text("re v3 after []")
        chat.expect_idle()
        first = chat.user_messages.first
        expect(versions(first)).to_contain_text("3 / 3")
        first.locator("[part~=version-prev]").click()
        expect(versions(chat.user_messages.first)).to_contain_text("2 / 3")
        # Version 2 kept its follow-up exchange.
        assert shown(chat) == ["v2", "re v2 after []", "follow-up", "re follow-up after [v2]"]

        chat.page.reload()
        expect(chat.element).to_have_attribute("data-connection", "online")
        assert shown(chat) == ["v2", "re v2 after []", "follow-up", "re follow-up after [v2]"]
        expect(versions(chat.user_messages.first)).to_contain_text("2 / 3")
        say(chat, "after reload", "re after reload after [v2, follow-up]")

        os.killpg(server.process.pid, signal.SIGKILL)  # the server goes away and comes back
        server.process.wait(10)
        expect(chat.element).to_have_attribute("data-connection", "offline")
        server.start()
        expect(chat.element).to_have_attribute("data-connection", "online", timeout=20_000)
        chat.user_messages.first.locator("[part~=version-prev]").click()
        expect(versions(chat.user_messages.first)).to_contain_text("1 / 3")
        assert shown(chat) == ["v1", "re v1 after []"]
        say(chat, "on v1", "re on v1 after [v1]")
        chat.user_messages.first.locator("[part~=version-next]").click()
        chat.user_messages.first.locator("[part~=version-next]").click()
        expect(versions(chat.user_messages.first)).to_contain_text("3 / 3")
        say(chat, "on v3", "re on v3 after [v3]")
    finally:
        server.stop()


def test_edit_and_versions_work_from_the_keyboard_and_focus_lands_sensibly(chat: ChatController) -> None:
    say(chat, "typo questoin", "re typo questoin after []")
    question = chat.user_messages.first
    edit_button = question.locator("[part~=edit]")
    edit_button.focus()
    expect(edit_button).to_be_visible()  # shown to the keyboard, not only on hover
    chat.page.keyboard.press("Enter")
    box = chat.element.locator("[part~=editor-input]")
    expect(box).to_be_focused()
    expect(box).to_have_value("typo questoin")
    chat.page.keyboard.press("Escape")  # cancelled: nothing changed, focus back on the button
    expect(box).to_have_count(0)
    expect(edit_button).to_be_focused()
    assert shown(chat) == ["typo questoin", "re typo questoin after []"]
    chat.page.keyboard.press("Enter")
    box.fill("typo question")
    chat.page.keyboard.press("Enter")
    expect(chat.latest_assistant()).to_contain_text("re typo question after []")
    chat.expect_idle()
    previous = chat.user_messages.first.locator("[part~=version-prev]")
    previous.focus()
    chat.page.keyboard.press("Enter")
    expect(chat.user_messages.first).to_contain_text("typo questoin")
    # The switcher of the version now shown keeps focus (its ‹ is disabled: › has it).
    expect(chat.user_messages.first.locator("[part~=version-next]")).to_be_focused()
    chat.page.keyboard.press("Enter")
    expect(chat.user_messages.first).to_contain_text("typo question")
    expect(chat.user_messages.first.locator("[part~=version-prev]")).to_be_focused()


def test_while_a_reply_runs_nothing_can_be_edited_or_switched(chat: ChatController, server: Gunicorn) -> None:
    say(chat, "one", "re one after []")
    edit(chat, chat.user_messages.first, "uno")
    expect(chat.latest_assistant()).to_contain_text("re uno after []")
    chat.expect_idle()
    chat.send("slow")
    expect(chat.stop_button).to_be_visible()
    first = chat.user_messages.first
    first.hover()
    expect(first.locator("[part~=edit]")).to_be_hidden()
    expect(first.locator("[part~=version-prev]")).to_be_hidden()
    urllib.request.urlopen(urllib.request.Request(f"{server.url}/gate/slow", method="POST"), timeout=10).close()
    chat.expect_idle()
    first.hover()
    expect(first.locator("[part~=edit]")).to_be_visible()
    expect(first.locator("[part~=version-prev]")).to_be_visible()


def test_an_edit_the_server_refuses_keeps_the_text_and_the_conversation(chat: ChatController) -> None:
    say(chat, "short", "re short after []")
    question = chat.user_messages.first
    question.hover()
    question.locator("[part~=edit]").click()
    box = chat.element.locator("[part~=editor-input]")
    long_text = "x" * 600  # /edits allows 500 characters
    box.fill(long_text)
    box.press("Enter")
    expect(chat.element.locator("[part~=error]")).to_contain_text("the limit is 500")
    expect(box).to_have_value(long_text)
    expect(box).to_be_editable()
    assert shown(chat)[:2] == ["short", "re short after []"]
    box.fill("shorter")
    box.press("Enter")
    expect(chat.latest_assistant()).to_contain_text("re shorter after []")


def test_clicking_or_pressing_enter_on_a_message_selects_it(chat: ChatController, server: Gunicorn) -> None:
    say(chat, "pick me", "re pick me after []")
    chat.latest_assistant().locator("[part~=content]").click()
    chat.user_messages.first.focus()
    chat.page.keyboard.press("Enter")
    seen = wait_for_events(
        server, chat.page, lambda e: len([x for x in e if x[0] == "select" and "pick me" in x[2]]) >= 2
    )
    picked = [x for x in seen if x[0] == "select" and "pick me" in x[2]][-2:]
    assert picked == [["select", 1, "re pick me after []", True], ["select", 0, "pick me", True]]


def test_a_reply_can_be_corrected_in_place_when_editable_is_all(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/edits-all/")
    say(chat, "hello", "re hello after []")
    reply = chat.latest_assistant()
    edit(chat, reply, "A **better** reply")
    expect(reply.locator("strong")).to_have_text("better")
    assert shown(chat) == ["hello", "A better reply"]
    expect(versions(reply)).to_have_count(0)  # a reply changes in place: no versions
    say(chat, "next", "re next after [hello]")


def test_feedback_survives_a_reload(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/actions/")
    say(chat, "rate me", "to rate me")
    like = chat.latest_assistant().locator("[part~=like]")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(chat.latest_assistant().locator("[part~=like]")).to_have_attribute("aria-pressed", "true")


def test_persist_none_keeps_nothing_for_a_reload(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/edits/")
    # The same chat on this page, asked to keep nothing (a shared kiosk, say).
    page.evaluate("""() => {
        const old = document.querySelector('chat-bot')
        const bot = document.createElement('chat-bot')
        bot.setAttribute('src', old.getAttribute('src'))
        bot.setAttribute('persist', 'none')
        old.replaceWith(bot)
    }""")
    expect(chat.element).to_have_attribute("data-connection", "online")
    say(chat, "forget me", "re forget me after []")
    page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(chat.messages).to_have_count(0)
    # The page's own element (no persist attribute) keeps its conversation.
    say(chat, "keep me", "re keep me after []")
    page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(chat.user_messages).to_have_text(["keep me"])


def test_versions_nest_and_each_keeps_its_own(chat: ChatController) -> None:
    say(chat, "a", "re a after []")
    say(chat, "b", "re b after [a]")
    edit(chat, chat.user_messages.nth(1), "b2")
    expect(chat.latest_assistant()).to_contain_text("re b2 after [a]")
    chat.expect_idle()
    edit(chat, chat.user_messages.first, "a2")
    expect(chat.latest_assistant()).to_contain_text("re a2 after []")
    chat.expect_idle()
    chat.user_messages.first.locator("[part~=version-prev]").click()
    # Version 1 of the first turn comes back whole, with the versions of its own second turn.
    assert shown(chat) == ["a", "re a after []", "b2", "re b2 after [a]"]
    expect(versions(chat.user_messages.nth(1))).to_contain_text("2 / 2")
    chat.user_messages.nth(1).locator("[part~=version-prev]").click()
    assert shown(chat) == ["a", "re a after []", "b", "re b after [a]"]
    say(chat, "c", "re c after [a, b]")


def test_after_an_edit_is_sent_focus_is_in_the_message_box(chat: ChatController) -> None:
    say(chat, "hello", "re hello after []")
    edit(chat, chat.user_messages.first, "hi")
    expect(chat.latest_assistant()).to_contain_text("re hi after []")
    expect(chat.input).to_be_focused()


def test_sending_from_the_message_box_gives_up_an_open_edit(chat: ChatController) -> None:
    say(chat, "one", "re one after []")
    question = chat.user_messages.first
    question.hover()
    question.locator("[part~=edit]").click()
    chat.element.locator("[part~=editor-input]").fill("not sent")
    say(chat, "two", "re two after [one]")
    expect(chat.element.locator("[part~=editor]")).to_have_count(0)
    assert shown(chat) == ["one", "re one after []", "two", "re two after [one]"]


def test_a_message_the_server_refused_goes_back_to_the_box_and_is_not_in_the_conversation(
    page: Page, server: Gunicorn
) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/edits/")
    # The element is told no limit, so the server is the one to refuse.
    page.evaluate(
        "() => { const bot = document.querySelector('chat-bot'); bot.config = {...bot.config, max_message_chars: null} }"
    )
    chat.send("x" * 600)  # over /edits' 500 characters
    expect(chat.element.locator("[part~=input-note]")).to_contain_text("the limit is 500")
    expect(chat.input).to_have_value("x" * 600)
    expect(chat.user_messages).to_have_count(0)  # nothing to edit or select: it was never said
    chat.input.fill("")
    say(chat, "short", "re short after []")  # the refused text never reached fn's history


def test_a_message_over_the_limit_is_not_sent_and_the_box_says_why(chat: ChatController) -> None:
    chat.send("é" * 501)  # the element knows /edits' limit from config.json: 500 characters
    expect(chat.element.locator("[part~=input-note]")).to_have_text(
        "This message has 501 characters; the limit is 500."
    )
    expect(chat.input).to_have_value("é" * 501)
    expect(chat.user_messages).to_have_count(0)
    chat.input.press("Backspace")  # typing clears the note; 500 go through
    expect(chat.element.locator("[part~=input-note]")).to_be_hidden()
    chat.input.press("Enter")
    expect(chat.latest_assistant()).to_contain_text("re " + "é" * 500)


def test_after_an_idle_close_an_edit_and_a_switch_wake_the_socket_and_go_through(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/edits-idle/")
    say(chat, "one", "re one after []")
    expect(chat.element).to_have_attribute("data-connection", "offline", timeout=10_000)  # idle_timeout is 1 s
    edit(chat, chat.user_messages.first, "uno")  # the socket wakes, then the edit goes
    expect(chat.latest_assistant()).to_contain_text("re uno after []", timeout=10_000)
    chat.expect_idle()
    expect(chat.element).to_have_attribute("data-connection", "offline", timeout=10_000)
    chat.user_messages.first.locator("[part~=version-prev]").click()
    expect(chat.element).to_have_attribute("data-connection", "online", timeout=10_000)
    expect(versions(chat.user_messages.first)).to_contain_text("1 / 2")
    say(chat, "two", "re two after [one]")  # the server follows the version shown


def test_an_error_about_something_else_does_not_end_a_waiting_edit(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/edits/")
    # The element alone, driven by the page as a custom backend would.
    page.evaluate("""() => {
        const bot = document.createElement('chat-bot')
        document.querySelector('chat-bot').replaceWith(bot)
        bot.config = {editable: 'user'}
        bot.messages = [{id: 'u1', role: 'user', content: 'a', html: '<p>a</p>'},
                        {id: 'a1', role: 'assistant', content: 're a', html: '<p>re a</p>'}]
        bot.addEventListener('chat-bot-edit', e => { window.edited = e.detail })
    }""")
    edit(chat, chat.user_messages.first, "a2")
    new_id = page.evaluate("window.edited.newId")
    assert page.evaluate("window.edited.previous") == "a"
    page.evaluate("""() => document.querySelector('chat-bot').applyFrame(
        {type: 'error', code: 'listener_error', message: 'A like listener failed.'})""")
    expect(chat.element.locator("[part~=editor-input]")).not_to_be_editable()  # still waiting for its answer
    page.evaluate(f"""() => {{
        const bot = document.querySelector('chat-bot')
        bot.applyFrame({{type: 'message', message: {{id: '{new_id}', role: 'user', content: 'a2', html: '<p>a2</p>', status: 'done'}}}})
        bot.applyFrame({{type: 'message', message: {{id: 'a2r', role: 'assistant', content: 're a2', html: '<p>re a2</p>', status: 'done'}}}})
        bot.applyFrame({{type: 'idle'}})
    }}""")
    assert shown(chat) == ["a2", "re a2"]
    expect(versions(chat.user_messages.first)).to_contain_text("2 / 2")
    expect(chat.element.locator("[part~=editor]")).to_have_count(0)


def test_an_elem_id_from_config_does_not_change_what_a_reload_restores(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/panel/")  # Chatbot(elem_id="helper-chat", value=[Hello!])
    chat.send("one")
    expect(chat.latest_assistant()).to_contain_text("echo one")
    chat.expect_idle()
    page.evaluate(
        "() => { const el = document.querySelector('chat-bot'); el.parentNode.append(el) }"
    )  # moved: reconnects
    expect(chat.element).to_have_attribute("data-connection", "online")
    chat.send("two")
    expect(chat.latest_assistant()).to_contain_text("echo two")
    chat.expect_idle()
    page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(chat.user_messages).to_have_text(["one", "two"])


def test_when_storage_is_full_a_reload_starts_afresh_not_from_an_old_copy(chat: ChatController) -> None:
    say(chat, "one", "re one after []")
    chat.page.wait_for_function("() => Object.keys(sessionStorage).some(k => k.startsWith('chat-bot:'))")
    chat.page.evaluate("""() => {
        let i = 0
        for (let size = 1 << 20; size >= 1; size >>= 2) {  // down to the last few bytes
            const chunk = 'x'.repeat(size)
            for (;;) { try { sessionStorage.setItem('filler' + i++, chunk) } catch { break } }
        }
    }""")
    say(chat, "two", "re two after [one]")
    chat.page.wait_for_function("() => !Object.keys(sessionStorage).some(k => k.startsWith('chat-bot:'))")
    chat.page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(chat.messages).to_have_count(0)

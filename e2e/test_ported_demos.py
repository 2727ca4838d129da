"""Gradio's own chat demos, ported into sample_app/gradio_demos/ (issue 10, item 5), each tried
in Chromium as a reader would: what Gradio's demo shows, this one shows. (multimodal_echo,
artifacts and validator are tried in e2e/test_attachments.py and e2e/test_composer.py.)"""

from __future__ import annotations

import re

from harness import ChatController, Gunicorn
from playwright.sync_api import Page, expect


def demo(page: Page, sample_app: Gunicorn, name: str) -> ChatController:
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/demos/{name}/")
    return chat


def reply(chat: ChatController):
    return chat.latest_assistant().locator("[part~=content]")


def test_echo_answers_an_example_card(page: Page, sample_app: Gunicorn) -> None:
    chat = demo(page, sample_app, "echo")
    expect(page).to_have_title("Echo Bot")
    chat.element.locator("[part~=example]", has_text="hola").click()
    expect(reply(chat)).to_have_text("hola")


def test_thoughts_stream_then_the_answer(page: Page, sample_app: Gunicorn) -> None:
    chat = demo(page, sample_app, "thoughts")
    chat.send("Why is the sky blue?")
    thought = chat.element.locator(".message.thought").first
    expect(thought.locator("[part~=thought-title]")).to_have_text("Thinking step-by-step")
    expect(thought.locator("[part~=thought-title] em")).to_have_count(1)  # the title's Markdown
    expect(reply(chat)).to_contain_text("Based on my thoughts and analysis above", timeout=15_000)
    chat.expect_idle()
    toggle = thought.locator("[part~=thought-toggle]")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # done: it folds away
    expect(thought.locator("[part~=thought-duration]")).to_have_text(re.compile(r"^\d+(\.\d)?s$"))
    toggle.click()
    expect(thought).to_contain_text("structuring the response for clarity")


def test_nested_thoughts_sit_inside_their_parent(page: Page, sample_app: Gunicorn) -> None:
    chat = demo(page, sample_app, "nested_thoughts")
    chat.send("What is the weather in San Francisco?")
    chat.expect_idle()
    parent = chat.element.locator(
        ".message.thought", has=page.locator("[part~=thought-title]", has_text="Using Weather Tool")
    )
    parent.locator("[part~=thought-toggle]").first.click()
    nested = parent.locator(".thought-children [part~=thought-title]")
    expect(nested).to_have_text(["Checking weather.com", "Checking sunny.org", "I will try again"])
    expect(chat.element.locator("[part~=message][data-role=assistant]").first).to_contain_text("my weather tool")


def test_options_offer_preset_replies(page: Page, sample_app: Gunicorn) -> None:
    chat = demo(page, sample_app, "options")
    chat.send("Hi")
    expect(reply(chat)).to_have_text("Which language do you prefer?")
    chat.element.get_by_role("button", name="🐍 Python").click()
    expect(chat.user_messages.last.locator("[part~=content]")).to_have_text("Python")
    expect(reply(chat)).to_have_text("Python it is. Good choice!")
    expect(chat.element.get_by_role("button", name="🐍 Python")).to_be_hidden()  # offered under the last reply only


def test_system_prompt_and_slider_reach_fn(page: Page, sample_app: Gunicorn) -> None:
    chat = demo(page, sample_app, "system_prompt")
    panel = chat.element.locator("[part~=additional-inputs]")
    panel.locator("summary").click()
    panel.get_by_label("System Prompt").fill("You are a pirate.")
    panel.locator("input[type=range]").fill("100")
    chat.send("ahoy")
    expect(reply(chat)).to_have_text("System prompt: You are a pirate. Message: ahoy.", timeout=15_000)


def test_like_marks_the_reply(page: Page, sample_app: Gunicorn) -> None:
    chat = demo(page, sample_app, "like")
    expect(chat.element.locator("[part~=placeholder]")).to_contain_text("Your Personal Yes-Man")
    chat.send("Am I right?")
    expect(reply(chat)).to_have_text("You said: Am I right?")
    like = chat.latest_assistant().locator("[part~=like]")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")


def test_retry_and_undo(page: Page, sample_app: Gunicorn) -> None:
    chat = demo(page, sample_app, "retry_undo_like")
    expect(chat.element.locator("[part~=label]")).to_have_text("Agent")
    chat.send("What is 2 + 2?")
    expect(reply(chat)).to_have_text(re.compile(r"^Answer \d+: you asked 'What is 2 \+ 2\?' after 0 messages\.$"))
    first = reply(chat).inner_text()
    chat.element.locator("[part~=retry]").click()
    expect(reply(chat)).not_to_have_text(first)
    expect(reply(chat)).to_contain_text("after 0 messages")
    chat.expect_idle()
    chat.element.locator("[part~=undo]").click()
    expect(chat.messages).to_have_count(0)
    expect(chat.input).to_have_value("What is 2 + 2?")


def test_editing_a_message_keeps_the_old_version(page: Page, sample_app: Gunicorn) -> None:
    chat = demo(page, sample_app, "editable")
    chat.send("hello")
    expect(reply(chat)).to_have_text("I'm a bot")
    chat.user_messages.last.hover()
    chat.user_messages.last.locator("[part~=edit]").click()
    editor = chat.element.locator("[part~=editor-input]")
    editor.fill("hello again")
    editor.press("Enter")
    expect(chat.user_messages.last.locator("[part~=content]")).to_have_text("hello again")
    expect(chat.element.locator("[part~=versions]")).to_contain_text("2 / 2")


def test_reasoning_tags_become_a_thought(page: Page, sample_app: Gunicorn) -> None:
    chat = demo(page, sample_app, "reasoning")
    chat.send("Hello")
    chat.expect_idle()
    expect(reply(chat)).to_have_text("Hello! How can I help you today?")
    thought = chat.element.locator(".message.thought")
    expect(thought.locator("[part~=thought-title]")).to_have_text("Reasoning")


def test_streaming_echo_types_back_and_keeps_saved_chats(page: Page, sample_app: Gunicorn) -> None:
    # Ported by following docs/migrating-from-gradio.md (sample_app/gradio_demos/streaming_echo.py).
    chat = demo(page, sample_app, "streaming_echo")
    chat.send("Hello there")
    expect(reply(chat)).to_have_text("You typed: Hello there", timeout=10_000)
    chat.expect_idle()
    flag = chat.latest_assistant().locator("[part~=flag]")
    expect(flag).to_be_visible()  # flagging_options beyond Like: a Flag menu
    expect(chat.element.locator("[part~=history-item]")).to_have_text(["Hello there"])  # save_history

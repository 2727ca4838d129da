"""Gradio's "chatinterface_streaming_echo" demo: the message echoed back a character at a time,
with flags and saved chats.

Changed from Gradio, following docs/migrating-from-gradio.md: ``from flask_chatbot import
chat_bp`` (was ``import gradio as gr``), and ``chat_bp(...)`` instead of ``gr.ChatInterface(...)``;
``type="messages"`` is dropped (the only type here). ``flagging_mode``, ``flagging_options`` and
``save_history`` keep their names.
"""

import time

from flask_chatbot import chat_bp

sleep_time = 0.05


def slow_echo(message, history):
    for i in range(len(message)):
        time.sleep(sleep_time)
        yield "You typed: " + message[: i + 1]


def blueprint():
    return chat_bp(
        slow_echo,
        name="streaming_echo",
        flagging_mode="manual",
        flagging_options=["Like", "Spam", "Inappropriate", "Other"],
        save_history=True,
    )

"""Gradio's "validator_chatinterface" demo: a validator refuses a message before fn sees it.

Changed from Gradio: the imports (``chat_bp``, ``validate`` from flask_chatbot), and
``chat_bp(...)`` instead of ``gr.ChatInterface(...)``; ``type`` and ``show_progress`` keep
their values.
"""

import time

from flask_chatbot import chat_bp, validate

sleep_time = 0.05


def validate_input(x):
    print("VALIDATE", x)
    return validate(x != "error", "Can't be error")


def do_chat(message, history):
    for i in range(len(message)):
        time.sleep(sleep_time)
        yield "You typed: " + message[: i + 1]


def blueprint():
    return chat_bp(do_chat, name="validator", type="messages", validator=validate_input, show_progress="full")

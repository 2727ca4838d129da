"""Gradio's "chatinterface_system_prompt" demo: additional inputs (a system prompt and a
slider) reach fn after the history.

Changed from Gradio: the imports (``chat_bp``, ``Textbox``, ``Slider`` from flask_chatbot),
and ``chat_bp(...)`` instead of ``gr.ChatInterface(...)``; ``type="messages"`` is dropped (the
only type here).
"""

import time

from flask_chatbot import Slider, Textbox, chat_bp

sleep_time = 0.05


def echo(message, history, system_prompt, tokens):
    response = f"System prompt: {system_prompt}\n Message: {message}."
    for i in range(min(len(response), int(tokens))):
        time.sleep(sleep_time)
        yield response[: i + 1]


def blueprint():
    return chat_bp(
        echo,
        name="system_prompt",
        additional_inputs=[
            Textbox("You are helpful AI.", label="System Prompt"),
            Slider(10, 100),
        ],
    )

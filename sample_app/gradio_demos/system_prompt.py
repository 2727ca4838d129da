"""Gradio's "chatinterface_system_prompt" demo: additional inputs (a system prompt and a
slider) reach fn after the history.

Changed from Gradio: the imports (``chat_bp``, ``Textbox``, ``Slider`` from flask_chatbot),
and ``chat_bp(...)`` instead of ``gr.ChatInterface(...)``; ``type="messages"`` is dropped (the
only type here). Added: examples that set the inputs too (a message, then a value per input,
as gr.ChatInterface takes them), whose cards say what they set.
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
        examples=[
            ["Ahoy!", "You are a pirate.", 100],
            ["What is Flask?", "You are helpful AI.", 60],
            "Hello",
        ],
    )

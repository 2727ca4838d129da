"""A reasoning model's raw output, split into a "Reasoning" thought by ``reasoning_tags``.

Changed from Gradio: the imports, ``Chatbot`` from flask_chatbot, and ``blueprint()``.
"""

import time

from flask_chatbot import Chatbot, chat_bp

sleep_time = 0.05

RAW = "<think>The user greets me. A short, friendly answer fits.</think>Hello! How can I help you today?"


def respond(message, history):
    text = ""
    for token in RAW.split(" "):
        time.sleep(sleep_time)
        text += token + " "
        yield text


def blueprint():
    return chat_bp(respond, name="reasoning", chatbot=Chatbot(reasoning_tags=[("<think>", "</think>")]))

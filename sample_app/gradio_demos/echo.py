"""The basic example of gr.ChatInterface's docs (https://www.gradio.app/docs/gradio/chatinterface): an echo bot with examples.

Changed from Gradio: the imports, and ``chat_bp(...)`` instead of ``gr.ChatInterface(...)``;
``type="messages"`` is dropped (the only type here).
"""

from flask_chatbot import chat_bp


def echo(message, history):
    return message


def blueprint():
    return chat_bp(fn=echo, name="echo", examples=["hello", "hola", "merhaba"], title="Echo Bot")

"""Gradio's "chatinterface_multimodal" demo: an echo bot that takes files.

Changed from Gradio: the imports, ``chat_bp(...)`` instead of ``gr.ChatInterface(...)`` and
``blueprint()``; ``type="messages"`` is dropped (the only type here). The files the reader
attaches reach ``message["files"]`` and show in the conversation; the demo answers the text.
"""

from flask_chatbot import chat_bp


def echo(message, history):
    return message["text"]


def blueprint():
    return chat_bp(
        fn=echo,
        name="multimodal_echo",
        examples=[{"text": "hello"}, {"text": "hola"}, {"text": "merhaba"}],
        title="Echo Bot",
        multimodal=True,
    )

"""Gradio's "chatinterface_multimodal" echo, the reply side: files come back as messages.

Input files need ``multimodal=True`` (not built yet); this port echoes files the server has,
the way the demo echoes the user's: a list mixing text and ``{"path": ...}`` dicts.
Changed from Gradio: the imports, and ``blueprint()``.
"""

from pathlib import Path

from flask_chatbot import chat_bp

STATIC = Path(__file__).resolve().parent.parent / "static"


def echo(message, history):
    files = [STATIC / "bot.png", STATIC / "tone.wav"]
    return [f"You said: {message}. Here are {len(files)} files:"] + [{"path": str(f)} for f in files]


def blueprint():
    return chat_bp(echo, name="multimodal_echo", title="Multimodal echo")

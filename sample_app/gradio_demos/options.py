"""Gradio's "chatbot_options" idea: a reply that offers preset answers.

Changed from Gradio: the imports, and ``blueprint()`` instead of ``gr.ChatInterface(...)``.
"""

from flask_chatbot import ChatMessage, chat_bp


def respond(message, history):
    if message in ("Python", "JavaScript"):
        return f"{message} it is. Good choice!"
    return ChatMessage(
        content="Which language do you prefer?",
        options=[{"value": "Python", "label": "🐍 Python"}, {"value": "JavaScript"}],
    )


def blueprint():
    return chat_bp(respond, name="options", title="Options")

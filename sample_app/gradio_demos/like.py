"""Gradio's "chatbot_like" demo: thumbs on replies, reported to a Python listener.

Changed from Gradio: the imports (``Chatbot``, ``LikeData``, ``chat_bp`` from flask_chatbot),
and ``blueprint()`` instead of ``gr.Blocks`` + ``gr.ChatInterface(fn, chatbot=chatbot)``.
"""

from flask_chatbot import Chatbot, LikeData, chat_bp

votes = []  # what the demo prints in Gradio; kept here so it can be shown and tested


def respond(message, history):
    return f"You said: {message}"


def vote(data: LikeData):
    if data.liked:
        votes.append("You upvoted this response: " + data.value)
    else:
        votes.append("You downvoted this response: " + data.value)


def blueprint():
    chatbot = Chatbot(placeholder="<strong>Your Personal Yes-Man</strong><br>Ask Me Anything")
    chatbot.like(vote, None, None)
    return chat_bp(respond, name="like", chatbot=chatbot)

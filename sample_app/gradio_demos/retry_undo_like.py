"""Gradio's retry, undo and like demo (the guide "Chatbot-Specific Events"): a chatbot whose
listeners handle undo, retry and like.

Changed from Gradio: the imports; ``respond`` returns its reply (chat_bp keeps the history) and
answers locally instead of calling the Hugging Face Inference API (no network here); and
``chat_bp(respond, chatbot=chatbot)`` instead of ``gr.Blocks`` with a Textbox. The listeners are
Gradio's: chat_bp already retries and undoes (as gr.ChatInterface does), so what they return
changes nothing: ``handle_undo``'s history is the conversation undo left, and ``handle_retry`` is
a generator, which is not a conversation (chat_bp runs fn itself).
"""

from flask_chatbot import Chatbot, LikeData, RetryData, UndoData, chat_bp

printed = []  # what the demo prints; kept so it can be shown and tested
answers = {"n": 0}


def respond(prompt: str, history):
    answers["n"] += 1
    return f"Answer {answers['n']}: you asked {prompt!r} after {len(history)} messages."


def handle_undo(history, undo_data: UndoData):
    return history[: undo_data.index], history[undo_data.index]["content"]


def handle_retry(history, retry_data: RetryData):
    new_history = history[: retry_data.index]
    previous_prompt = history[retry_data.index]["content"]
    yield from respond(previous_prompt, new_history)


def handle_like(data: LikeData):
    if data.liked:
        printed.append(f"You upvoted this response: {data.value}")
    else:
        printed.append(f"You downvoted this response: {data.value}")


def blueprint():
    chatbot = Chatbot(label="Agent", show_label=True)
    chatbot.undo(handle_undo, chatbot, [chatbot, None])
    chatbot.retry(handle_retry, chatbot, chatbot)
    chatbot.like(handle_like, None, None)
    return chat_bp(respond, name="retry_undo_like", chatbot=chatbot)

"""Gradio's "chatbot_editable" demo: the reader edits their messages; a listener reports each
edit ("from … to … at …").

Changed from Gradio: the imports, and ``chat_bp`` instead of ``gr.Blocks``. Gradio's demo adds
canned messages with buttons and shows the report in a Textbox; here fn answers with the canned
bot message, and the report goes to ``edited_messages`` (where the page would show it). An
edit regenerates the reply, and the old exchange is kept as a version of the turn.
"""

from flask_chatbot import Chatbot, EditData, chat_bp

edited_messages = []


def add_message(message, history):
    bot_msg = "I'm a bot"
    return bot_msg


def edit_message(edited_message: EditData):
    return f"from {edited_message.previous_value} to {edited_message.value} at {edited_message.index}"


def blueprint():
    chatbot = Chatbot(value=[], type="messages", editable="user")
    chatbot.edit(lambda data: edited_messages.append(edit_message(data)), None, None)
    return chat_bp(add_message, name="editable", chatbot=chatbot)

"""Gradio's "chatinterface_artifacts" demo: fn returns code beside its reply, shown in a pane
next to the conversation (additional outputs).

Changed from Gradio: the imports (``chat_bp``, ``Code`` from flask_chatbot), and
``chat_bp(chat, additional_outputs=[code], ...)`` instead of the ``gr.Blocks`` row holding
``gr.ChatInterface`` and ``code.render()``: the standalone page shows the outputs beside the
chat itself, headed by the component's label.
"""

import time

from flask_chatbot import Code, chat_bp

sleep_time = 0.5

python_code = """
def fib(n):
    if n <= 0:
        return 0
    elif n == 1:
        return 1
    else:
        return fib(n-1) + fib(n-2)
"""

js_code = """
function fib(n) {
    if (n <= 0) return 0;
    if (n === 1) return 1;
    return fib(n - 1) + fib(n - 2);
}
"""


def chat(message, history):
    time.sleep(sleep_time)
    if "python" in message.lower():
        return "Type Python or JavaScript to see the code.", Code(language="python", value=python_code)
    elif "javascript" in message.lower():
        return "Type Python or JavaScript to see the code.", Code(language="javascript", value=js_code)
    else:
        return "Please ask about Python or JavaScript.", None


def blueprint():
    code = Code(label="Code Artifacts")
    return chat_bp(
        chat,
        name="artifacts",
        title="Write Python or JavaScript",
        examples=["Python", "JavaScript"],
        additional_outputs=[code],
    )

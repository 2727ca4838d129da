"""The sample app: the demo bot (offline) or an OpenAI-compatible model, behind chat_bp.

Run it with ``make demo`` (gunicorn on http://127.0.0.1:8000), or
``flask --app 'sample_app:create_app()' run`` for the development server.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import Flask, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from flask_chatbot import chat_bp
from flask_chatbot.options.chat_options import default_content_security_policy

from .bots import demo_bot, openai_bot
from .files_bot import files_blueprint
from .gradio_demos import (
    artifacts,
    echo,
    editable,
    like,
    multimodal_echo,
    nested_thoughts,
    options,
    reasoning_tags,
    retry_undo_like,
    streaming_echo,
    system_prompt,
    thoughts,
    validator,
)
from .history_demo import history_blueprint
from .kitchen_sink import kitchen_sink_chatbot, sink_bot
from .queue_bot import queue_blueprint


def create_app() -> Flask:
    app = Flask(__name__)
    # Pages of other origins that may embed the chats, e.g. "https://blog.example.com"
    # (docs/embedding.md): the environment's list, spaces or commas between.
    app.config["CHATBOT_ALLOWED_ORIGINS"] = os.environ.get("CHATBOT_ALLOWED_ORIGINS", "")
    # concurrency_limit counts every worker of this gunicorn (make demo runs two), not each
    # worker alone: /queue-demo/ serves one reader at a time. The lines live in a folder of
    # this server's own (its master's pid), so the tests' servers do not share their lines.
    app.config["CHATBOT_QUEUE_SCOPE"] = "host"
    app.config["CHATBOT_QUEUE_DIR"] = Path(tempfile.gettempdir()) / f"flask-chatbot-sample-queues-{os.getppid()}"
    if os.environ.get("OPENAI_BASE_URL"):
        fn, title = openai_bot(), f"Chat with {os.environ.get('OPENAI_MODEL', 'gpt-4o-mini')}"
        description = "Streaming from the OpenAI-compatible server at `OPENAI_BASE_URL`."
    else:
        fn, title = demo_bot, "flask-chatbot demo"
        description = "An offline demo bot that streams Markdown. Set `OPENAI_BASE_URL` to talk to a real model."
    app.register_blueprint(
        chat_bp(
            fn,
            title=title,
            description=description,
            placeholder="**Ask me anything.** The demo bot answers with headings, lists, code and a table.",
            examples=["What can you show?", "Write some Python", "Explain WSGI in a table"],
            editable=True,
            # Programs talk to it too: POST /chat/api/chat, and OpenAI's clients at /chat/v1.
            openai_compatible=True,
            openai_model="flask-chatbot-demo",
        ),
        url_prefix="/chat",
    )

    # Every kind of message the chat can show, on its own page.
    app.register_blueprint(
        chat_bp(
            sink_bot,
            name="sink",
            title="Kitchen sink",
            chatbot=kitchen_sink_chatbot(),
            flagging_mode="manual",
            flagging_options=["Like", "Dislike", "Inaccurate", "Offensive"],
            flagging_dir=os.environ.get("CHATBOT_FLAGGING_DIR", ".gradio/flagged"),
        ),
        url_prefix="/sink",
    )

    # The demo bot in the other built-in themes (light and dark follow the system).
    for theme in ("soft", "monochrome"):
        app.register_blueprint(
            chat_bp(
                fn,
                name=f"theme_{theme}",
                title=f"The {theme} theme",
                theme=theme,
                examples=["Write some Python"],
                editable=True,
            ),
            url_prefix=f"/themes/{theme}",
        )

    # A multimodal bot: uploads by button, drag and drop and paste.
    app.register_blueprint(files_blueprint(), url_prefix="/files-demo")

    # Saved chats in a side panel; with ?user=<name>, on the server too (sample_app/history_demo.py).
    app.secret_key = os.environ.get("SECRET_KEY", "flask-chatbot-demo: set SECRET_KEY in production")
    app.register_blueprint(history_blueprint(fn), url_prefix="/history-demo")

    # One reader at a time: the line, the progress bar and toasts.
    app.register_blueprint(queue_blueprint(), url_prefix="/queue-demo")

    # Gradio's own chat demos, ported by changing imports (sample_app/gradio_demos/).
    for demo in (
        thoughts,
        nested_thoughts,
        options,
        reasoning_tags,
        multimodal_echo,
        like,
        retry_undo_like,
        editable,
        validator,
        system_prompt,
        artifacts,
        echo,
        streaming_echo,
    ):
        bp = demo.blueprint()
        app.register_blueprint(bp, url_prefix=f"/demos/{bp.name}")

    @app.get("/")
    def index() -> Response:
        return redirect(url_for("chat.page"))

    # The embed page holds the same element, so it gets the chat page's strict policy:
    # embed.html loads chat-bot.js from a file and has no inline script or style.
    embed_csp = default_content_security_policy()

    @app.get("/embed")
    def embed() -> Response:
        """<chat-bot> dropped into an existing page."""
        response = make_response(render_template("embed.html"))
        response.headers["Content-Security-Policy"] = embed_csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return app

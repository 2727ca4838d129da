"""An app whose chat only signed-in readers may use (authorize=), for e2e/test_members_only.py: a
cookie stands for the sign-in, the page sends the others to /sign-in, and a page of the app
embeds the element (which then meets a refused config.json)."""

from __future__ import annotations

from flask import Flask, Request, make_response, redirect, request

from flask_chatbot import chat_bp


def signed_in(req: Request) -> bool:
    return req.cookies.get("reader") == "ada"


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(
            lambda message, history: f"Hello Ada, you said: {message}",
            title="Members only",
            authorize=lambda req: signed_in(req) or redirect(f"/sign-in?next={req.path}"),
        ),
        url_prefix="/chat",
    )

    @app.get("/")
    def home() -> str:
        # The element on a page of the app's own: it asks config.json, which the policy refuses
        # to a reader who is not signed in.
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Home</title><link rel=icon href=data:,>"
            '<script type="module" src="/chat/static/chat-bot.js"></script></head>'
            '<body><h1>Home</h1><chat-bot src="/chat/" style="height: 420px"></chat-bot></body></html>'
        )

    @app.get("/sign-in")
    def sign_in() -> str:
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign in</title><link rel=icon href=data:,></head>"
            '<body><h1>Sign in</h1><form method=post action="/sign-in"><button>Sign in as Ada</button></form></body></html>'
        )

    @app.post("/sign-in")
    def signing_in():  # type: ignore[no-untyped-def]
        response = make_response(redirect(request.args.get("next") or "/chat/"))
        response.set_cookie("reader", "ada", httponly=True, samesite="Lax")
        return response

    return app

"""Packaging: a wheel built from the tree, installed in a fresh virtualenv, serves the element."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from flask_chatbot.web.assets import bundle_modules

ROOT = Path(__file__).resolve().parent.parent
BUILD_PRODUCTS = (".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "node_modules")

CHECK = textwrap.dedent(
    """
    import json, pathlib, sys
    import flask_chatbot
    from flask import Flask
    from flask_chatbot import chat_bp

    assert "site-packages" in flask_chatbot.__file__, flask_chatbot.__file__
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: m, title="Wheel"), url_prefix="/chat")
    client = app.test_client()
    page = client.get("/chat/")
    js = client.get("/chat/static/chat-bot.js")
    css = client.get("/chat/static/styles.css")
    config = client.get("/chat/config.json").get_json()
    folder = pathlib.Path(flask_chatbot.__file__).parent / "webcomponent"
    print(json.dumps({
        "page": page.status_code, "title": "<title>Wheel</title>" in page.get_data(as_text=True),
        "js": js.status_code, "js_body": js.get_data(as_text=True),
        "css": css.status_code, "socket": config["socket"],
        "modules": sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.js")),
    }))
    """
)


def test_installed_wheel_serves_the_element(tmp_path):
    # Built from a copy of the tree without its build products: setuptools' build/ keeps the
    # files of earlier builds (modules since moved), and they would go into the wheel.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*BUILD_PRODUCTS))
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(source)],
        check=True,
    )
    (wheel,) = dist.glob("flask_chatbot-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    # Run from an empty folder, so nothing of the source tree can be imported by accident.
    result = subprocess.run([str(python), "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, check=True)
    import json

    found = json.loads(result.stdout)
    assert found["page"] == 200 and found["title"]
    # The blueprint serves the element bundled (web/assets.py), built from the installed files.
    assert found["js"] == 200 and found["js_body"] == bundle_modules(ROOT / "webcomponent")
    assert found["css"] == 200
    assert found["socket"] == "/chat/socket"
    assert set(found["modules"]) == {
        p.relative_to(ROOT / "webcomponent").as_posix() for p in (ROOT / "webcomponent").rglob("*.js")
    }

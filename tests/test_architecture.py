"""The shape of the package (docs/architecture.md): its public names, pinned, and the layers of
``.importlinter``, which hold today and fail when a forbidden import is added."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import flask_chatbot

ROOT = Path(__file__).resolve().parents[1]

# Every name `flask_chatbot` exported before the package was put in folders (0.9.0): a user's
# `from flask_chatbot import X` keeps working, whatever moves inside.
PUBLIC_NAMES = {
    "Accordion",
    "Audio",
    "ChatMessage",
    "ChatOptions",
    "Chatbot",
    "ChatbotError",
    "Checkbox",
    "CheckboxGroup",
    "Client",
    "ClientError",
    "Code",
    "CopyData",
    "Dataframe",
    "Dropdown",
    "EditData",
    "Error",
    "File",
    "FileData",
    "Gallery",
    "HTML",
    "Image",
    "Info",
    "JSON",
    "LikeData",
    "Markdown",
    "Metadata",
    "MultimodalTextbox",
    "Number",
    "OptionsError",
    "Plot",
    "Progress",
    "ProtocolError",
    "Radio",
    "RetryData",
    "SelectData",
    "Slider",
    "Success",
    "Textbox",
    "UndoData",
    "Video",
    "Warning",
    "chat_bp",
    "conversation_id",
    "load_chat",
    "validate",
}
# Added since: the worker's opt-in to what the library leaves to the process (0.10.0).
PUBLIC_NAMES |= {"init_worker"}


def test_the_public_names_are_the_ones_users_import() -> None:
    assert set(flask_chatbot.__all__) == PUBLIC_NAMES
    for name in PUBLIC_NAMES:
        assert getattr(flask_chatbot, name) is not None, name
    # Functions and classes, not the modules that happen to share a name (load_chat).
    assert callable(flask_chatbot.load_chat) and callable(flask_chatbot.chat_bp)
    assert flask_chatbot.__version__


def lint(package_root: Path, package: str) -> subprocess.CompletedProcess[str]:
    """lint-imports on a copy of the package named ``package`` under ``package_root``, with the
    project's contracts renamed to it (the copy must not be shadowed by the installed one)."""
    config = (ROOT / ".importlinter").read_text().replace("flask_chatbot", package)
    (package_root / ".importlinter").write_text(config)
    lint_imports = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=package_root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(package_root), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "flask_chatbot",
        tmp_path / "chatbot_copy",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "py.typed"),
    )
    return tmp_path


def test_the_layers_hold(package_copy: Path) -> None:
    result = lint(package_copy, "chatbot_copy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # Rendering imports the web layer above it.
        ("rendering/sanitize.py", "from ..web import assets", "Layers: nothing imports upward"),
        # A store imports conversation code.
        ("stores/flag_log.py", "from ..conversation import reply", "Layers: nothing imports upward"),
        # The protocol imports Flask.
        ("protocol/fields.py", "import flask", "know nothing of Flask"),
        # Two modules of one subpackage import each other.
        ("conversation/outbox.py", "from . import reply", "No cycles"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(package_copy: Path, module: str, line: str, contract: str) -> None:
    path = package_copy / "chatbot_copy" / module
    path.write_text(path.read_text() + f"\n{line}  # added by the test\n")
    result = lint(package_copy, "chatbot_copy")
    assert result.returncode != 0
    broken = result.stdout[result.stdout.index("Broken contracts") :]
    assert contract in broken, result.stdout

"""webcomponent/ as an npm package (issue 9, item 1): package.json, the custom elements
manifest and the TypeScript declarations, each held to the element's code, so that what a
page's tools and types say is what the element does."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "webcomponent"
SCRIPTS = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in ROOT.rglob("*.js")}
STYLES = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in ROOT.rglob("*.css")}
LIFECYCLE = {"constructor", "connectedCallback", "disconnectedCallback", "attributeChangedCallback"}


def manifest_element() -> dict:
    manifest = json.loads((ROOT / "custom-elements.json").read_text(encoding="utf-8"))
    assert manifest["schemaVersion"] == "1.0.0"
    [module] = [m for m in manifest["modules"] if m["path"] == "element.js"]
    [declaration] = module["declarations"]
    assert declaration["tagName"] == "chat-bot" and declaration["customElement"] is True
    entry = next(m for m in manifest["modules"] if m["path"] == "chat-bot.js")
    assert {
        "kind": "custom-element-definition",
        "name": "chat-bot",
        "declaration": {"name": "ChatBotElement", "module": "element.js"},
    } in entry["exports"]
    return declaration


def names(items: list[dict]) -> set[str]:
    return {item["name"] for item in items}


def public_api() -> set[str]:
    """The class's public properties and methods (static ones too), from element.js."""
    body = SCRIPTS["element.js"].split("export class ChatBotElement", 1)[1]
    found = set(re.findall(r"^  (?:static |get |set )?([a-zA-Z]\w*)\(", body, re.M)) - LIFECYCLE
    return found - {"observedAttributes"}


def test_package_json_exports_the_element_its_types_and_every_file() -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    assert package["type"] == "module" and package["exports"]["."] == {
        "types": "./chat-bot.d.ts",
        "default": "./chat-bot.js",
    }
    for target in [package["main"], package["types"], package["customElements"], *package["exports"].values()]:
        for path in target.values() if isinstance(target, dict) else [target]:
            assert (ROOT / path).is_file(), path
    # npm's `files`: a file by name, or a folder with all it holds.
    shipped = {
        p.relative_to(ROOT).as_posix()
        for pattern in package["files"]
        for found in ROOT.glob(pattern.rstrip("/"))
        for p in (found.rglob("*") if found.is_dir() else [found])
    }
    assert set(SCRIPTS) | set(STYLES) <= shipped  # the raw modules all go, so imports resolve


def test_the_manifest_declares_every_member_attribute_event_and_custom_property() -> None:
    element = manifest_element()
    assert public_api() == names(element["members"])
    # The element's own attributes (not those it reads on images and parts).
    own = SCRIPTS["element.js"] + SCRIPTS["panels/outputs.js"] + SCRIPTS["core/persist.js"]
    read = set(re.findall(r"(?:this|element|this\.#element)\.(?:getAttribute|hasAttribute)\('([a-z-]+)'\)", own))
    assert read and read <= names(element["attributes"])
    emitted = {f"chat-bot-{name}" for name in re.findall(r"emit\([^,]+,\s*'([a-z-]+)'", "".join(SCRIPTS.values()))}
    assert emitted == names(element["events"])
    used = set(re.findall(r"var\((--chat-bot-[a-z-]+)", "".join(STYLES.values())))
    assert used <= names(element["cssProperties"])


def test_the_manifest_names_every_part_the_code_gives() -> None:
    code = "".join(SCRIPTS.values())
    given = re.findall(r"part: '([a-z -]+)'|setAttribute\('part', '([a-z -]+)'\)", code)
    tokens = {token for pair in given for value in pair for token in value.split()}
    assert tokens and tokens <= names(manifest_element()["cssParts"])


def test_the_typescript_declarations_cover_the_manifest() -> None:
    types = (ROOT / "chat-bot.d.ts").read_text(encoding="utf-8")
    element = manifest_element()
    for member in names(element["members"]):
        assert re.search(rf"\b{member}\b[?(:]", types), member
    for event in names(element["events"]):
        assert f"'{event}': CustomEvent" in types, event
    assert "'chat-bot': ChatBotElement" in types

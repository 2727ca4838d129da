"""The bundler: the element's modules as one module, each in its own scope, and the
stylesheet with its imports inlined; forms outside the house convention are refused. That the
bundle parses and runs is tested in test_minify.py (node) and by the e2e suites (Chromium,
under the strict CSP)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from flask_chatbot.web.bundle import (
    ENTRY,
    BundleError,
    bundle_modules,
    inline_css_imports,
    lazy_entries,
    lazy_stylesheets,
)
from flask_chatbot.web.minify import strip_css

ROOT = Path(__file__).resolve().parent.parent
WEBCOMPONENT = ROOT / "webcomponent"
# A line that imports or exports (import.meta is neither).
IMPORT_OR_EXPORT = re.compile(r"^[ \t]*(?:import\b(?!\.meta)|export\b).*$", re.M)
# A line that is a comment, or inside a comment, in the element's sources (none of their
# template literals spans lines).
COMMENT_LINE = re.compile(r"^[ \t]*(?://|/\*|\*)")


def modules(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def wrapper(bundle: str, file: str) -> str:
    """The text of ``file``'s function scope in ``bundle``."""
    match = re.search(rf"^// -- {re.escape(file)}\n(.*?)^}}\)\(\);$", bundle, re.M | re.S)
    assert match, f"{file} is not in the bundle"
    return match[1]


# -- the real element ---------------------------------------------------------------------


@pytest.mark.parametrize("strip", [False, True])
def test_the_real_element_bundles_every_module_and_exports_only_the_element(strip: bool) -> None:
    bundle = bundle_modules(WEBCOMPONENT, strip=strip)
    # Every module but those loaded on first use (attach.js and what it loads, edits.js, editor.js, inputs-panel.js, the locales, status-view.js), bundles of their own.
    lazy = lazy_entries(WEBCOMPONENT)
    assert sorted(lazy) == [
        "actions/editor.js",
        "actions/edits.js",
        "composer/attach.js",
        "composer/attachments.js",
        "composer/recorder.js",
        *(f"i18n/locale-{lang}.js" for lang in ("ar", "de", "es", "fr", "he", "ja", "zh")),
        "panels/history-panel.js",
        "panels/inputs-panel.js",
        "panels/outputs.js",
        "panels/status-view.js",
    ]
    only_lazy = {
        "composer/file-rules.js"
    }  # imported only by lazy modules (attach.js, attachments.js): in their bundles
    every = sorted(p.relative_to(WEBCOMPONENT).as_posix() for p in WEBCOMPONENT.rglob("*.js"))
    files = [file for file in every if file not in lazy and file not in only_lazy]
    banners = re.findall(r"^// -- (\S+\.js)$", bundle, re.M)
    assert sorted(banners) == files  # every module, once, by its path in the folder
    assert banners[-1] == ENTRY and banners.index("core/protocol.js") < banners.index("view/render.js")
    for file in files:  # each module's code, whole, in its own scope
        body = (WEBCOMPONENT / file).read_text(encoding="utf-8")
        # Relative to the bundle's folder, not the module's (asserted below): compared apart.
        body = re.sub(r"^.*(?:import\.meta\.url|import\(').*$", "", body, flags=re.M)
        body = re.sub(r"^export (?=async |function|class |const )", "", body, flags=re.M)
        body = re.sub(r"^import\s*\{[^}]*\}[^\n]*$", "", body, flags=re.M)  # may span lines
        body = IMPORT_OR_EXPORT.sub("", body)
        scope = wrapper(bundle, file).splitlines()
        for line in body.splitlines():
            if not strip:
                assert line in scope, (file, line)
            elif line.strip() and not COMMENT_LINE.match(line):  # code, without its indentation
                # ... and without a `//` comment after it
                code = line.strip()
                cuts = [m.start() for m in re.finditer(r"\s//", code)]
                assert code in scope or any(code[:cut].rstrip() in scope for cut in cuts), (file, line)
            else:
                assert line.strip() not in scope, (file, line)
    assert IMPORT_OR_EXPORT.findall(bundle) == [
        "export const {ChatBotElement} = __chatbot_chat_bot;",
        "export default __chatbot_chat_bot.default;",
    ]
    # The stylesheet is found where the raw module finds it, and a feature loaded on first use
    # where the raw module would load it: both relative to the bundle, at the top of the folder.
    assert "new URL('../styles.css', new URL('./view/parts.js', import.meta.url).href)" in wrapper(
        bundle, "view/parts.js"
    )
    assert "import('./history-panel.js')" in (WEBCOMPONENT / "panels/saved-history.js").read_text(encoding="utf-8")
    assert "import('./panels/history-panel.js')" in wrapper(bundle, "panels/saved-history.js")


@pytest.mark.parametrize("strip", [False, True])
def test_the_real_stylesheet_inlines_each_import(strip: bool) -> None:
    raw = (WEBCOMPONENT / "styles.css").read_text(encoding="utf-8")
    imported = re.findall(r'^@import url\("([\w./-]+\.css)"\);$', raw, re.M)
    assert imported
    css = inline_css_imports(WEBCOMPONENT, strip=strip)
    served = strip_css if strip else lambda text, name: text
    assert "@import" not in css
    for name in imported:
        assert served((WEBCOMPONENT / name).read_text(encoding="utf-8"), name).strip() in css
    # What styles.css says itself still comes after what it imports, as with @import.
    assert css.rstrip().endswith(served(raw, "styles.css").rstrip()[-200:])
    assert ("/*" in css) is not strip


# -- the transform ------------------------------------------------------------------------


def test_each_module_gets_its_own_scope_in_dependency_order(tmp_path: Path) -> None:
    modules(
        tmp_path,
        {
            "chat-bot.js": """\
            import {greet, PI as pi} from './b.js'
            import * as a from './a.js'
            const helper = 'entry'
            export class Thing {}
            export {greet, pi}
            export default Thing
            """,
            "a.js": """\
            const helper = 'a'
            export const NAME = helper
            export function shout(text) { return text.toUpperCase() }
            """,
            "b.js": """\
            import {
              NAME,
              shout,
            } from './a.js'
            const helper = 'b'
            export const PI = 3.14
            export async function greet() { return shout(NAME + helper) }
            """,
        },
    )
    bundle = bundle_modules(tmp_path)
    assert re.findall(r"^// -- (\S+)$", bundle, re.M) == ["a.js", "b.js", "chat-bot.js"]
    # The same top-level name in three modules: three function scopes, no clash.
    for file in ("a.js", "b.js", "chat-bot.js"):
        assert len(re.findall(r"^const helper = ", wrapper(bundle, file), re.M)) == 1
    b = wrapper(bundle, "b.js")
    assert "const NAME = __chatbot_a.NAME;\nconst shout = __chatbot_a.shout;\n" in b
    assert "\nasync function greet() {" in b
    assert b.endswith("return Object.freeze({__proto__: null, PI, greet});\n")
    entry = wrapper(bundle, "chat-bot.js")
    assert "const greet = __chatbot_b.greet;\nconst pi = __chatbot_b.PI;\nconst a = __chatbot_a;\n" in entry
    assert "return Object.freeze({__proto__: null, Thing, greet, pi, default: Thing});" in entry
    assert IMPORT_OR_EXPORT.findall(bundle) == [
        "export const {Thing, greet, pi} = __chatbot_chat_bot;",
        "export default __chatbot_chat_bot.default;",
    ]


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("import thing from './a.js'", "an import of a form the bundler does not know"),
        ("import './a.js'", "an import of a form the bundler does not know"),
        ("const load = name => import(name)", "an import of a form the bundler does not know"),
        ("const load = () => import('../a.js')", "loads '../a.js', outside the element's folder"),
        ("const load = () => import(`./a.js`)", "an import of a form the bundler does not know"),
        ("import {x} from 'lit'", "imports 'lit'; only a relative path ('./name.js', '../core/name.js') inside"),
        ("import {x} from '/a.js'", "imports '/a.js'; only a relative path"),
        ("import {x} from '../a.js'", "imports '../a.js'"),
        ("import {x, y z} from './a.js'", "cannot read 'y z'"),
        ("export let count = 0", "an export of a form the bundler does not know"),
        ("export var count = 0", "an export of a form the bundler does not know"),
        ("export const {a, b} = {}", "an export of a form the bundler does not know"),
        ("export * from './a.js'", "an export of a form the bundler does not know"),
        ("export {x} from './a.js'", "an export of a form the bundler does not know"),
        ("export default function () {}", "an export of a form the bundler does not know"),
        ("await fetch('/')", "a top-level await"),
        ("import {missing} from './a.js'", "chat-bot.js: imports 'missing' as missing, but a.js does not export it"),
    ],
)
def test_forms_outside_the_convention_are_refused_at_build_time(tmp_path: Path, source: str, complaint: str) -> None:
    modules(tmp_path, {"chat-bot.js": source + "\n", "a.js": "export const x = 1\n"})
    with pytest.raises(BundleError, match=re.escape(complaint)) as raised:
        bundle_modules(tmp_path)
    assert "chat-bot.js" in str(raised.value)


def test_a_module_loaded_on_first_use_stays_out_of_the_bundle_and_bundles_alone(tmp_path: Path) -> None:
    modules(
        tmp_path,
        {
            "chat-bot.js": "import {x} from './a.js'\n// e.g. import('./example.js'), which is no module\n"
            "export const load = () => import('./lazy.js').then(m => m.y + x)\n",
            "a.js": "export const x = 1\n",
            "lazy.js": "import {x} from './a.js'\nexport const y = x + 1\nexport const more = () => import(\"./later.js\")\n",
            "later.js": "export const z = 3\n",
        },
    )
    bundle = bundle_modules(tmp_path)
    assert "import('./lazy.js')" in bundle and "// -- lazy.js" not in bundle  # resolved beside the bundle
    assert lazy_entries(tmp_path) == ["lazy.js", "later.js"]
    alone = bundle_modules(tmp_path, "lazy.js")
    assert "// -- a.js" in alone and "// -- lazy.js" in alone  # its own copy of what it imports
    assert IMPORT_OR_EXPORT.findall(alone) == ["export const {y, more} = __chatbot_lazy;"]


def test_modules_in_subfolders_are_known_by_their_paths(tmp_path: Path) -> None:
    modules(
        tmp_path,
        {
            "chat-bot.js": "import {a} from './core/a.js'\nexport const load = () => import('./panels/lazy.js')\n",
            "core/a.js": "import {b} from '../view/b.js'\nexport const a = b\nexport const here = import.meta.url\n",
            "view/b.js": "export const b = 2\n",
            "panels/lazy.js": "import {b} from '../view/b.js'\nexport const more = () => import('../core/later.js')\n",
            "core/later.js": "export const sheet = new URL('./later.css', import.meta.url).href\n",
        },
    )
    bundle = bundle_modules(tmp_path)
    assert re.findall(r"^// -- (\S+)$", bundle, re.M) == ["view/b.js", "core/a.js", "chat-bot.js"]
    assert "const b = __chatbot_b.b;" in wrapper(bundle, "core/a.js")
    # What the raw module means, from where the bundle is served (the raw entry's place).
    assert "export const here" not in bundle and "here = new URL('./core/a.js', import.meta.url).href" in bundle
    assert lazy_entries(tmp_path) == ["panels/lazy.js", "core/later.js"]
    alone = bundle_modules(tmp_path, "panels/lazy.js")  # served at panels/lazy.js
    assert "import('../core/later.js')" in alone and "new URL('../view/b.js'" not in alone
    later = bundle_modules(tmp_path, "core/later.js")  # its own folder: import.meta.url as written
    assert "new URL('./later.css', import.meta.url).href" in later


def test_the_blueprint_serves_a_lazy_module_as_its_own_bundle(serve) -> None:
    import urllib.request

    server = serve(lambda message, history: message)
    with urllib.request.urlopen(f"{server.url}/chat/static/composer/attachments.js") as response:
        body = response.read().decode()
    assert body == bundle_modules(WEBCOMPONENT, "composer/attachments.js")
    assert response.headers["Content-Type"].startswith("text/javascript")


def test_an_import_cycle_is_refused(tmp_path: Path) -> None:
    modules(
        tmp_path,
        {
            "chat-bot.js": "import {a} from './a.js'\n",
            "a.js": "import {b} from './b.js'\nexport const a = 1\n",
            "b.js": "import {a} from './a.js'\nexport const b = 2\n",
        },
    )
    with pytest.raises(BundleError, match=re.escape("import cycle: chat-bot.js -> a.js -> b.js -> a.js")):
        bundle_modules(tmp_path)


def test_a_missing_module_is_named(tmp_path: Path) -> None:
    modules(tmp_path, {"chat-bot.js": "import {a} from './gone.js'\n"})
    with pytest.raises(BundleError, match="gone.js: no such file"):
        bundle_modules(tmp_path)


def test_stylesheet_imports_are_inlined_in_place_and_in_depth(tmp_path: Path) -> None:
    modules(
        tmp_path,
        {
            "styles.css": "/* base */\n@import url(\"code.css\");\n@import url('media.css');\n.base { color: red; }\n",
            "code.css": '@import url("palette.css");\n.code { color: blue; }\n',
            "palette.css": ".palette { color: green; }\n",
            "media.css": ".media { color: black; }\n",
        },
    )
    css = inline_css_imports(tmp_path)
    order = [css.index(rule) for rule in (".palette", ".code", ".media", ".base")]
    assert order == sorted(order)
    assert "@import" not in css


@pytest.mark.parametrize(
    "line",
    ['@import url("print.css") print;', '@import "code.css";', '@import url("/code.css");'],
)
def test_stylesheet_imports_of_other_forms_are_refused(tmp_path: Path, line: str) -> None:
    modules(tmp_path, {"styles.css": f"{line}\n.base {{}}\n", "print.css": "", "code.css": ""})
    with pytest.raises(BundleError, match=r'styles.css:1: only @import url\("file.css"\); lines are inlined'):
        inline_css_imports(tmp_path)


def test_a_stylesheet_outside_the_folder_is_refused(tmp_path: Path) -> None:
    modules(tmp_path, {"styles.css": '@import url("../other/code.css");\n.base {}\n'})
    with pytest.raises(
        BundleError, match=re.escape("styles.css: imports '../other/code.css', outside the element's folder")
    ):
        inline_css_imports(tmp_path)


def test_stylesheets_in_subfolders_inline_by_their_paths(tmp_path: Path) -> None:
    modules(
        tmp_path,
        {
            "styles.css": '@import url("view/code.css");\n.base { color: red; }\n',
            "view/code.css": '@import url("../panels/palette.css");\n.code { color: blue; }\n',
            "panels/palette.css": ".palette { color: green; }\n",
            "panels/status.css": ".status { color: black; }\n",  # linked by a module of its own
        },
    )
    css = inline_css_imports(tmp_path)
    order = [css.index(rule) for rule in (".palette", ".code", ".base")]
    assert order == sorted(order)
    assert lazy_stylesheets(tmp_path) == ["panels/status.css"]
    # Inlined into styles.css, a url() of view/ would resolve against the top of the folder.
    modules(tmp_path, {"view/code.css": '.code { background: url("dots.png"); }\n'})
    with pytest.raises(BundleError, match=re.escape("view/code.css: refers to a url()")):
        inline_css_imports(tmp_path)

"""The strippers: the served bundle and stylesheet without the sources' comments,
indentation and blank lines, read the same as the raw files (node parses and runs the
JavaScript, with stand-ins for the DOM), and what the scanners cannot read for sure is
refused with the file and line."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from test_bundle import COMMENT_LINE, WEBCOMPONENT, modules

from flask_chatbot.web.bundle import BundleError, bundle_modules, inline_css_imports
from flask_chatbot.web.minify import strip_css, strip_js

# Imports a module (argv[2], a file: URL) in node, with a stand-in for each browser global the
# element's modules touch when they load, and prints what it exports, described as JSON:
# values, regular expressions, and for functions and classes their names, arity and methods.
DESCRIBE_EXPORTS = """
const stub = new Proxy(function () {}, {
  get: (target, key) =>
    key === Symbol.toPrimitive || key === 'then' ? undefined : key === 'prototype' ? target.prototype : stub,
  apply: () => stub,
  construct: () => stub,
})
for (const name of ['HTMLElement', 'Node', 'NodeFilter', 'Element', 'DocumentFragment', 'customElements', 'document',
  'window', 'CSS', 'CustomEvent', 'getComputedStyle', 'matchMedia', 'navigator', 'trustedTypes', 'ResizeObserver',
  'MutationObserver', 'IntersectionObserver', 'requestAnimationFrame', 'WebSocket', 'location']) {
  if (!(name in globalThis)) globalThis[name] = stub
}
const describe = (value, depth = 0) => {
  if (value === stub) return '<browser>'
  if (value instanceof RegExp) return String(value)
  if (typeof value === 'function') {
    return {name: value.name, length: value.length, own: Object.getOwnPropertyNames(value).sort(),
      methods: value.prototype ? Object.getOwnPropertyNames(value.prototype).sort() : null}
  }
  if (value && typeof value === 'object') {
    if (depth > 4) return '<deep>'
    return Object.fromEntries(Object.keys(value).sort().map(key => [key, describe(value[key], depth + 1)]))
  }
  return value === undefined ? '<undefined>' : value
}
console.log(JSON.stringify(describe(await import(process.argv[2]))))
"""


def node_exports(directory: Path, source: str, name: str = "module") -> dict:
    """What the ES module ``source`` exports, as node sees it (see DESCRIBE_EXPORTS)."""
    script = directory / "describe.mjs"
    script.write_text(DESCRIBE_EXPORTS, encoding="utf-8")
    module = directory / f"{name}.mjs"
    module.write_text(source, encoding="utf-8")
    result = subprocess.run(
        ["node", str(script), module.as_uri()], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def with_every_module_exported(bundle: str) -> str:
    """``bundle`` also exporting each module's scope, so that node can describe them all."""
    scopes = re.findall(r"^const (__chatbot_\w+) = \(\(\) => \{$", bundle, re.M)
    assert len(scopes) > 10
    return bundle + f"export const modules = {{{', '.join(scopes)}}};\n"


# -- the real element ---------------------------------------------------------------------


def test_the_served_bundle_parses_and_defines_what_the_sources_do(tmp_path: Path) -> None:
    plain, served = bundle_modules(WEBCOMPONENT, strip=False), bundle_modules(WEBCOMPONENT)
    assert len(served.encode()) < 0.7 * len(plain.encode())  # the comments and indentation went
    (tmp_path / "chat-bot.mjs").write_text(served, encoding="utf-8")
    checked = subprocess.run(
        ["node", "--check", str(tmp_path / "chat-bot.mjs")], capture_output=True, text=True, timeout=60, check=False
    )
    assert checked.returncode == 0, checked.stderr
    described = node_exports(tmp_path, with_every_module_exported(served), "served")
    assert described == node_exports(tmp_path, with_every_module_exported(plain), "plain")
    assert sorted(described) == ["ChatBotElement", "default", "modules"]
    assert described["ChatBotElement"]["name"] == "ChatBotElement"
    assert "connectedCallback" in described["ChatBotElement"]["methods"]
    assert described["modules"]["__chatbot_protocol"]["ID_PATTERN"] == "/^[A-Za-z0-9_-]{1,64}$/"
    # The only comment lines left are the bundle's own: its header and a banner per module.
    header, *banners = [line for line in served.splitlines() if COMMENT_LINE.match(line)]
    assert header == served.splitlines()[0] and header.startswith("// chat-bot.js and the modules it imports")
    assert len(banners) == len(described["modules"]) and all(line.startswith("// -- ") for line in banners)


# -- leaving comments out ------------------------------------------------------------------


def test_a_template_literal_over_lines_is_kept_as_it_is(tmp_path: Path) -> None:
    template = (
        "`first line\n"
        "    // not a comment\n"
        "  /* x */\n"
        "\n"
        "  ${1 +\n"
        "    // a comment in the expression\n"
        "    1} and trailing spaces   \n"
        "`"
    )
    source = (
        "/**\n"
        " * A template literal that spans lines.\n"
        " */\n"
        f"export const text = {template}  // why\n"
        "    // the end\n"
        "export const inline = `// not a comment either /* x */`\n"
    )
    stripped = strip_js(source, "t.js")
    expected = {
        "text": "first line\n    // not a comment\n  /* x */\n\n  2 and trailing spaces   \n",
        "inline": "// not a comment either /* x */",
    }
    assert node_exports(tmp_path, source, "raw") == expected
    assert node_exports(tmp_path, stripped, "stripped") == expected
    assert "A template literal" not in stripped and "the end" not in stripped
    assert "a comment in the expression" not in stripped  # a line of code, not of the template
    assert "// why" in stripped  # on a line that starts inside the template literal: as it was


def test_strings_and_regular_expressions_with_slashes_are_kept(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """\
        // Slashes that are not comments.
        export const url = 'http://example.com/a' // after code: goes
        export const block = "/* not a comment */"
        export const continued = 'one \\
            // still the string\\
            two'
        export const quote = /'/.test("'") // a quote in a regular expression
        export const tick = /[/`]/.source
          // a comment after them: still seen as one
        export const half = (4) / 2 + '/'
        """
    )
    stripped = strip_js(source, "s.js")
    expected = {
        "url": "http://example.com/a",
        "block": "/* not a comment */",
        "continued": "one     // still the string    two",
        "quote": True,
        "tick": "[/`]",
        "half": "2/",
    }
    assert node_exports(tmp_path, source, "raw") == expected
    assert node_exports(tmp_path, stripped, "stripped") == expected
    assert "Slashes" not in stripped and "a comment after them" not in stripped
    assert "after code" not in stripped and "a quote in a regular expression" not in stripped
    assert "export const url = 'http://example.com/a'\n" in stripped  # the string's // stays
    assert "    // still the string\\\n" in stripped  # inside a string: as it was


def test_a_licence_header_is_kept() -> None:
    source = "// SPDX-License-Identifier: MIT\n// What this module does.\nconst a = 1\n// Copyright nobody\n"
    assert strip_js(source) == "// SPDX-License-Identifier: MIT\nconst a = 1\n"
    assert strip_css("/*! licence */\n/* doc */\n.a {}\n") == "/*! licence */\n.a {}\n"


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        (
            "const a = 1\nif (a) /`/.test(s)\n",
            ":5: cannot tell whether a '/' in 'if (a) /`/.test(s)' starts a regular expression",
        ),
        ("const s = 'open\n", ':4: cannot read "const s = \'open": an unterminated string'),
        ("const t = `open\n", ": ends inside a template literal"),
        ("const s = '\u2028'\n", ":4: U+2028/U+2029 written as such"),
    ],
    ids=["ambiguous-slash", "unterminated-string", "unterminated-template", "u2028"],
)
def test_what_the_scanner_cannot_read_for_sure_is_refused(tmp_path: Path, source: str, complaint: str) -> None:
    # An import over three lines first: the line named is still the file's.
    modules(tmp_path, {"chat-bot.js": "import {\n  x,\n} from './a.js'\n" + source, "a.js": "export const x = 1\n"})
    with pytest.raises(BundleError, match=re.escape("chat-bot.js" + complaint)):
        bundle_modules(tmp_path)


def test_stylesheet_comments_go_but_strings_and_urls_stay() -> None:
    source = textwrap.dedent(
        """\
        /* The header. */
        :host {
          content: "/* x */";  /* why */

          quotes: '/*' '*/';
          background: url(data:image/gif;base64,R0/*lG*/OD);
          margin: 1px/**/2px;
        }
        a/* glued */:hover { color: red }
        """
    )
    assert strip_css(source) == (
        ":host {\n"
        'content: "/* x */";\n'
        "quotes: '/*' '*/';\n"
        "background: url(data:image/gif;base64,R0/*lG*/OD);\n"
        "margin: 1px/**/2px;\n"  # without anything between, 1px2px would be one token
        "}\n"
        "a:hover { color: red }\n"
    )


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ('.a { content: "one\\\n two" }\n', "code.css:2: a string is not closed on its line"),
        (".a { color: red; /* open\n", "code.css:2: a comment is not closed"),
        (".a\\31 \n  .b {}\n", "code.css: '.a\\\\31' ends with an escape"),
    ],
    ids=["string-over-lines", "unclosed-comment", "escape-at-line-end"],
)
def test_what_the_stylesheet_scanner_cannot_read_for_sure_is_refused(
    tmp_path: Path, source: str, complaint: str
) -> None:
    modules(tmp_path, {"styles.css": '@import url("code.css");\n', "code.css": "/* code */\n" + source})
    with pytest.raises(BundleError, match=re.escape(complaint)):
        inline_css_imports(tmp_path)
    assert ".a" in inline_css_imports(tmp_path, strip=False)  # the raw files are not refused


def test_a_bundled_module_of_a_subfolder_resolves_urls_as_its_raw_file_does(tmp_path: Path) -> None:
    # The raw files beside the bundle, as the blueprint serves them: the bundle at the entry's
    # place, a feature loaded on first use from its own path (here, its raw file).
    modules(
        tmp_path,
        {
            "chat-bot.js": "import {here, feature} from './view/a.js'\nexport const found = () => feature().then(f => ({here, ...f}))\n",
            "view/a.js": "export const here = new URL('../styles.css', import.meta.url).href\n"
            "export const feature = () => import('../panels/lazy.js').then(m => ({sheet: m.sheet}))\n",
            "panels/lazy.js": "export const sheet = new URL('./status.css', import.meta.url).href\n",
        },
    )
    (tmp_path / "served.js").write_text(bundle_modules(tmp_path), encoding="utf-8")
    (tmp_path / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    seen = {}
    for name in ("chat-bot.js", "served.js"):
        result = subprocess.run(
            [
                "node",
                "--input-type=module",
                "-e",
                f"console.log(JSON.stringify(await (await import({json.dumps((tmp_path / name).as_uri())})).found()))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        seen[name] = json.loads(result.stdout)
    assert (
        seen["served.js"]
        == seen["chat-bot.js"]
        == {
            "here": (tmp_path / "styles.css").as_uri(),
            "sheet": (tmp_path / "panels/status.css").as_uri(),
        }
    )

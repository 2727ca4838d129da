"""``python -m bench.browser``: the element's budgets, measured in Chromium against gunicorn.

- cold standalone page: requests and bytes on the wire (WebSocket frames not counted);
- echo round trip: from ``send()`` to the reply's ``chat-bot-message`` event, median of 30;
- 500 messages on screen: from setting ``messages`` (server-rendered HTML) to the next frame
  after layout, median of 9 after 2 runs that warm the JIT up;
- frames while streaming: the longest animation frame while a 2,000-word reply streams
  (``long-animation-frame`` entries, which Chromium reports for frames over 50 ms).

``--write`` puts the table in docs/performance.md (section ``browser``).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from . import doc_sections

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "e2e"))
from harness import CHROMIUM_ARGS, Gunicorn, chromium_path  # noqa: E402

DOC = ROOT / "docs" / "performance.md"

WAIT_ONLINE = "() => document.querySelector('chat-bot')?.dataset.connection === 'online'"


def cold_page(page: Page, url: str) -> dict[str, Any]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(url)
    page.wait_for_function(WAIT_ONLINE)
    page.wait_for_load_state("networkidle")
    http = [u for u in urls.values() if not u.startswith("data:")]
    return {"requests": len(http) + len(sockets), "bytes": sum(sizes.values())}


def echo_round_trip(page: Page, runs: int = 30) -> float:
    times = page.evaluate(
        """async runs => {
          const bot = document.querySelector('chat-bot')
          const out = []
          for (let i = 0; i < runs; i++) {
            const done = new Promise(resolve => bot.addEventListener('chat-bot-message', function on(e) {
              if (e.detail.message.role === 'assistant') { bot.removeEventListener('chat-bot-message', on); resolve() }
            }))
            const idle = () => new Promise(r => { const t = () => bot.generating ? setTimeout(t, 1) : r(); t() })
            const start = performance.now()
            bot.send(`ping ${i}`)
            await done
            out.push(performance.now() - start)
            await idle()
          }
          return out
        }""",
        runs,
    )
    return statistics.median(times)


def many_messages(page: Page, messages: list[dict[str, Any]], runs: int = 9, warmup: int = 2) -> float:
    times = page.evaluate(
        """async ([messages, runs]) => {
          const bot = document.querySelector('chat-bot')
          const out = []
          for (let i = 0; i < runs; i++) {  // the first runs warm the JIT up, and are dropped
            bot.messages = []
            await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))
            const start = performance.now()
            bot.messages = messages
            bot.shadowRoot.querySelector('[part~=log]').scrollHeight  // layout
            await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))
            out.push(performance.now() - start)
          }
          return out
        }""",
        [messages, runs + warmup],
    )
    return statistics.median(times[warmup:])


def longest_frame_while_streaming(page: Page) -> list[float]:
    return page.evaluate(
        """async () => {
          const bot = document.querySelector('chat-bot')
          let longest = 0, blocking = 0
          const observer = new PerformanceObserver(list => {
            for (const entry of list.getEntries()) {
              longest = Math.max(longest, entry.duration)
              blocking = Math.max(blocking, entry.blockingDuration)  // the part scripts and layout held
            }
          })
          observer.observe({type: 'long-animation-frame', buffered: false})
          const done = new Promise(resolve => bot.addEventListener('chat-bot-message', function on(e) {
            if (e.detail.message.role === 'assistant') { bot.removeEventListener('chat-bot-message', on); resolve() }
          }))
          bot.send('stream')
          await done
          await new Promise(r => setTimeout(r, 100))
          observer.disconnect()
          return [longest, blocking]
        }"""
    )


def rendered_history(n: int) -> list[dict[str, Any]]:
    from flask_chatbot.rendering.renderer import Renderer, RenderOptions

    from .__main__ import history

    renderer = Renderer(RenderOptions())
    return [
        {**m, "html": renderer.render(m["content"], from_user=m["role"] == "user"), "status": "done"}
        for m in history(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    server = Gunicorn("bench.browser_app:create_app()", ready_path="/chat/", CHATBOT_WORKERS="1")
    server.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_context().new_page()
            result = {"cold": cold_page(page, f"{server.url}/chat/")}
            result["echo_ms"] = echo_round_trip(page)
            result["messages_500_ms"] = many_messages(page, rendered_history(500))
            page.goto(f"{server.url}/chat/")
            page.wait_for_function(WAIT_ONLINE)
            result["longest_frame_ms"] = longest_frame_while_streaming(page)
            browser.close()
    finally:
        server.stop()
    table = report_table(result)
    print(table)
    if args.write:
        doc_sections.write_section("browser", table, DOC)


def report_table(r: dict[str, Any]) -> str:
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    return "\n".join(
        [
            f"## The element in Chromium (`python -m bench.browser`, {machine})",
            "",
            "| budget | measured | limit |",
            "| --- | --- | --- |",
            f"| cold standalone page | {r['cold']['requests']} requests, {r['cold']['bytes'] / 1000:.1f} KB | 6 requests, 40 KB |",
            f"| echo round trip (median of 30) | {r['echo_ms']:.1f} ms | about 25 ms |",
            f"| 500 messages on screen (median of 9, after 2 to warm up) | {r['messages_500_ms']:.0f} ms | 250 ms |",
            f"| longest frame while a 2,000-word reply streams | {r['longest_frame_ms'][0]:.0f} ms, of which "
            f"{r['longest_frame_ms'][1]:.0f} ms blocked by work (0: none over 50 ms) | 50 ms |",
        ]
    )


if __name__ == "__main__":
    main()

"""e2e fixtures: sample_app under real gunicorn, Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import CHROMIUM_ARGS, Gunicorn, chromium_path, watch_problems
from playwright.sync_api import Browser, Page, sync_playwright


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def sample_app() -> Iterator[Gunicorn]:
    server = Gunicorn(DEMO_DELAY="0.02")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context; any console error or CSP violation fails the test."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.problems = watch_problems(page)  # type: ignore[attr-defined]
    yield page
    context.close()

"""e2e fixtures: sample_app under real gunicorn, Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
from harness import CHROMIUM_ARGS, Gunicorn, chromium_path, unexpected_problems, watch_problems
from playwright.sync_api import Browser, Page, sync_playwright

# The page fixture's page of the test being run; once its body has run, how many problems the
# check saw and whether the body passed.
PAGE = pytest.StashKey[Page]()
REPORTED = pytest.StashKey[int]()
PASSED = pytest.StashKey[bool]()


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
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context; any console error, CSP violation or uncaught error fails the test.

    ``page.problems`` lists them as they come. A test that provokes one on purpose declares it
    with ``page.allow_problems(pattern)`` (a regular expression searched in each problem): the
    problems it matches, and only those, do not fail the test. The check runs when the test's
    body ends (a problem fails the test) and at teardown (for what came while other fixtures
    closed: an error at teardown).
    """
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        page.problems = watch_problems(page)  # type: ignore[attr-defined]
        page.allowed_problems = []  # type: ignore[attr-defined]
        page.allow_problems = page.allowed_problems.append  # type: ignore[attr-defined]
        request.node.stash[PAGE] = page
        yield page
        # What came after a passing body (while another fixture closed): the body's were checked.
        late = unexpected_problems(page)[request.node.stash.get(REPORTED, 0) :]
        if late and request.node.stash.get(PASSED, False):
            pytest.fail("the page had problems after the test:\n" + "\n".join(late), pytrace=False)
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test whose page (the page fixture's) had problems it did not allow."""
    page = item.stash.get(PAGE, None)
    try:
        result = yield
    except BaseException:
        if page is not None and (problems := unexpected_problems(page)):  # shown with the failure
            item.add_report_section("call", "browser problems", "\n".join(problems))
        raise
    if page is not None:
        problems = unexpected_problems(page)
        item.stash[REPORTED] = len(problems)
        item.stash[PASSED] = not problems
        if problems:
            pytest.fail(
                "the page had console errors, CSP violations or uncaught errors:\n" + "\n".join(problems), pytrace=False
            )
    return result

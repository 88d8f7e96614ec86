"""Real-browser fixtures: Debian's Chromium driven by Playwright, a live server on
loopback, axe-core for accessibility and phone-sized screenshots as test artifacts.

Nothing here downloads a browser: Playwright launches /usr/bin/chromium (apt's package).
When Chromium, Playwright or axe-core is missing the browser tests skip with the reason;
under REQUIRE_BROWSER=1 (CI) that is a failure instead.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
# A small Android phone: what many respondents fill the survey on.
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# Impacts that fail a test; moderate and minor ones are only reported.
BLOCKING_IMPACTS = {"serious", "critical"}


def unavailable(reason: str) -> None:
    """Skip for a developer without the browser tools; fail in CI, where they must be."""
    if REQUIRE_BROWSER:
        pytest.fail(f"REQUIRE_BROWSER=1: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    except Exception as error:  # a broken install reads better as one line than a trace
        playwright.stop()
        unavailable(f"Chromium at {CHROMIUM} does not start: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


class QuietRequestHandler(WSGIRequestHandler):
    """No line per request: a failing test's output keeps to what failed."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test app served over HTTP on 127.0.0.1 and a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def surveys_loaded(app) -> None:
    result = app.test_cli_runner().invoke(args=["surveys", "load"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def new_context(browser: Browser) -> Iterator:
    """Browser contexts (each its own cookies), closed after the test.

    `phone=True` gives a phone-sized viewport (360 px wide, or any `viewport`);
    `javascript=True` also lets the test inject axe-core despite our
    Content-Security-Policy, which allows no script but our own.
    """
    contexts: list[BrowserContext] = []

    def make(
        *,
        javascript: bool = True,
        phone: bool = True,
        viewport: dict[str, int] | None = None,
        **options: Any,
    ) -> BrowserContext:
        context = browser.new_context(
            java_script_enabled=javascript,
            bypass_csp=javascript,
            viewport=viewport or (PHONE if phone else DESKTOP),
            is_mobile=phone,
            has_touch=phone,
            locale=options.pop("locale", "en-US"),
            **options,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


class Audit:
    """axe-core run on pages as a test goes; every serious or critical violation is kept
    with its page, so that one run lists them all."""

    def __init__(self) -> None:
        self.pages: list[str] = []
        self.blocking: list[str] = []
        self.other: list[str] = []

    def check(self, page: Page, name: str) -> None:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.add_script_tag(path=str(AXE))
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        self.pages.append(name)
        for violation in results["violations"]:
            line = describe(name, page.url, violation)
            (self.blocking if violation["impact"] in BLOCKING_IMPACTS else self.other).append(line)

    def assert_clean(self) -> None:
        assert self.pages, "axe-core checked no page"
        for line in self.other:  # shown with -rP, or with -s
            print("axe (not blocking):", line)
        assert not self.blocking, "serious or critical accessibility violations:\n" + "\n".join(
            self.blocking
        )


def describe(name: str, url: str, violation: dict) -> str:
    where = "; ".join(
        f"{' '.join(node['target'])} {node['html'][:160]!r}" for node in violation["nodes"][:5]
    )
    more = len(violation["nodes"]) - 5
    return (
        f"[{name}] {re.sub(r'/f/[^/?]+', '/f/<token>', url)}: {violation['impact']} "
        f"{violation['id']} ({violation['help']}): {where}"
        + (f" and {more} more" if more > 0 else "")
    )


@pytest.fixture
def audit(browser) -> Audit:
    if not AXE.exists():
        unavailable(f"axe-core is not installed at {AXE.relative_to(ROOT)} (npm ci)")
    return Audit()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest):
    """Save a full-page screenshot as test-artifacts/screenshots/<database>-<step>.png."""
    callspec = getattr(request.node, "callspec", None)
    database = callspec.params.get("database", "") if callspec else ""

    def take(page: Page, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{database}-{step}.png".lstrip("-")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

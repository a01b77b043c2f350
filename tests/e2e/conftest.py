"""Browser fixtures: the real app behind a real HTTP server in a thread, and Debian's Chromium via Playwright.

pytest-playwright's own `page`/`browser` fixtures are not used: they want a browser Playwright downloaded
itself. Chromium here is the system one at /usr/bin/chromium.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.fixtures import _postgres_schema, app, client, world  # noqa: F401  (the fixtures of this folder)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"e2e tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("MARKETPLACE_E2E_REQUIRED") == "1":
        pytest.fail(f"{reason}; MARKETPLACE_E2E_REQUIRED=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session; each test opens its own isolated contexts."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def live_server(app):  # noqa: F811  (the imported fixture, requested by name)
    """The test app (schema built by tests/conftest.py) served over real HTTP on 127.0.0.1:<free port>.

    Each request runs in a server thread with its own app context and database session.
    """
    # tests/fixtures.py pins SERVER_NAME to "localhost" for url_for in the test client; a real server
    # answers on 127.0.0.1:PORT, and Flask would 404 every request whose Host does not match.
    app.config.update(SERVER_NAME=None, MARKETPLACE_NOTICE_PERIOD_HOURS=0)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def open_context(chromium, live_server):
    """Open a fresh browser context (own cookies) on the live server; all are closed before it stops.

    Not named `new_context`/`context`/`page`: pytest-playwright owns those names.
    """
    contexts = []

    def _open(locale: str = "en-US"):
        context = chromium.new_context(base_url=live_server, locale=locale,
                                       viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def results_dir() -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR

"""A live service on a free loopback port, and Debian's Chromium driven by Playwright against it.

No browser is downloaded: Playwright is pointed at the system's Chromium (SHOEFIT_TEST_CHROMIUM, else `chromium`
on PATH). Without one the browser tests are skipped, except under CI, where .ci/run installs it and a missing
browser is a failure rather than a quiet skip.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import WSGIRequestHandler, make_server

from shoefit import create_app

CHROMIUM_FLAGS = [
    # The closed network refuses Chromium's own background connections; these keep it from trying.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--no-sandbox",
]
KIOSK = {"width": 1080, "height": 1920}
TABLET = {"width": 820, "height": 1180}


def chromium_path():
    return os.environ.get("SHOEFIT_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if not path:
        if os.environ.get("CI"):
            pytest.fail("no Chromium under CI: .ci/run should have installed Debian's chromium")
        pytest.skip("no system Chromium (apt-get install chromium, or set SHOEFIT_TEST_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args):
        pass  # the app's own access log says the same


class LiveServer:
    """The app factory's app served by werkzeug in a thread, like any server a kiosk would reach."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


def serve(tmp_path, **config):
    url = sa.URL.create("sqlite", database=str(tmp_path / "fittings.sqlite3")).render_as_string()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), **config})
    return LiveServer(app)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    server = serve(tmp_path_factory.mktemp("live"), KIOSK_IDLE_SECONDS=600)
    yield server
    server.stop()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport=KIOSK)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"the page threw: {errors}"


@pytest.fixture()
def screenshot():
    """Save a screenshot under SHOEFIT_SCREENSHOTS (docs/screenshots/ when refreshing the README's pictures)."""
    folder = os.environ.get("SHOEFIT_SCREENSHOTS")

    def take(page, name, **options):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), **options)

    return take

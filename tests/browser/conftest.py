"""End-to-end fixtures: the app served by a real server on 127.0.0.1, Debian's Chromium driven by
Playwright, and a real SMTP server. Every page fails the test on a console error or on any request
to a host other than this machine."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.demo.seed import seed_demo
from app.extensions import db
from config import TestingConfig
from tests.conftest import PASSWORD, POSTGRES_URL, Mailbox, RecordingHandler, free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

if POSTGRES_URL:
    # The browser suite checks what people see; it runs once, in the SQLite pass.
    pytest.skip("browser tests run in the SQLite pass", allow_module_level=True)
if not shutil.which(CHROMIUM):
    pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")


class LiveServer:
    def __init__(self, app, url: str, mailbox: Mailbox):
        self.app = app
        self.url = url
        self.mailbox = mailbox

    def deliver_mail(self) -> None:
        from app.mail.sender import deliver_pending

        with self.app.app_context():
            deliver_pending()

    def path(self, url: str) -> str:
        return self.url + urlsplit(url).path


@pytest.fixture
def live(tmp_path) -> LiveServer:
    mailbox = Mailbox()
    smtp = Controller(RecordingHandler(mailbox), hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'live.sqlite3'}"
        PUBLIC_URL = f"http://127.0.0.1:{port}"
        MAIL_SERVER = "127.0.0.1"
        MAIL_PORT = smtp.port
        WTF_CSRF_ENABLED = True  # the browser goes through the real forms

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        events = seed_demo(date.today())
        from app.accounts.services import create_user

        organizer = create_user("organizer@example.org", PASSWORD, name="Olga Organizer")
        for event in events:  # the organizer manages the demo events (app/events/access.py)
            event.owners.append(organizer)
        db.session.commit()

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{port}", mailbox)
    finally:
        server.shutdown()
        smtp.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class PageProblems:
    def __init__(self):
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []


def _open_page(browser: Browser, viewport: dict, problems: PageProblems, **options) -> Page:
    context = browser.new_context(viewport=viewport, **options)

    def guard(route):
        url = route.request.url
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:", "about:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            problems.foreign_requests.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    # A page answering 4xx on purpose (a form with errors, a 404 page) is not a broken page;
    # Chromium still logs its status as a console error, which is skipped for documents only.
    error_documents: set[str] = set()

    def on_response(response) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            error_documents.add(response.url)

    def on_console(message) -> None:
        if message.type != "error":
            return
        if message.text.startswith("Failed to load resource") and (
            message.location.get("url", "").split("#")[0] in error_documents
        ):
            return
        problems.console_errors.append(f"{message.location.get('url')}: {message.text}")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.console_errors.append(str(error)))
    return page


@pytest.fixture
def open_page(browser):
    """`open_page(viewport=PHONE)`: a fresh browser tab; its problems fail the test."""
    problems = PageProblems()
    pages: list[Page] = []

    def open_page(viewport: dict = DESKTOP, **options) -> Page:
        page = _open_page(browser, viewport, problems, **options)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.context.close()
    assert problems.console_errors == [], "console errors"
    assert problems.foreign_requests == [], "requests to other hosts"


@pytest.fixture
def page(open_page) -> Page:
    return open_page()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-output/screenshots/ (README shows some)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

"""A real gunicorn serving an index of the seeds and the council corpus, a host site on another
origin, and headless Debian Chromium driven by Playwright (never a downloaded browser)."""
from __future__ import annotations

import json
import shutil
import tempfile
import threading
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.gunicorn_process import GunicornProcess, free_port

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent / "pages"
FIXTURES = ROOT / "tests" / "embed" / "fixtures"
ARTIFACTS = ROOT / "test-artifacts"
WRITE_KEY = "browser-test-write-key-0123456789"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium (`make browser`) to run the widget tests",
        allow_module_level=True,
    )


@pytest.fixture(scope="session")
def host_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def api(tmp_path_factory, host_port):
    """Base URL of gunicorn over a fresh index; one article with hostile markup added through the write route."""
    from cli.main import main

    index = tmp_path_factory.mktemp("browser-index") / "index"
    assert main(["index", "--index", str(index), "--workers", "1", str(ROOT / "seeds"), str(FIXTURES)]) == 0
    # Short waits: the first and last tests' 60 s timeouts include this fixture's start and stop.
    with GunicornProcess(
        index, tmp_path_factory.mktemp("gunicorn") / "gunicorn.log", workers=2, ready_timeout=30, stop_timeout=10,
        NEWSEARCH_CORS_ORIGINS=f"http://127.0.0.1:{host_port}", NEWSEARCH_API_KEYS=WRITE_KEY,
        NEWSEARCH_LOG_LEVEL="warning",
    ) as gunicorn:
        hostile = {
            "id": "hostile-02",
            "url": "https://news.example.org/hostile/02",
            "title": 'Zoning appeal <img src=x onerror="window.__xss=1">',
            "body": 'The zoning appeal quoted <img src=x onerror="window.__xss=1"> and <script>window.__xss=1</script> verbatim.',
            "source": "KCTV",
            "published": "2023-02-20T10:00:00Z",
        }
        request = urllib.request.Request(
            f"{gunicorn.base}/v1/articles", data=json.dumps(hostile).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {WRITE_KEY}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        yield gunicorn.base


@pytest.fixture(scope="session")
def host(api, host_port):
    """The partner site: tests/browser/pages served from another origin, with the API's URL filled in."""

    class Pages(SimpleHTTPRequestHandler):
        def do_GET(self):
            name = self.path.split("?", 1)[0].lstrip("/") or "host.html"
            page = PAGES / name
            if "/" in name or not page.is_file():
                self.send_error(404)
                return
            body = page.read_text("utf-8").replace("{{API}}", api).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", host_port), Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{host_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="ns-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1100, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    page.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

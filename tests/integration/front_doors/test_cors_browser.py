"""CORS in a real browser: a page on another origin calls the gateway with fetch() (headless chromium).

Runs where Playwright and Debian's chromium are installed (the admin UI's browser tests bring both);
skips otherwise. The header-level checks of the same rules are in ``test_cors.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.conftest import MASTER_KEY
from tests.support.servers import serve_app

PAGE = "<!doctype html><title>app</title><p>browser app</p>"
CALL = """async ([url, key, stream]) => {
  try {
    const response = await fetch(url + "/v1/chat/completions", {method: "POST",
      headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
      body: JSON.stringify({model: "m", stream, messages: [{role: "user", content: "hi from the browser"}]})});
    return {status: response.status, requestId: response.headers.get("x-request-id"), body: await response.text()};
  } catch (error) {
    return {error: String(error)};
  }
}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[str, str]]:
    """Two static sites on loopback: two origins, one allowed and one not."""
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse(PAGE))])
    allowed, refused = serve_app(app), serve_app(app)
    yield allowed.url, refused.url
    allowed.stop()
    refused.stop()


def _fetch_from(chromium: Any, origin: str, gateway_url: str, *, stream: bool = False) -> dict[str, Any]:
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(origin + "/")
        return page.evaluate(CALL, [gateway_url, MASTER_KEY, stream])  # type: ignore[no-any-return]
    finally:
        context.close()


def test_a_browser_app_calls_the_gateway_from_an_allowed_origin_only(
        chromium: Any, pages: tuple[str, str], start_gateway: Any) -> None:
    allowed, refused = pages
    gateway = start_gateway({"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m"}}],
                             "general_settings": {"allowed_origins": [allowed]}})
    answer = _fetch_from(chromium, allowed, gateway.url)
    assert answer.get("status") == 200, answer
    assert "hi from the browser" in answer["body"] and answer["requestId"]  # an exposed header is readable
    streamed = _fetch_from(chromium, allowed, gateway.url, stream=True)
    assert streamed.get("status") == 200 and streamed["body"].rstrip().endswith("data: [DONE]")
    blocked = _fetch_from(chromium, refused, gateway.url)
    assert "error" in blocked and "Failed to fetch" in blocked["error"]

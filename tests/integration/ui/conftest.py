"""Fixtures for the admin UI: a gateway with a store and priced mock models, admin API helpers, and one
headless Debian chromium per test module driven by Playwright (a screenshot lands in the test's tmp dir on
failure).

Per module, not per session: Playwright's sync API keeps an event loop running in the main thread while it
is started, which would break every later test that calls ``asyncio.run``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.support.servers import RunningServer, serve_app
from tests.support.tables import fresh_tables

PRICED = {"input_cost_per_token": 0.000002, "output_cost_per_token": 0.000008}
MODELS: dict[str, Any] = {
    "model_list": [
        {"model_name": "gpt-4o-mini", "litellm_params": {"model": "mock/gpt-4o-mini", **PRICED}},
        {"model_name": "claude-haiku", "litellm_params": {"model": "mock/anthropic/claude-haiku", **PRICED}},
    ],
}


class Gw:
    """A running gateway and the admin API as the master key."""

    def __init__(self, server: RunningServer, app: Any) -> None:
        self.url = server.url
        self.server = server
        self.app = app
        self.http = httpx.Client(timeout=20)

    def admin(self, method: str, path: str, body: Any = None, *, auth: str = MASTER_KEY, expect: int = 200,
              **params: Any) -> Any:
        response = self.http.request(method, f"{self.url}{path}", json=body, params=params or None,
                                     headers={"Authorization": f"Bearer {auth}"})
        assert response.status_code == expect, response.text
        return response.json()


def start(config: dict[str, Any]) -> tuple[RunningServer, Any]:
    from tollway.app import create_app
    from tollway.config.loader import parse_config
    from tollway.gateway import Gateway

    config = {**config, "general_settings": {"master_key": MASTER_KEY, **config.get("general_settings", {})}}
    app = create_app(Gateway(parse_config(config)))
    return serve_app(app), app


@pytest.fixture(scope="module")
def ui_store(dynamodb_endpoint: str) -> Iterator[str]:
    """Fresh tables (a unique prefix) for this module."""
    with fresh_tables("ui") as prefix:
        yield prefix


@pytest.fixture(scope="module")
def gw(ui_store: str) -> Iterator[Gw]:
    server, app = start(MODELS)
    gateway = Gw(server, app)
    yield gateway
    gateway.http.close()
    server.stop()


# ---------------------------------------------------------------------------------------------- browser


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A fresh browser context and page; on failure its screenshot is saved as ``tmp_path/failure.png``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        tab.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failing page: {shot}")
    context.close()


def sign_in(page: Any, url: str, key: str) -> None:
    page.goto(f"{url}/ui/")
    page.get_by_test_id("signin-key").fill(key)
    page.get_by_test_id("signin-submit").click()
    page.get_by_test_id("role").wait_for()

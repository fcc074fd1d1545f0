"""The browser and the service the dashboard tests drive: Debian's chromium through
Playwright, and one `tunedrive serve` per test module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.live import LiveServer, live_server
from tests.dashboard.pages import CHROMIUM


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with pytest.importorskip("playwright.sync_api").sync_playwright() as started:
        yield started


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
    )
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # One service for the module's tests (each starting one costs seconds); the first test
    # is the one that needs it empty.
    with live_server(tmp_path_factory.mktemp("dashboard") / "home") as live:
        yield live

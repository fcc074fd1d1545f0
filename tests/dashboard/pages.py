"""Helpers of the dashboard tests: where chromium is, screenshots, chart points."""

from __future__ import annotations

import shutil
from typing import Any

from tests.api.live import ROOT

CHROMIUM = shutil.which("chromium")
SHOTS = ROOT / "build" / "screenshots"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def chart_points(page: Any, element_id: str) -> int:
    return page.evaluate(
        f"() => (document.getElementById('{element_id}').data || [])"
        ".reduce((n, t) => n + ((t.x && t.x.length) || 0), 0)"
    )

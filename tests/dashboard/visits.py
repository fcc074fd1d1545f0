"""Opening a 10,000-run experiment in a real browser, as a person would: used by the test (it
must draw) and by bench/dashboard_load.py (how fast)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.api.live import live_server
from tests.seeding import seed_experiment


@dataclass
class Visits:
    loads: list[float]  # seconds to table and every chart: first, second, third visit
    in_app: float  # opened from the experiments list, no reload

    def __str__(self) -> str:
        return (
            "10,000 runs x 50 epochs, table and all charts drawn: first visit "
            f"{self.loads[0]:.2f} s, second {self.loads[1]:.2f} s, third {self.loads[2]:.2f} s, "
            f"opened from the experiments list {self.in_app:.2f} s"
        )


def measure_visits(playwright: Any, where: Path, chromium: str, screenshot: Any = None) -> Visits:
    """Three visits in a browser with a profile on disk (nothing cached, then the bundle, then
    V8's code cache too), then the in-app navigation; each must draw 50 rows and the charts."""
    home = where / "home"
    experiment_id, _ = seed_experiment(f"sqlite:///{home / 'tunedrive.db'}", 10_000, 50)
    with live_server(home, "--no-dispatch") as server:
        context = playwright.chromium.launch_persistent_context(
            str(where / "profile"),
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox"],
            viewport={"width": 1400, "height": 1000},
        )
        loads = []
        for visit in range(3):
            page = context.new_page()
            page.goto(f"{server.url}/#/experiments/{experiment_id}")
            page.wait_for_selector("body[data-ready=experiment]", timeout=30_000)
            loads.append(page.evaluate("() => window.tunedriveInteractiveMs") / 1000)
            assert page.locator("#runs tbody tr").count() == 50
            assert page.locator("#chart-scatters .chart").count() == 2
            # The spec samples learning_rate on a log scale, latent_dim from a choice.
            axis_type = "(n) => document.querySelector(`[data-param=${n}]`).layout.xaxis.type"
            assert page.evaluate(f"() => ({axis_type})('learning_rate')") == "log"
            assert page.evaluate(f"() => ({axis_type})('latent_dim')") != "log"
            if visit == 0 and screenshot is not None:
                screenshot(page, "experiment-10k-runs")
            page.close()
        page = context.new_page()
        page.goto(server.url)
        page.wait_for_selector("body[data-ready=experiments]")
        page.wait_for_function("() => window.Plotly !== undefined")
        began = page.evaluate("() => performance.now()")
        page.click(f"tr[data-id='{experiment_id}'] a")
        page.wait_for_selector("body[data-ready=experiment]", timeout=30_000)
        in_app = (page.evaluate("() => window.tunedriveInteractiveMs") - began) / 1000
        assert page.locator("#runs tbody tr").count() == 50
        context.close()
    return Visits(loads, in_app)

"""The dashboard in Debian's chromium (headless, driven by Playwright) against a real server.

Screenshots land in build/screenshots/ for people to look at.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.api.live import ROOT, LiveServer, wait_for_end
from tests.dashboard.pages import CHROMIUM, chart_points, shot
from tests.dashboard.visits import measure_visits

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test)")

TOY = {
    "name": "browser-toy",
    "trainable": "toy_curve",
    "fixed": {"epochs": 8, "sleep": 0.5},
    "search_space": {"x": {"choice": [0.2, 0.4, 0.6, 0.8]}, "y": {"uniform": [0.0, 0.1]}},
    "sampling": {"method": "random", "seed": 3},
    "primary_metric": {"name": "score", "goal": "maximize"},
    "early_termination": {
        "policy": "median_stopping",
        "evaluation_interval": 1,
        "delay_evaluation": 3,
    },
    "budget": {"max_total_runs": 4, "max_concurrent_runs": 2},
}


def test_submit_watch_sort_open_a_run_and_cancel(page: Any, server: LiveServer) -> None:
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=experiments]")
    # A refused spec: the field's error shows beside the form, nothing is stored.
    refused = yaml.safe_dump({**TOY, "search_space": {"x": {"choice": []}}}, sort_keys=False)
    page.fill("#spec-text", refused)
    page.click("#submit-form button[type=submit]")
    error = page.wait_for_selector("#submit-errors li[data-field^='search_space.x']")
    assert "non-empty" in error.inner_text() and "line" in error.inner_text()
    shot(page, "submit-refused")
    assert httpx.get(f"{server.url}/api/experiments").json()["items"] == []

    page.fill("#spec-text", yaml.safe_dump(TOY, sort_keys=False))
    page.click("#submit-form button[type=submit]")
    page.wait_for_selector("body[data-ready=experiment]")
    page.evaluate("() => { window.notReloaded = true; }")
    # Runs appear and the learning curves fill while the experiment runs.
    page.wait_for_selector("#runs tbody tr[data-status=running]", timeout=60_000)
    page.wait_for_function("() => document.getElementById('chart-curves').data?.length > 1")
    early = chart_points(page, "chart-curves")
    page.evaluate("() => Plotly.relayout('chart-curves', {'xaxis.range': [1, 3]})")
    renders = int(page.get_attribute("body", "data-renders"))
    page.wait_for_function(f"() => Number(document.body.dataset.renders) >= {renders + 2}")
    assert chart_points(page, "chart-curves") > early  # new epochs arrived without a reload
    assert page.evaluate("() => window.notReloaded") is True
    zoom = page.evaluate("() => document.getElementById('chart-curves').layout.xaxis.range")
    assert zoom == [1, 3]  # the user's zoom survived the redraws
    # Sort by the primary metric; the order survives the next updates.
    page.click("th[data-sort=metric]")
    page.wait_for_selector("th.sorted[data-sort=metric]")
    experiment_id = page.evaluate("() => location.hash.split('/')[2]")
    status = httpx.get(f"{server.url}/api/experiments/{experiment_id}").json()["status"]
    assert status == "running"
    page.wait_for_selector("#status .s-completed", timeout=120_000)
    page.wait_for_timeout(500)
    assert page.get_attribute("th.sorted", "data-sort") == "metric"
    values = [float(v) for v in page.locator("#runs tbody td.num:nth-child(3)").all_inner_texts()]
    assert values == sorted(values, reverse=True) and len(values) == 4
    page.wait_for_function("() => document.getElementById('chart-importance').data?.length === 1")
    for chart in ("chart-best", "chart-parallel", "chart-importance"):
        assert page.evaluate(f"() => document.getElementById('{chart}').data.length") >= 1
    assert page.locator("#chart-scatters .chart").count() == 2  # one per hyperparameter
    shot(page, "experiment")

    # Extend the finished experiment by 2 runs from the page: it runs again, numbers going on.
    page.fill("#extend-runs", "2")
    page.click("#extend")
    page.wait_for_selector("#status .s-completed", state="detached", timeout=10_000)
    page.wait_for_selector("#status .s-completed", timeout=120_000)
    extended = httpx.get(f"{server.url}/api/experiments/{experiment_id}").json()
    assert extended["spec"]["budget"]["max_total_runs"] == 6 and extended["extensions"] == 1
    assert sum(extended["run_counts"].values()) == 6
    page.wait_for_function("() => document.querySelectorAll('#runs tbody tr').length === 6")
    # The toy trainable does not refit: the page says why, and the experiment stays as it was.
    page.click("#refit")
    page.wait_for_selector("#page-error:has-text('does not refit')")
    after = httpx.get(f"{server.url}/api/experiments/{experiment_id}").json()
    assert after["status"] == "completed"

    page.click("#runs tbody tr:first-child a")
    page.wait_for_selector("body[data-ready=run]")
    assert page.locator("#metric-charts .chart").count() == 2  # loss and score
    assert page.locator("#artifacts a[data-file='model.txt']").count() == 1
    shot(page, "run-toy")

    # Cancel from the page.
    slow = httpx.post(
        f"{server.url}/api/experiments",
        json={**TOY, "name": "to-cancel", "fixed": {"epochs": 50, "sleep": 1.0}},
    ).json()
    page.goto(f"{server.url}/#/experiments/{slow['id']}")
    page.wait_for_selector("body[data-ready=experiment]")
    page.wait_for_selector("#cancel:not([disabled])")
    page.click("#cancel")
    page.wait_for_selector("#status .s-canceled", timeout=60_000)
    assert httpx.get(f"{server.url}/api/experiments/{slow['id']}").json()["status"] == "canceled"


@pytest.mark.skipif(
    not os.environ.get("TUNEDRIVE_DATA_DIR"), reason="needs GEFCom2014 in TUNEDRIVE_DATA_DIR"
)
def test_run_page_of_a_real_forecaster(page: Any, server: LiveServer) -> None:
    quick = yaml.safe_load((ROOT / "configs" / "quick.yaml").read_text())
    quick["evaluation"] = {"repeats": 2}  # trial groups: the charts show the members' spread
    quick["fixed"].update(max_epochs=2, train_start="2014-04-01")  # a short training slice
    experiment = httpx.post(f"{server.url}/api/experiments", json=quick).json()
    assert wait_for_end(server.url, experiment["id"])["status"] == "completed"
    best = httpx.get(f"{server.url}/api/experiments/{experiment['id']}/best").json()
    page.goto(f"{server.url}/#/runs/{best['id']}")
    page.wait_for_selector("body[data-ready=run]")
    page.wait_for_function("() => document.getElementById('chart-forecast').data?.length === 4")
    assert chart_points(page, "chart-forecast") > 4000  # band, actual and forecast over the test
    band = page.evaluate(
        "() => document.getElementById('chart-forecast').data.slice(0, 2)"
        ".map((t) => ({name: t.name, y: t.y}))"
    )
    stored = _forecast_rows(server.url, best["id"])
    first_step = [r for r in stored if r["horizon_step"] == "1"]
    # The band drawn is the run's stored 10 % and 90 % quantile forecasts, step 1.
    assert band[1]["name"] == "q10–q90"
    assert band[0]["y"] == pytest.approx([float(r["q10"]) for r in first_step])
    assert band[1]["y"] == pytest.approx([float(r["q90"]) for r in first_step])
    assert chart_points(page, "chart-horizon") == 24
    final = best["final_metrics"]
    verdict = page.inner_text("#final .beats, #final .loses")
    assert final["baseline"] in verdict  # the run beside its own baseline, read from the page
    expected = "better than the baseline" if final["skill"] > 0 else "does NOT beat its baseline"
    assert expected in verdict
    traces = page.evaluate(
        "() => document.querySelector('[data-metric=val_mape]').data"
        ".map((t) => ({name: t.name, y: t.y, fill: t.fill || null}))"
    )
    baseline_line = next(t for t in traces if t["name"] == final["baseline"])
    # The dashed line on the validation chart is the baseline's validation value.
    assert baseline_line["y"][0] == pytest.approx(final["baseline_val_mape"])
    band = next(t for t in traces if t["fill"] == "tonexty")  # mean - std, filled up to + std
    metrics = httpx.get(f"{server.url}/api/runs/{best['id']}/metrics").json()["series"]
    lower = [m - s for m, s in zip(metrics["val_mape"], metrics["val_mape_std"], strict=True)]
    assert band["y"] == pytest.approx(lower)
    page.select_option("#step", "24")
    page.wait_for_function(
        "() => document.getElementById('chart-forecast').data[3].name.includes('24 steps')"
    )
    shot(page, "run-forecast")


def _forecast_rows(url: str, run_id: str) -> list[dict[str, str]]:
    import csv
    import io

    text = httpx.get(f"{url}/api/runs/{run_id}/artifacts/forecast.csv").text
    return list(csv.DictReader(io.StringIO(text)))


def test_a_command_trials_run_page_shows_its_logs(page: Any, server: LiveServer) -> None:
    import io
    import tarfile

    script = b"import sys\nfrom tuner.client import report\nprint('warming up', file=sys.stderr)\n"
    script += b"print('hello from stdout')\nreport(loss=float(sys.argv[1]))\n"
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        info = tarfile.TarInfo("train.py")
        info.size = len(script)
        archive.addfile(info, io.BytesIO(script))
    code = httpx.post(
        f"{server.url}/api/code",
        content=packed.getvalue(),
        headers={"Content-Type": "application/gzip"},
    ).json()["id"]
    spec = {
        "name": "browser-command",
        "trial": {"command": "python train.py ${{search_space.x}}", "code": code},
        "search_space": {"x": {"choice": [0.5]}},
        "primary_metric": {"name": "loss", "goal": "minimize"},
        "budget": {"max_total_runs": 1},
    }
    experiment = httpx.post(f"{server.url}/api/experiments", json=spec).json()
    assert wait_for_end(server.url, experiment["id"])["status"] == "completed"
    best = httpx.get(f"{server.url}/api/experiments/{experiment['id']}/best").json()
    page.goto(f"{server.url}/#/runs/{best['id']}")
    page.wait_for_selector("#logs:not([hidden])")
    assert "warming up" in page.inner_text("#log-text")  # stderr first
    page.select_option("#log-stream", "stdout")
    page.wait_for_function(
        "() => document.getElementById('log-text').textContent.includes('hello from stdout')"
    )
    shot(page, "run-logs")


@pytest.mark.slow  # bench/dashboard_load.py measures the same page; run by name (-m slow)
def test_a_10k_run_experiment_draws_table_and_charts(playwright: Any, tmp_path: Path) -> None:
    """Every visit and the in-app navigation draw the table and every chart; how fast is
    measured by bench/dashboard_load.py (timings belong in benchmarks, not in tests)."""
    visits = measure_visits(playwright, tmp_path, CHROMIUM, screenshot=shot)
    print(f"\n{visits}")
    assert len(visits.loads) == 3 and visits.in_app > 0

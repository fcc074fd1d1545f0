"""A tuned run put to work through a real `tunedrive serve` (one experiment for the module):
- forecasts: the API, the SDK, the CLI and the portable model agree, and bad history gets a 422
  that names what is wrong;
- refits: the best run is trained again on training plus validation by the experiment's next
  driver, stored as a run linked to its source, and the experiment returns to how it had ended;
- the experiment's ensemble (refits are no members): its figures, its forecast (the members'
  weighted mean) and its portable model."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.api.live import ROOT, LiveServer, live_server
from trainables.forecaster import EnsembleForecaster, load_forecaster
from tuner.client import Client
from tuner.errors import ConflictError

ROWS = 24 * 40  # forty days of an hourly series with a daily cycle


def series_frame() -> pd.DataFrame:
    hours = np.arange(ROWS)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "timestamp": pd.date_range("2021-03-01", periods=ROWS, freq="h"),
            "demand": 100 + 20 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 1, ROWS),
            "wind": rng.uniform(0, 10, ROWS),
        }
    )


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Any, Any]]:
    home = tmp_path_factory.mktemp("forecasts")
    source = home / "demand.csv"
    series_frame().to_csv(source, index=False)
    with live_server(home / "home") as live, Client(live.url) as client:
        dataset = client.upload_dataset(source, "demand")
        experiment = client.submit(
            {
                "name": "forecasts",
                "trainable": "ffn",
                "dataset": dataset.id,
                "target": "demand",
                "fixed": {"T": 24, "horizon": 6, "max_epochs": 2},
                "search_space": {"latent_dim": {"choice": [8]}},
                "primary_metric": {"name": "val_mae", "goal": "minimize"},
                "budget": {"max_total_runs": 1},
            }
        )
        assert client.wait(experiment.id, timeout=300).status == "completed"
        yield live, client, client.best_run(experiment.id)


def stored_rows(url: str, run_id: str) -> list[dict[str, str]]:
    text = httpx.get(f"{url}/api/runs/{run_id}/artifacts/forecast.csv").text
    return list(csv.DictReader(io.StringIO(text)))


def test_a_history_cut_at_a_test_origin_is_forecast_as_stored(tuned: Any) -> None:
    live, client, best = tuned
    stored = stored_rows(live.url, best.id)[6 * 10 : 6 * 11]  # the eleventh test origin
    origin = pd.Timestamp(stored[0]["origin"])
    frame = series_frame()
    history = frame[frame["timestamp"] <= origin].tail(24 + 168)  # T and up to a week
    made = client.forecast_frame(best.id, history)
    assert list(made["horizon_step"]) == [1, 2, 3, 4, 5, 6]
    assert pd.Timestamp(made["timestamp"].iloc[0]) == origin + pd.Timedelta(hours=1)
    np.testing.assert_allclose(made["forecast"], [float(r["predicted"]) for r in stored], atol=2e-3)
    np.testing.assert_allclose(made["q90"], [float(r["q90"]) for r in stored], atol=2e-3)
    # The experiment's best run forecasts the same.
    again = client.forecast(experiment_id=best.experiment_id, history=history)
    assert [r["forecast"] for r in again.rows] == list(made["forecast"])


def test_without_history_the_forecast_follows_the_data_set(tuned: Any) -> None:
    _, client, best = tuned
    rows = client.forecast(best.id).rows
    end = series_frame()["timestamp"].iloc[-1]
    assert [pd.Timestamp(r["timestamp"]) for r in rows] == [
        end + pd.Timedelta(hours=h) for h in range(1, 7)
    ]
    assert all(r["q10"] <= r["q50"] <= r["q90"] for r in rows)


@pytest.mark.parametrize(
    ("case", "edit", "message"),
    [
        ("too few rows", lambda f: f.tail(10), "10 rows of history; this run needs at least"),
        ("missing column", lambda f: f.drop(columns=["wind"]), "no column 'wind'"),
        ("a gap", lambda f: f.drop(index=f.index[-3]), "not consecutive steps of h"),
        (
            "another frequency",
            lambda f: f.assign(timestamp=pd.date_range("2021-01-01", periods=len(f), freq="D")),
            "not consecutive steps of h",
        ),
        ("no target", lambda f: f.drop(columns=["demand"]), "no column 'demand'"),
    ],
)
def test_bad_history_gets_a_422_naming_the_problem(
    tuned: Any, case: str, edit: Any, message: str
) -> None:
    live, _, best = tuned
    history = edit(series_frame().tail(300))
    response = httpx.post(
        f"{live.url}/api/runs/{best.id}/forecast",
        content=history.to_csv(index=False).encode(),
        headers={"Content-Type": "text/csv"},
        timeout=120,
    )
    assert response.status_code == 422, (case, response.text)
    assert message in response.json()["detail"], case


def test_the_portable_model_and_the_cli_forecast_as_the_service_does(
    tuned: Any, tmp_path: Path
) -> None:
    live, client, best = tuned
    history = series_frame().tail(200)
    history.to_csv(tmp_path / "history.csv", index=False)
    served = client.forecast(best.id, history).rows
    archive = client.download_model(best.id, tmp_path)
    local = load_forecaster(archive).predict(history)
    np.testing.assert_allclose(local["forecast"], [r["forecast"] for r in served], rtol=1e-6)
    env = {**os.environ, "TUNEDRIVE_URL": live.url}
    printed = subprocess.run(
        [sys.executable, "-m", "tuner.cli", "forecast", best.id, "--history",
         str(tmp_path / "history.csv"), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert printed.returncode == 0, printed.stderr
    assert [r["forecast"] for r in json.loads(printed.stdout)["rows"]] == [
        r["forecast"] for r in served
    ]


def test_a_refit_is_a_run_of_the_experiment_linked_to_its_source(tuned: Any) -> None:
    live, client, best = tuned
    before = client.experiment(best.experiment_id)
    queued = client.refit(best.experiment_id)
    assert queued.status == "queued" and queued.refit_request["source"] == best.id
    with pytest.raises(ConflictError, match="only a finished experiment refits"):
        client.refit(best.experiment_id)
    made = client.wait_for_refit(best.experiment_id, timeout=300)
    assert made is not None and made.status == "completed", made
    assert made.refit_of == best.id and made.seed == best.seed
    assert made.refit == {
        "include_test": False,
        "epochs": [best.final_metrics["best_epoch"]],
        "source_number": best.number,
    }
    # It trained through the hour before the test period's first origin, one report an epoch
    # and nothing validated (validation is trained on).
    first_origin = pd.Timestamp(stored_rows(live.url, best.id)[0]["origin"])
    final = made.final_metrics
    assert final["trained_through"] == str(first_origin - pd.Timedelta(hours=1))
    curves = client.metrics(made.id)
    assert curves.steps == list(range(1, best.final_metrics["best_epoch"] + 1))
    # (A residual run whose best epoch is 0 kept its baseline: its refit trains no epoch.)
    assert set(curves.series) == ({"loss"} if curves.steps else set())
    assert "test_mae" in final and "baseline_test_mae" in final
    after = client.experiment(best.experiment_id)
    assert (after.status, after.stop_reason) == (before.status, before.stop_reason)
    assert after.refit_request is None
    assert client.best_run(best.experiment_id).id == best.id  # a refit is no draw of the search
    forecast = client.forecast(made.id)  # it forecasts like any run
    assert len(forecast.rows) == 6


def test_refits_that_cannot_run_get_a_4xx_naming_why(tuned: Any) -> None:
    live, _, best = tuned
    url = f"{live.url}/api/experiments/{best.experiment_id}/refit"
    unknown = httpx.post(url, json={"run_id": "nope"})
    assert unknown.status_code == 409 and "not a run of" in unknown.json()["detail"]
    extra = httpx.post(url, json={"include_tests": True})
    assert extra.status_code == 422 and "include_tests" in extra.text
    missing = httpx.post(f"{live.url}/api/experiments/none/refit", json={})
    assert missing.status_code == 404
    with Client(live.url) as again:
        assert again.experiment(best.experiment_id).status == "completed"


def test_the_ensemble_of_one_run_is_that_run(tuned: Any) -> None:
    live, client, best = tuned
    made = client.ensemble(best.experiment_id)
    assert [(m.run_id, m.weight) for m in made.members] == [(best.id, 1.0)]
    assert made.test["test_mae"] == pytest.approx(best.final_metrics["test_mae"], rel=1e-4)
    assert made.test["test_mase"] == pytest.approx(best.final_metrics["test_mase"], rel=1e-4)
    assert made.baseline["baseline_test_mae"] == best.final_metrics["baseline_test_mae"]
    cli = subprocess.run(
        [sys.executable, "-m", "tuner.cli", "ensemble", best.experiment_id, "--url", live.url],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ensemble of 1 runs" in cli.stdout and f"run #{best.number} 1.00" in cli.stdout


def test_the_ensemble_forecasts_as_its_members_and_its_model_alike(
    tuned: Any, tmp_path: Path
) -> None:
    live, client, best = tuned
    history = series_frame().iloc[-24 * 9 :]
    made = client.ensemble_forecast(best.experiment_id, history)
    assert [(m.run_id, m.weight) for m in made.members] == [(best.id, 1.0)]
    own = client.forecast(best.id, history).rows
    assert made.rows == own  # one member of weight 1: its forecast, quantiles and all
    archive = client.download_ensemble_model(best.experiment_id, tmp_path)
    local = load_forecaster(archive)
    assert isinstance(local, EnsembleForecaster) and local.weights == [1.0]
    frame = local.predict(history)
    np.testing.assert_allclose(frame["forecast"], [r["forecast"] for r in own], atol=1e-6)
    np.testing.assert_allclose(frame["q90"], [r["q90"] for r in own], atol=1e-6)
    assert [str(pd.Timestamp(t)) for t in frame["timestamp"]] == [
        str(pd.Timestamp(r["timestamp"])) for r in own
    ]
    cli = subprocess.run(
        [sys.executable, "-m", "tuner.cli", "forecast", best.experiment_id, "--ensemble",
         "--url", live.url],
        capture_output=True, text=True, check=True,
    )
    assert f"ensemble: run #{best.number} 1.00" in " ".join(cli.stdout.split())  # wrapped

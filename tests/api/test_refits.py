"""Refits through a real `tunedrive serve`: the best run is trained again on training plus
validation by the experiment's next driver, stored as a run linked to its source, and the
experiment returns to how it had ended. Then the experiment's ensemble (refits are no members):
its figures, its forecast (the members' weighted mean) and its portable model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.api.test_forecasts import series_frame, stored_rows, tuned  # noqa: F401
from trainables.forecaster import EnsembleForecaster, load_forecaster
from tuner.client import Client
from tuner.errors import ConflictError


def test_a_refit_is_a_run_of_the_experiment_linked_to_its_source(tuned: Any) -> None:  # noqa: F811
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


def test_refits_that_cannot_run_get_a_4xx_naming_why(tuned: Any) -> None:  # noqa: F811
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


def test_the_ensemble_of_one_run_is_that_run(tuned: Any) -> None:  # noqa: F811
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
    tuned: Any, tmp_path: Path  # noqa: F811
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

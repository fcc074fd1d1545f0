"""The ensemble's forecast and portable model through a real `tunedrive serve`: the forecast
is its members' weighted mean, and the downloaded model forecasts the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.api.test_forecasts import series_frame, tuned  # noqa: F401 - its tuned experiment
from trainables.forecaster import EnsembleForecaster, load_forecaster


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

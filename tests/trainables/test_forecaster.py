"""The portable forecaster: a history cut at a test origin gives that origin's stored forecast,
in this process and in a fresh one that never imports the service."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.trainables.test_inputs import series_with_temperature
from trainables.bundle import pack
from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.fit import fit_forecaster
from trainables.forecaster import load_forecaster
from tuner.core.registry import RunContext
from tuner.errors import DataError


def train(
    tmp_path: Path,
    family: str = "ffn",
    future: tuple[str, ...] = ("temp",),
    residual: str = "baseline",
) -> object:
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES[family][1], "T": 12, "horizon": 3}
    params.update(max_epochs=2, calendar=True, residual=residual)
    series = series_with_temperature(future)
    context = RunContext(lambda _: None, tmp_path, primary_metric="val_mae", seed=3)
    fit_forecaster(family, params, series, context)
    return series


def frames(series: object, origin: int, rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    stamps = pd.to_datetime(series.timestamps)  # type: ignore[attr-defined]
    table = pd.DataFrame(
        {"timestamp": stamps, "load": series.target, "temp": series.covariates[:, 0]}  # type: ignore[attr-defined]
    )
    return table.iloc[origin + 1 - rows : origin + 1], table.iloc[origin + 1 : origin + 4]


def stored_forecast(run_dir: Path, at: int) -> tuple[str, list[float], list[float]]:
    with (run_dir / "forecast.csv").open() as handle:
        rows = list(csv.DictReader(handle))[3 * at : 3 * at + 3]
    return rows[0]["origin"], [float(r["predicted"]) for r in rows], [float(r["q90"]) for r in rows]


@pytest.mark.parametrize(
    ("family", "residual"),
    [("ffn", "baseline"), ("rnn_teacher_forcing", "baseline"), ("ffn", "seasonal_mean")],
)
def test_a_history_cut_at_a_test_origin_gives_its_stored_forecast(
    tmp_path: Path, family: str, residual: str
) -> None:
    series = train(tmp_path, family, residual=residual)
    forecaster = load_forecaster(tmp_path)
    corrected = forecaster.description["series"][""]["residual_of"]
    if residual == "seasonal_mean":  # a mean of whole days, reaching back past T
        assert corrected["period"] == 24 and corrected["seasons"] > 1
        assert forecaster.needed_rows() > 12 + 24
    else:
        assert corrected == {"period": 24, "seasons": 1, "level": False}
    origin_text, predicted, upper = stored_forecast(tmp_path, at=5)
    origin = int(np.searchsorted(series.timestamps, np.datetime64(origin_text.replace(" ", "T"))))  # type: ignore[attr-defined]
    history, future = frames(series, origin, forecaster.needed_rows())
    forecast = forecaster.predict(history, future)
    assert list(forecast["horizon_step"]) == [1, 2, 3]
    assert forecast["timestamp"].iloc[0] == pd.Timestamp(origin_text) + pd.Timedelta(hours=1)
    np.testing.assert_allclose(forecast["forecast"], predicted, atol=2e-3)
    np.testing.assert_allclose(forecast["q90"], upper, atol=2e-3)


def test_refusals_name_what_is_wrong(tmp_path: Path) -> None:
    series = train(tmp_path)
    forecaster = load_forecaster(tmp_path)
    needed = forecaster.needed_rows()
    history, future = frames(series, 300, needed)
    with pytest.raises(DataError, match=rf"{needed - 1} rows of history; .* at least {needed}"):
        forecaster.predict(history.iloc[1:], future)
    with pytest.raises(DataError, match=r"no column 'temp'"):
        forecaster.predict(history.drop(columns=["temp"]), future)
    longer, _ = frames(series, 300, needed + 5)
    with pytest.raises(DataError, match=r"not consecutive steps of h"):
        forecaster.predict(longer.drop(index=longer.index[-5]), future)
    with pytest.raises(DataError, match=r"future covariates \['temp'\]"):
        forecaster.predict(history)


def test_the_bundle_forecasts_alike_in_a_process_that_never_imports_the_service(
    tmp_path: Path,
) -> None:
    series = train(tmp_path / "run", future=())
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(pack(tmp_path / "run"))
    history, _ = frames(series, 320, 40)
    history.to_csv(tmp_path / "history.csv", index=False)
    here = load_forecaster(archive).predict(history)
    script = (
        "import json, sys\n"
        "import pandas as pd\n"
        "from trainables.forecaster import load_forecaster\n"
        f"history = pd.read_csv({str(tmp_path / 'history.csv')!r}, parse_dates=['timestamp'])\n"
        f"out = load_forecaster({str(archive)!r}).predict(history)\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('ray', 'sqlalchemy', 'fastapi',"
        " 'api') or m.startswith(('tuner.service', 'tuner.store', 'tuner.engine'))]\n"
        "print(json.dumps({'forecast': out['forecast'].tolist(), 'loaded': loaded}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    there = json.loads(done.stdout.strip().splitlines()[-1])
    assert there["loaded"] == []
    np.testing.assert_allclose(there["forecast"], here["forecast"], rtol=1e-6)

"""Forecasts with a finished run and its portable model: the wire record and the SDK calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import Field

from tuner.client.schemas import WireModel


class Forecast(WireModel):
    """One row per horizon step (and series, for a panel): ``timestamp``, ``horizon_step``,
    ``forecast`` and a column per quantile (``q10`` … ``q90``)."""

    run_id: str
    rows: list[dict[str, Any]] = Field(default_factory=list)


class ForecastCalls:
    """Mixed into :class:`tuner.client.Client`, whose HTTP helpers these use."""

    _send: Callable[..., httpx.Response]
    _download: Callable[..., Path]

    def forecast(
        self, run_id: str | None = None, history: Any = None, *, experiment_id: str | None = None
    ) -> Forecast:
        """The run's (or the experiment's best run's) forecast after ``history``: a pandas
        DataFrame, a CSV file's path, CSV text or bytes; None forecasts from the end of its
        data."""
        if (run_id is None) == (experiment_id is None):
            raise ValueError("give run_id or experiment_id, not both")
        path = (
            f"/api/runs/{run_id}/forecast"
            if run_id is not None
            else f"/api/experiments/{experiment_id}/forecast"
        )
        response = self._send(
            "POST", path, content=history_csv(history), headers={"Content-Type": "text/csv"}
        )
        return Forecast.from_json(response.json())

    def forecast_frame(self, run_id: str | None = None, history: Any = None, **kwargs: Any) -> Any:
        """The same as a pandas DataFrame (pandas must be installed)."""
        import pandas as pd

        return pd.DataFrame(self.forecast(run_id, history, **kwargs).rows)

    def download_model(self, run_id: str, dest: str | Path | None = None) -> Path:
        """The run's portable model (``load_forecaster`` reads it) into ``dest``."""
        target = Path(dest) if dest is not None else Path.cwd()
        if target.is_dir():
            target = target / f"model-{run_id}.tar.gz"
        return self._download(f"/api/runs/{run_id}/model", target)


def history_csv(history: Any) -> bytes:
    """The request body for ``history``: a DataFrame, a CSV file's path, CSV text or bytes."""
    if history is None:
        return b""
    if isinstance(history, bytes):
        return history
    if hasattr(history, "to_csv"):  # a DataFrame
        return str(history.to_csv(index=False)).encode()
    if isinstance(history, Path) or (isinstance(history, str) and "\n" not in history):
        return Path(history).read_bytes()
    return str(history).encode()

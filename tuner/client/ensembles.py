"""An experiment's ensemble of its runs: the wire records and the SDK calls (the ensemble, its
forecast, its portable model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import Field

from tuner.client.forecasts import history_csv
from tuner.client.schemas import WireModel


class EnsembleMember(WireModel):
    run_id: str
    number: int
    weight: float


class Ensemble(WireModel):
    """Greedy forward selection with replacement over the runs' validation forecasts (Caruana
    et al.): each member's weight, and the ensemble's test figures beside the baseline's."""

    experiment_id: str
    members: list[EnsembleMember] = Field(default_factory=list)
    test: dict[str, float] = Field(default_factory=dict)
    baseline: dict[str, float] = Field(default_factory=dict)


class EnsembleForecast(WireModel):
    """The weighted mean of the members' forecasts, row by row: the point forecast and each
    quantile (``rows`` as a run's :class:`tuner.client.forecasts.Forecast`)."""

    experiment_id: str
    members: list[EnsembleMember] = Field(default_factory=list)
    rows: list[dict[str, Any]] = Field(default_factory=list)


class EnsembleCalls:
    """Mixed into :class:`tuner.client.Client`, whose HTTP helpers these use."""

    _read: Callable[..., Any]
    _send: Callable[..., httpx.Response]
    _download: Callable[..., Path]

    def ensemble(self, experiment_id: str) -> Ensemble:
        """The ensemble of the experiment's finished runs, built from what they stored."""
        return Ensemble.from_json(self._read(f"/api/experiments/{experiment_id}/ensemble"))

    def ensemble_forecast(self, experiment_id: str, history: Any = None) -> EnsembleForecast:
        """The ensemble's forecast after ``history`` (as :meth:`forecast` takes it)."""
        response = self._send(
            "POST",
            f"/api/experiments/{experiment_id}/ensemble/forecast",
            content=history_csv(history),
            headers={"Content-Type": "text/csv"},
        )
        return EnsembleForecast.from_json(response.json())

    def download_ensemble_model(self, experiment_id: str, dest: str | Path | None = None) -> Path:
        """The ensemble's portable model (``load_forecaster`` reads it) into ``dest``."""
        target = Path(dest) if dest is not None else Path.cwd()
        if target.is_dir():
            target = target / f"ensemble-{experiment_id}.tar.gz"
        return self._download(f"/api/experiments/{experiment_id}/ensemble/model", target)

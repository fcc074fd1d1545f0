"""Forecasts from fresh history with a run's portable forecaster, outside the service.

``load_forecaster(path).predict(history)`` needs TensorFlow (Keras) and pandas only: the
archive (or folder) holds ``model.keras`` and ``forecaster.json`` (:mod:`trainables.bundle`).
Each series' last ``T`` steps (and, for a residual run, one baseline period more, which its
baseline and its errors reach back to) are scaled, given their calendar and fed to the model,
exactly as in training, so a history cut at a test origin gives that origin's stored forecast.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trainables.bundle import DESCRIPTION, MODEL
from trainables.calibration import Calibration, epoch_seconds, local_scale
from trainables.intervals import quantile_column
from trainables.statistical import SeasonalMean
from trainables.windows import calendar_features
from tuner.core.ensembles import ENSEMBLE, weighted_rows
from tuner.core.frequency import steps_after
from tuner.errors import DataError

SERIES = "series"


def load_forecaster(path: str | Path) -> Any:
    """A forecaster from a run's archive (``GET /api/runs/{id}/model``) or its folder; from an
    ensemble's (``GET /api/experiments/{id}/ensemble/model``), an :class:`EnsembleForecaster`."""
    import keras

    from trainables import models  # noqa: F401  (registers the custom layers)

    path = Path(path)
    if path.is_dir():
        if (path / ENSEMBLE).is_file():
            members = json.loads((path / ENSEMBLE).read_text())["members"]
            return EnsembleForecaster(
                [float(m["weight"]) for m in members],
                [load_forecaster(path / str(m["folder"])) for m in members],
            )
        return Forecaster(json.loads((path / DESCRIPTION).read_text()), keras.saving.load_model(
            path / MODEL))
    with tempfile.TemporaryDirectory() as folder, tarfile.open(path) as archive:
        archive.extractall(folder, filter="data")
        return load_forecaster(folder)


class EnsembleForecaster:
    """An ensemble's members and weights: its forecast is the weighted mean of theirs."""

    def __init__(self, weights: list[float], members: list[Forecaster]) -> None:
        self.weights, self.members = weights, members

    def needed_rows(self, name: str = "") -> int:
        return max(member.needed_rows(name) for member in self.members)

    def predict(self, history: pd.DataFrame, future: pd.DataFrame | None = None) -> pd.DataFrame:
        frames = [member.predict(history, future) for member in self.members]
        rows = weighted_rows([f.to_dict(orient="records") for f in frames], self.weights)
        return pd.DataFrame(rows, columns=frames[0].columns)


class Forecaster:
    def __init__(self, description: dict[str, Any], model: Any) -> None:
        self.description, self.model = description, model
        self.T, self.horizon = int(description["T"]), int(description["horizon"])
        self.frequency = str(description["frequency"])
        self.quantiles = [float(q) for q in description["quantiles"]]

    def needed_rows(self, name: str = "") -> int:
        """How many steps of history a forecast needs: T, and the period before them of the
        forecast a residual run corrects (its own reach, and the local scale of the
        intervals, may go further back)."""
        own = self.description["series"][name]
        calibration = own.get("calibration")
        reach = int(calibration["window"]) + int(calibration["period"]) if calibration else 0
        if not self.description["residual"]:
            return max(self.T, reach)
        corrected = corrected_of(own)
        return max(self.T + corrected.period, corrected.reach + 1, reach)

    def predict(self, history: pd.DataFrame, future: pd.DataFrame | None = None) -> pd.DataFrame:
        """One row per series and horizon step: ``timestamp``, ``horizon_step``,
        ``forecast`` and a column per quantile. ``history``: a ``timestamp`` column, the
        target and the covariates (a ``series`` column for a panel), regular at the run's
        frequency; ``future``: the future covariates over the horizon, where the run uses
        them."""
        description = self.description
        if description["panel"]:
            if SERIES not in history.columns:
                raise DataError(f"history: no column {SERIES!r}; a panel run forecasts by series")
            groups = [(str(n), part) for n, part in history.groupby(SERIES, sort=False)]
        else:
            groups = [("", history)]
        frames = []
        for name, part in groups:
            if name not in description["series"]:
                raise DataError(f"history: series {name!r} is not one this run was trained on")
            ahead = None
            if future is not None and description["future_covariates"]:
                ahead = future[future[SERIES] == name] if description["panel"] else future
            frames.append(self._one(name, part, ahead))
        return pd.concat(frames, ignore_index=True)

    def _one(self, name: str, history: pd.DataFrame, future: pd.DataFrame | None) -> pd.DataFrame:
        d, own = self.description, self.description["series"][name]
        where = f"series {name!r}: " if name else ""
        missing = [c for c in ("timestamp", d["target"], *d["covariates"]) if c not in history]
        if missing:
            raise DataError(f"{where}history has no column {', '.join(map(repr, missing))}")
        history = history.sort_values("timestamp")
        stamps = pd.DatetimeIndex(pd.to_datetime(history["timestamp"]))
        needed = self.needed_rows(name)
        if len(history) < needed:
            raise DataError(
                f"{where}{len(history)} rows of history; this run needs at least {needed} "
                f"(T {self.T}" + (f", and {needed - self.T} steps before them that the "
                                  "forecast it corrects or its intervals read)" if
                                  needed > self.T else ")")
            )
        history, stamps = history.iloc[-needed:], stamps[-needed:]
        expected = pd.date_range(stamps[0], periods=needed, freq=self.frequency)
        if not expected.equals(stamps):
            raise DataError(
                f"{where}the history's last {needed} timestamps are not consecutive steps of "
                f"{self.frequency} (the run's frequency) from {stamps[0]}; fill its gaps first"
            )
        low, high, floor = own["target"]
        target = (history[d["target"]].to_numpy(np.float64) - low) / (high - low)
        columns = [target]
        for column, (c_low, c_high, _) in zip(d["covariates"], own["covariates"], strict=True):
            columns.append((history[column].to_numpy(np.float64) - c_low) / (c_high - c_low))
        corrected = corrected_of(own)
        period = corrected.period
        if d["differenced"]:
            change = np.zeros(needed)
            change[period:] = target[period:] - target[:-period]
            columns.append(change)
        times = stamps.to_numpy(dtype="datetime64[s]")
        clock = calendar_features(times, self.frequency) if d["calendar"] else np.empty((needed, 0))
        features = np.column_stack([*columns, clock]).astype(np.float32)
        inputs = [features[None, -self.T :, :]]
        if d["teacher_forced"]:  # at inference the decoder is fed only the last value
            inputs.append(np.pad(features[None, -1:, 0], ((0, 0), (0, self.horizon - 1))))
        when = steps_after(stamps[-1], self.frequency, self.horizon)
        known = self._ahead(name, when, future, own)
        if d["calendar"] or known is not None:
            ahead = [] if known is None else [known]
            if d["calendar"]:
                ahead.append(calendar_features(when.to_numpy(dtype="datetime64[s]"),
                                               self.frequency))
            inputs.append(np.column_stack(ahead).astype(np.float32)[None, :, :])
        if d["residual"]:
            inputs.append(corrected.forecast(features[:, 0], np.array([needed - 1]), self.horizon))
        scaled = np.asarray(self.model.predict_on_batch(inputs if len(inputs) > 1 else inputs[0]))
        forecast = scaled[0].astype(np.float64) * (high - low) + low
        if floor is not None:
            forecast = np.maximum(forecast, floor)
        out = pd.DataFrame({"timestamp": when, "horizon_step": np.arange(1, self.horizon + 1),
                            "forecast": forecast})
        for q, offset in zip(self.quantiles, self._offsets(own, history, stamps), strict=True):
            out[quantile_column(q)] = forecast + offset
        if name:
            out.insert(0, SERIES, name)
        return out

    def _offsets(
        self, own: dict[str, Any], history: pd.DataFrame, stamps: pd.DatetimeIndex
    ) -> np.ndarray:
        """(quantiles, horizon): calibrated on the residuals known at the history's end, in
        the local scale of its last steps (trainables.calibration); fixed before format 2."""
        if "calibration" not in own:
            return np.asarray(own["offsets"])
        calibration = Calibration.from_json(own["calibration"])
        target = history[self.description["target"]].to_numpy(np.float64)
        last = np.array([len(target) - 1])
        scale = local_scale(target, last, calibration.period, calibration.window)
        made = epoch_seconds(stamps[-1:].to_numpy(dtype="datetime64[s]"))
        return calibration.offsets(made, scale, self.quantiles)[0]

    def _ahead(
        self, name: str, when: pd.DatetimeIndex, future: pd.DataFrame | None, own: dict[str, Any]
    ) -> np.ndarray | None:
        """The future covariates over the horizon, scaled; None where the run uses none."""
        d = self.description
        wanted = d["future_covariates"]
        if not wanted:
            return None
        where = f"series {name!r}: " if name else ""
        if future is None or len(future) == 0:
            raise DataError(
                f"{where}this run uses future covariates {wanted}: give their values over the "
                f"next {self.horizon} steps ({when[0]} … {when[-1]}) as future rows"
            )
        rows = future.assign(timestamp=pd.to_datetime(future["timestamp"])).set_index("timestamp")
        missing = [c for c in wanted if c not in rows]
        if missing or not when.isin(rows.index).all():
            raise DataError(
                f"{where}the future rows must give {wanted} at each of the next {self.horizon} "
                f"steps ({when[0]} … {when[-1]})"
            )
        scaled = []
        for column in wanted:
            c_low, c_high, _ = own["covariates"][d["covariates"].index(column)]
            scaled.append((rows.loc[when, column].to_numpy(np.float64) - c_low) / (c_high - c_low))
        return np.column_stack(scaled)


def corrected_of(own: dict[str, Any]) -> SeasonalMean:
    """A series' forecast that the network corrects; before ``residual_of`` was recorded, the
    seasonal naive of its baseline's period."""
    recorded = own.get("residual_of")
    if recorded:
        return SeasonalMean.from_json(recorded)
    return SeasonalMean(int(own["baseline_period"]))

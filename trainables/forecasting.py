"""The forecasters' ``forecast`` capability, as the service calls it: a run's forecast from
fresh history sent as CSV, or from the end of its data set when none is sent."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trainables.bundle import DESCRIPTION
from trainables.datasets import Panel
from trainables.forecaster import SERIES, Forecaster, load_forecaster
from tuner.errors import DataError


def forecast_run(
    run_dir: Path, body: bytes | None, spec: Any, settings: Any
) -> list[dict[str, Any]]:
    """Rows of ``[series,] timestamp, horizon_step, forecast, q10 …``. The CSV has a
    ``timestamp`` column, the target and covariates (and ``series`` for a panel); rows after
    the last target value, with it left empty, give the future covariates over the horizon."""
    if not (run_dir / DESCRIPTION).exists():
        raise DataError(
            "this run has no forecaster: it did not finish, or it was trained before runs kept "
            "one; use a newer run"
        )
    forecaster = load_forecaster(run_dir)
    if body is None or not body.strip():
        history, future = _from_data(forecaster, spec, settings), None
    else:
        history, future = _from_csv(forecaster, body)
    out = forecaster.predict(history, future)
    out["timestamp"] = out["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out.to_dict(orient="records")  # type: ignore[return-value]


def _from_csv(forecaster: Forecaster, body: bytes) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    try:
        frame = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"history: not a readable CSV file: {err}") from None
    target = forecaster.description["target"]
    for column in ("timestamp", target):
        if column not in frame.columns:
            raise DataError(f"history: no column {column!r}; columns are {list(frame.columns)}")
    stamps = pd.to_datetime(frame["timestamp"], errors="coerce", format="mixed", utc=True)
    if stamps.isna().any():
        row = int(stamps.isna().to_numpy().argmax())
        raise DataError(f"history: row {row + 2}: {frame['timestamp'].iloc[row]!r} is not a time")
    frame["timestamp"] = stamps.dt.tz_localize(None)
    keys = [SERIES] if forecaster.description["panel"] and SERIES in frame.columns else []
    frame = frame.sort_values([*keys, "timestamp"], kind="stable")
    # The future rows: after a series' last target value, the target left empty.
    parts = frame.groupby(keys, sort=False) if keys else [(None, frame)]
    pasts, futures = [], []
    for _, part in parts:
        seen = part[target].notna().to_numpy()
        end = len(seen) - int(np.argmax(seen[::-1])) if seen.any() else 0
        pasts.append(part.iloc[:end])
        futures.append(part.iloc[end:])
    history, future = pd.concat(pasts), pd.concat(futures)
    if history[target].isna().any():
        row = history.index[history[target].isna().to_numpy()][0]
        raise DataError(f"history: row {int(row) + 2}: the target {target!r} is missing")
    return history, (future if len(future) else None)


def _from_data(forecaster: Forecaster, spec: Any, settings: Any) -> pd.DataFrame:
    """The end of the run's own data set: every series' last rows."""
    from trainables.loading import load_for_spec

    if forecaster.description["future_covariates"]:
        raise DataError(
            "this run uses future covariates "
            f"{forecaster.description['future_covariates']}: send the history with their "
            "values over the horizon as rows after the last target value"
        )
    data = load_for_spec(spec, settings)
    members = data.members if isinstance(data, Panel) else (data,)
    frames = []
    for member in members:
        rows = forecaster.needed_rows(member.name if isinstance(data, Panel) else "")
        frame = pd.DataFrame(
            {
                "timestamp": pd.to_datetime(member.timestamps[-rows:]),
                forecaster.description["target"]: member.target[-rows:],
                **{
                    name: member.covariates[-rows:, i]
                    for i, name in enumerate(member.covariate_names)
                },
            }
        )
        if isinstance(data, Panel):
            frame.insert(0, SERIES, member.name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)

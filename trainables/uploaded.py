"""Uploaded data sets as :class:`~trainables.datasets.Series`, and the spec's split options."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from trainables.datasets import Panel, Series
from trainables.splits import default_boundaries, fraction_boundaries
from tuner.core.frequency import infer_frequency
from tuner.core.uploads import SERIES_COLUMN, TIMESTAMP_COLUMN, dataset_path
from tuner.errors import DataError


def read_uploaded(
    dataset_id: str,
    settings: Any,
    target: str | None,
    split: dict[str, Any] | None,
    room: int = 0,
) -> Series | Panel:
    """An uploaded data set, split; a panel (its canonical file starts with ``series``) is
    one :class:`Series` per series id, each split on its own."""
    path = dataset_path(settings, dataset_id)
    if not path.exists():
        raise DataError(f"no uploaded data set {dataset_id!r} under {path.parent}; upload it again")
    frame = pd.read_csv(path, parse_dates=[TIMESTAMP_COLUMN], dtype={SERIES_COLUMN: str})
    panel = frame.columns[0] == SERIES_COLUMN
    values = [c for c in frame.columns if c not in (TIMESTAMP_COLUMN, SERIES_COLUMN)]
    if target is None or target not in values:
        raise DataError(
            f"target {target!r} is not a column of data set {dataset_id}; columns: {values}"
        )
    covariates = [c for c in values if c != target]
    parts = frame.groupby(SERIES_COLUMN, sort=False) if panel else [(dataset_id, frame)]
    members = []
    for name, part in parts:
        stamps = part[TIMESTAMP_COLUMN].to_numpy(dtype="datetime64[s]")
        series = Series(
            name=str(name),
            timestamps=stamps,
            target=part[target].to_numpy(dtype=np.float64),
            covariates=part[covariates]
            .to_numpy(dtype=np.float64)
            .reshape(len(part), len(covariates)),
            covariate_names=tuple(covariates),
            frequency=infer_frequency(stamps) if not members else members[0].frequency,
            target_name=target,
        )
        members.append(apply_split(series, split, room))
    return Panel(dataset_id, tuple(members)) if panel else members[0]


def apply_split(series: Series, split: dict[str, Any] | None, room: int = 0) -> Series:
    """Moves the validation and test boundaries to dates, or to fractions of the rows; no
    split is the default one, which makes ``room`` (the largest T + horizon) in a short
    series (:func:`trainables.splits.default_boundaries`)."""
    if split is not None and split.get("valid_start") is not None:
        return replace(
            series,
            valid_start=np.datetime64(str(split["valid_start"]), "s"),
            test_start=np.datetime64(str(split["test_start"]), "s"),
        )
    n = len(series)
    valid_at, test_at = (
        default_boundaries(n, room) if split is None else fraction_boundaries(n, split)
    )
    return replace(
        series, valid_start=series.timestamps[valid_at], test_start=series.timestamps[test_at]
    )

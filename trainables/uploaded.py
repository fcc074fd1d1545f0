"""Uploaded data sets as :class:`~trainables.datasets.Series`, and the spec's split options."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from trainables.datasets import Series
from trainables.splits import DEFAULT_FRACTIONS
from tuner.core.uploads import TIMESTAMP_COLUMN, dataset_path
from tuner.errors import DataError


def read_uploaded(
    dataset_id: str, settings: Any, target: str | None, split: dict[str, Any] | None
) -> Series:
    path = dataset_path(settings, dataset_id)
    if not path.exists():
        raise DataError(f"no uploaded data set {dataset_id!r} under {path.parent}; upload it again")
    frame = pd.read_csv(path, parse_dates=[TIMESTAMP_COLUMN])
    if target is None or target not in frame.columns or target == TIMESTAMP_COLUMN:
        columns = [c for c in frame.columns if c != TIMESTAMP_COLUMN]
        raise DataError(
            f"target {target!r} is not a column of data set {dataset_id}; columns: {columns}"
        )
    covariates = [c for c in frame.columns if c not in (TIMESTAMP_COLUMN, target)]
    series = Series(
        name=dataset_id,
        timestamps=frame[TIMESTAMP_COLUMN].to_numpy(dtype="datetime64[s]"),
        target=frame[target].to_numpy(dtype=np.float64),
        covariates=frame[covariates]
        .to_numpy(dtype=np.float64)
        .reshape(len(frame), len(covariates)),
        covariate_names=tuple(covariates),
    )
    return apply_split(series, split or DEFAULT_FRACTIONS)


def apply_split(series: Series, split: dict[str, Any]) -> Series:
    """Moves the validation and test boundaries to dates, or to fractions of the rows."""
    if split.get("valid_start") is not None:
        return replace(
            series,
            valid_start=np.datetime64(str(split["valid_start"]), "s"),
            test_start=np.datetime64(str(split["test_start"]), "s"),
        )
    n = len(series)
    test_at = n - round(n * float(split["test_fraction"]))
    valid_at = test_at - round(n * float(split["valid_fraction"]))
    return replace(
        series, valid_start=series.timestamps[valid_at], test_start=series.timestamps[test_at]
    )

"""The data entry point the trainable catalog names: a built-in or an uploaded series, split."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from trainables.checks import DEFAULT_DATASET
from trainables.datasets import Series, ensure_gefcom2014, read_energy_csv, synthetic_series
from trainables.uploaded import apply_split, read_uploaded
from tuner.errors import DataError


def load_for_tuning(
    dataset: str | None, settings: Any, options: dict[str, Any] | None = None
) -> Series:
    """``options`` carries the spec's ``target`` (required for uploads), ``split`` and
    ``future_covariates``; no data set is GEFCom2014."""
    options = options or {}
    dataset = dataset or DEFAULT_DATASET
    if dataset == "synthetic":
        series = synthetic_series()
    elif dataset == "gefcom2014":
        series = read_energy_csv(ensure_gefcom2014(Path(settings.resolved_data_dir)))
    else:
        series = read_uploaded(dataset, settings, options.get("target"), options.get("split"))
    if options.get("split") and dataset in ("synthetic", "gefcom2014"):
        series = apply_split(series, options["split"])
    future = tuple(options.get("future_covariates") or ())
    unknown = [c for c in future if c not in series.covariate_names]
    if unknown:
        raise DataError(
            f"future covariates {unknown} are not covariates of {series.name}: "
            f"{list(series.covariate_names)}"
        )
    return replace(series, future_covariates=future)


def load_for_spec(spec: Any, settings: Any) -> Series:
    """The catalog's loader: the spec's data set, target, split and future covariates."""
    options = {
        "target": spec.target,
        "split": spec.split.model_dump(mode="json") if spec.split else None,
        "future_covariates": spec.future_covariates,
    }
    return load_for_tuning(spec.dataset, settings, options)

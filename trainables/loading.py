"""The data entry point the trainable catalog names: a built-in or an uploaded series, split."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from trainables.checks import DEFAULT_DATASET
from trainables.datasets import Panel, Series, ensure_gefcom2014, read_energy_csv, synthetic_series
from trainables.uploaded import apply_split, read_uploaded
from tuner.errors import DataError


def load_for_tuning(
    dataset: str | None, settings: Any, options: dict[str, Any] | None = None
) -> Series | Panel:
    """``options`` carries the spec's ``target`` (required for uploads), ``split``,
    ``future_covariates`` and ``room`` (the largest T + horizon, which the default split of a
    short series makes room for); no data set is GEFCom2014."""
    options = options or {}
    dataset = dataset or DEFAULT_DATASET
    if dataset == "synthetic":
        series = synthetic_series()
    elif dataset == "gefcom2014":
        series = read_energy_csv(ensure_gefcom2014(Path(settings.resolved_data_dir)))
    else:
        series = read_uploaded(
            dataset,
            settings,
            options.get("target"),
            options.get("split"),
            int(options.get("room") or 0),
        )
    if options.get("split") and dataset in ("synthetic", "gefcom2014"):
        series = apply_split(series, options["split"])  # type: ignore[arg-type]
    future = tuple(options.get("future_covariates") or ())
    members = series.members if isinstance(series, Panel) else (series,)
    unknown = [c for c in future if c not in members[0].covariate_names]
    if unknown:
        raise DataError(
            f"future covariates {unknown} are not covariates of {series.name}: "
            f"{list(members[0].covariate_names)}"
        )
    if isinstance(series, Panel):
        return replace(
            series, members=tuple(replace(m, future_covariates=future) for m in members)
        )
    return replace(series, future_covariates=future)


def load_for_spec(spec: Any, settings: Any) -> Series | Panel:
    """The catalog's loader: the spec's data set, target, split and future covariates."""
    options = {
        "target": spec.target,
        "split": spec.split.model_dump(mode="json") if spec.split else None,
        "future_covariates": spec.future_covariates,
        "room": int((spec.largest("T") or 0) + (spec.largest("horizon") or 0)),
    }
    return load_for_tuning(spec.dataset, settings, options)

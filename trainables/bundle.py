"""A run's portable forecaster (DESIGN §6.6): ``forecaster.json`` beside ``model.keras`` says
everything a forecast from fresh history needs, which only the training code knew: the input
window and horizon, the frequency, the columns, the calendar, the residual and the forecast it
corrects, each series' scalers, and the residuals its quantiles are calibrated on.

:func:`pack` makes the one archive a user downloads; :mod:`trainables.forecaster` loads it.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DESCRIPTION = "forecaster.json"
MODEL = "model.keras"
FORMAT = 2  # 2: rolling, locally scaled calibration (1: fixed offsets)


def describe(
    run: Any, prepared: Any, evaluation: Any, quantiles: Sequence[float], calibration: Any
) -> dict[str, Any]:
    """The description of a finished run (``run``: its :class:`trainables.runs.RunInputs`;
    ``calibration``: a :class:`trainables.calibration.Calibration`, or a panel's list)."""
    series = prepared.series
    names = prepared.member_names or ("",)
    targets = prepared.member_scalers or (prepared.load_scaler,)
    covariates = prepared.member_covariate_scalers or (prepared.covariate_scalers,)
    parts = evaluation.parts if hasattr(evaluation, "parts") else [evaluation]
    per_series = calibration if isinstance(calibration, list) else [calibration]
    return {
        "format": FORMAT,
        **run.described,
        "frequency": series.frequency,
        "target": series.target_name,
        "covariates": list(series.covariate_names),
        "future_covariates": list(series.future_covariates),
        "differenced": prepared.difference_period > 0,  # y[t] - y[t - residual_of's period]
        "quantiles": list(quantiles),
        "panel": bool(prepared.member_names),
        "series": {
            name: {
                "target": _scaler(target),
                "covariates": [_scaler(c) for c in own],
                "baseline_period": int(part.baseline_period),
                # The statistical forecast the network corrects (trainables.statistical).
                "residual_of": None if part.corrected is None else part.corrected.to_json(),
                # In units of local scale: after every residual known, for a quick look.
                "offsets": own_calibration.latest(quantiles).round(9).tolist(),
                "calibration": own_calibration.to_json(),
            }
            for name, target, own, part, own_calibration in zip(
                names, targets, covariates, parts, per_series, strict=True
            )
        },
        "versions": _versions(),
    }


def write_description(path: Path, description: dict[str, Any]) -> None:
    path.write_text(json.dumps(description, indent=1))


def pack(run_dir: Path) -> bytes:
    """One ``.tar.gz``: the model and its description, all ``load_forecaster`` needs."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in (MODEL, DESCRIPTION):
            archive.add(run_dir / name, arcname=name)
    return buffer.getvalue()


def _scaler(scaler: Any) -> list[float | None]:
    return [float(scaler.low), float(scaler.high), scaler.floor]


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("tunedrive", "keras", "tensorflow", "numpy", "pandas"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found

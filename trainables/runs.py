"""What every way of training a run shares: its windows and scoring (:class:`RunInputs`), how
a network is compiled, and how a run ends (its test forecast, model and final metrics).

Both the single-network loop (:mod:`trainables.fit`) and trial groups (:mod:`trainables.groups`)
build on this module.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from trainables.bundle import DESCRIPTION, describe, write_description
from trainables.datasets import Panel, Series
from trainables.evaluation import Evaluation
from trainables.gathered import predict_windows
from trainables.intervals import (
    QUANTILES,
    check_quantiles,
    quantile_column,
)
from trainables.panels import SERIES_RESULTS, PanelEvaluation, stack, write_series_results
from trainables.statistical import SeasonalMean
from trainables.windows import Prepared, Windows, prepare
from tuner.errors import DataError

RESIDUALS = ("none", "baseline", "seasonal_mean")  # what the network corrects, if anything
LOSSES = ("auto", "mse", "mae", "huber")
HUBER_DELTA = 0.05  # in scaled units (the training period spans 0..1): MAE past 5 % of it
# The measures an absolute-error loss serves; RMSE (and val_loss, an MSE) want a squared one.
ABSOLUTE_MEASURES = ("mae", "mase", "mape", "smape")
STEPS_PER_EXECUTION = 16
PREDICT_BATCH = 2048
VALIDATION = "validation.csv"  # a run's validation forecast, as forecast.csv is its test's


@dataclass(frozen=True)
class RunInputs:
    """A run's windows and scoring, and how to build (and compile) one fresh network."""

    prepared: Prepared
    evaluation: Evaluation
    residual: bool  # an untrained network is the baseline
    build: Callable[[], Any]
    # What best epochs, early stopping and the residual guard are judged on: the primary
    # metric where it is a validation measure (val_mase), else val_loss.
    selection: str = "val_loss"
    loss: str = "mse"  # the training loss: mse, mae or huber
    quantiles: tuple[float, ...] = QUANTILES  # the quantile forecasts the run reports
    described: dict[str, Any] = field(default_factory=dict)  # for its forecaster.json


def prepare_run(
    family: str, params: dict[str, Any], data: Series | Panel, primary_metric: str | None
) -> RunInputs:
    from trainables.models import TEACHER_FORCED, build_model

    correction = str(params.get("residual", "none"))
    if correction not in RESIDUALS:
        raise ValueError(f"residual must be one of {', '.join(RESIDUALS)}, got {correction!r}")
    residual = correction != "none"
    if isinstance(data, Panel):
        # Each series its own windows, scaler and baseline; one model over all of them.
        parts = [_prepare_one(family, params, member, primary_metric) for member in data.members]
        prepared = stack(data, [p for p, _ in parts])
        evaluation: Any = PanelEvaluation.of(
            [e for _, e in parts], [m.name for m in data.members], primary_metric
        )
    else:
        prepared, evaluation = _prepare_one(family, params, data, primary_metric)
    features, ahead = prepared.features.shape[1], prepared.future_features

    def build() -> Any:
        return build_model(family, params, features, ahead, residual=residual)

    selection = primary_metric if primary_metric in _validation_names(evaluation) else "val_loss"
    loss = training_loss(str(params.get("loss", "auto")), selection)
    quantiles = check_quantiles(params.get("quantiles") or QUANTILES)
    described = {
        "family": family,
        "T": int(params["T"]),
        "horizon": int(params["horizon"]),
        "calendar": bool(params.get("calendar")),
        "residual": residual,
        "teacher_forced": family in TEACHER_FORCED,
    }
    return RunInputs(prepared, evaluation, residual, build, selection, loss, quantiles, described)


def _prepare_one(
    family: str, params: dict[str, Any], data: Series, primary_metric: str | None
) -> tuple[Prepared, Evaluation]:
    """One series' windows and scoring, with what the family and ``residual`` add."""
    from trainables.models import TEACHER_FORCED

    calendar, correction = bool(params.get("calendar")), params.get("residual", "none")
    T, horizon, start = int(params["T"]), int(params["horizon"]), params.get("train_start")
    try:
        prepared = prepare(data, T, horizon, start, calendar=calendar)
        evaluation = Evaluation.of(prepared, primary_metric)
        if correction != "none":
            corrected = (
                evaluation.seasonal_mean(prepared)
                if correction == "seasonal_mean"
                else SeasonalMean(evaluation.baseline_period)
            )
            evaluation = replace(evaluation, corrected=corrected)
            prepared = prepare(
                data, T, horizon, start, calendar, difference_period=corrected.period
            )
    except DataError as err:
        raise DataError(f"series {data.name!r}: {err}") from None
    if family in TEACHER_FORCED:
        prepared = prepared.with_previous_values()
    if evaluation.corrected is not None:
        prepared = prepared.with_baseline(evaluation.corrected)
    return prepared, evaluation


def _validation_names(evaluation: Evaluation) -> tuple[str, ...]:
    return tuple(f"val_{m}" for m in evaluation.measures)


def training_loss(asked: str, selection: str) -> str:
    """``auto`` follows the metric the run is judged on: an absolute error for MAE, MASE,
    MAPE and sMAPE; a squared one for RMSE and val_loss."""
    if asked not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {asked!r}")
    if asked != "auto":
        return asked
    return "mae" if selection.removeprefix("val_") in ABSOLUTE_MEASURES else "mse"


def keras_loss(kind: str) -> Any:
    import keras

    return keras.losses.Huber(delta=HUBER_DELTA) if kind == "huber" else kind


def errors_loss(kind: str, errors: np.ndarray) -> float:
    """The training loss of an array of scaled errors, as Keras computes it."""
    if kind == "mae":
        return float(np.mean(np.abs(errors)))
    if kind == "huber":
        small = np.abs(errors) <= HUBER_DELTA
        quadratic = 0.5 * errors**2
        linear = HUBER_DELTA * (np.abs(errors) - 0.5 * HUBER_DELTA)
        return float(np.mean(np.where(small, quadratic, linear)))
    return float(np.mean(errors**2))


def compile_for_training(model: Any, params: dict[str, Any], loss: Any = "mse") -> None:
    model.compile(
        optimizer=make_optimizer(params),
        loss=loss,
        jit_compile=True,
        steps_per_execution=STEPS_PER_EXECUTION,
    )


def make_optimizer(params: dict[str, Any]) -> Any:
    import keras

    name, rate = str(params["optimizer"]).lower(), float(params["learning_rate"])
    optimizers = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
    }
    if name not in optimizers:
        raise ValueError(f"optimizer must be one of {', '.join(optimizers)}, got {name!r}")
    return optimizers[name](learning_rate=rate)


def validation_loss(
    scaled: np.ndarray, target: np.ndarray, network: Any, kind: str = "mse"
) -> float:
    """Keras' ``val_loss`` for one network: its training loss in scaled units plus its
    weight penalty."""
    penalty = float(sum(float(v) for v in network.losses)) if network.losses else 0.0
    return errors_loss(kind, scaled - np.asarray(target)) + penalty


def predict_load(model: Any, prepared: Prepared, windows: Windows) -> np.ndarray:
    scaled = predict_windows(model, windows.inputs, PREDICT_BATCH)
    return prepared.unscale(windows, np.asarray(scaled, dtype=np.float64))


def finish(
    model: Any,
    prepared: Prepared,
    evaluation: Evaluation,
    run_dir: Path,
    best_epoch: int,
    run: RunInputs,
    calibration: Any = None,
    scored: bool = True,
    spread: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """The run's test forecast with its quantiles (calibrated on validation residuals unless
    a ``calibration`` is given, :mod:`trainables.calibration`), its model and what
    forecasting with it needs (:mod:`trainables.bundle`), and its final metrics.
    ``scored=False``: a model that trained on the test period, so it has no test forecast and
    no test figures (and the calibration given is kept as it is). ``spread``: a trial group's
    seed spread on validation and test, which widens its residuals."""
    valid_spread, test_spread = spread if spread is not None else (None, None)
    quantiles = run.quantiles
    run_dir.mkdir(parents=True, exist_ok=True)
    if calibration is None:
        predicted_valid = predict_load(model, prepared, prepared.valid)
        calibration = evaluation.calibrate(predicted_valid, valid_spread)
        # What an ensemble of the experiment's runs is selected on (trainables.ensemble).
        valid, actual = prepared.valid, evaluation.actual_valid
        write_forecast(run_dir / VALIDATION, prepared, valid, predicted_valid, actual)
    model.save(run_dir / "model.keras")
    if not scored:
        described = describe(run, prepared, evaluation, quantiles, calibration)
        write_description(run_dir / DESCRIPTION, described)
        return {
            "quantiles": list(quantiles),
            "best_epoch": best_epoch,
            "test": "none: this model trained on the test period (include_test)",
        }
    predicted = predict_load(model, prepared, prepared.test)
    # A forecast after the data's end is calibrated on every residual known by then.
    known = evaluation.with_test(calibration, predicted, test_spread)
    write_description(
        run_dir / DESCRIPTION, describe(run, prepared, evaluation, quantiles, known)
    )
    write_forecast(
        run_dir / "forecast.csv",
        prepared,
        prepared.test,
        predicted,
        evaluation.actual_test,
        (quantiles, evaluation.bands(predicted, calibration, quantiles, test_spread)),
    )
    final = {
        **evaluation.test(predicted, calibration, quantiles, test_spread),
        "quantiles": list(quantiles),
        "best_epoch": best_epoch,
    }
    if "series" in final:  # a panel's per-series figures: an artifact, not a metric
        write_series_results(run_dir / SERIES_RESULTS, final.pop("series"))
    if prepared.series.future_covariates:  # actual values stood in for their forecasts
        final["ex_post"] = list(prepared.series.future_covariates)
    return final


def write_forecast(
    path: Path,
    prepared: Prepared,
    windows: Windows,
    predicted: np.ndarray,
    actual: np.ndarray,
    bands: tuple[Sequence[float], np.ndarray] | None = None,
) -> None:
    """One row per origin and step; with ``bands`` (quantiles, (n, quantiles, horizon)) a
    column per quantile, ``q10`` … ``q90``."""
    quantiles, values = bands if bands is not None else ((), np.empty((len(windows), 0, 0)))
    times = prepared.series.timestamps.astype("datetime64[s]").astype(str)
    stamps = times[windows.origins]
    names = prepared.member_names
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        # ``timestamp``: the forecast step's own time, on the data's calendar (a month is
        # not a fixed number of seconds, so a reader cannot add steps to the origin).
        header = ["origin", "horizon_step", "predicted", "actual", "timestamp"]
        header += [quantile_column(q) for q in quantiles]
        writer.writerow(["series", *header] if names else header)
        for row, origin in enumerate(stamps):
            series = [names[windows.member[row]]] if names and windows.member is not None else []
            for step in range(prepared.horizon):
                writer.writerow(
                    [
                        *series,
                        origin.replace("T", " "),
                        step + 1,
                        f"{predicted[row, step]:.3f}",
                        actual[row, step],
                        times[windows.origins[row] + step + 1].replace("T", " "),
                        *(f"{values[row, i, step]:.3f}" for i in range(len(quantiles))),
                    ]
                )

"""An experiment's ensemble of its runs (Caruana et al., 2004, as AutoGluon uses it): greedy
forward selection with replacement over the runs' validation forecasts, scored on the
primary measure; the ensemble forecast is the weighted mean of its members' forecasts.

Each round adds the run (possibly one already in) whose addition gives the best validation
score of the running mean; ties go to the earlier run. The weights are each run's share of the
rounds. As the first round picks the best single run and a round never has to improve, the
ensemble is kept at its best round, so it is never worse on validation than the best run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROUNDS = 25  # AutoGluon's default ensemble size

Measure = Callable[[np.ndarray, np.ndarray], float]  # (forecast, actual) -> lower is better


def mean_absolute_error(forecast: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(forecast - actual)))


def greedy_selection(
    forecasts: Sequence[np.ndarray],
    actual: np.ndarray,
    measure: Measure = mean_absolute_error,
    rounds: int = ROUNDS,
) -> np.ndarray:
    """Each run's weight (they sum to 1), from its validation ``forecasts`` (one array per
    run, shaped like ``actual``)."""
    if not forecasts:
        raise ValueError("forecasts: no run has a validation forecast to ensemble")
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    stacked = np.stack([np.asarray(f, dtype=np.float64) for f in forecasts])
    total = np.zeros_like(stacked[0])
    counts = np.zeros(len(stacked), dtype=int)
    best_counts, best_score = counts.copy(), np.inf
    for size in range(1, rounds + 1):
        scores = [measure((total + f) / size, actual) for f in stacked]
        pick = int(np.argmin(scores))  # the first of equal scores
        total += stacked[pick]
        counts[pick] += 1
        if scores[pick] < best_score:
            best_score, best_counts = scores[pick], counts.copy()
    return best_counts / best_counts.sum()


def ensemble_forecast(forecasts: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """The weighted mean of the runs' forecasts."""
    return np.tensordot(np.asarray(weights), np.stack(forecasts), axes=1)


KEYS = ["origin", "horizon_step"]


def ensemble_of_runs(
    folders: Sequence[Path], rounds: int = ROUNDS, primary: str = "mae"
) -> tuple[dict[str, float], Any]:
    """The ensemble of the runs in ``folders`` that have a validation forecast (a refit has
    none: its validation is trained on), selected on the ``primary`` measure (MASE as MAE:
    one scale; on a panel, each series' errors over its own scale): each one's weight by
    folder name, and the ensemble's test forecast (forecast.csv's columns, ``predicted`` the
    weighted mean) on the windows every member forecast."""
    import pandas as pd

    keys, scale = KEYS, 1.0
    members = [
        f for f in folders if (f / "validation.csv").is_file() and (f / "forecast.csv").is_file()
    ]
    if not members:
        raise ValueError("folders: no run has a validation forecast to ensemble")
    valid = [pd.read_csv(f / "validation.csv") for f in members]
    test = [pd.read_csv(f / "forecast.csv") for f in members]
    if "series" in valid[0]:
        keys = ["series", *KEYS]
    valid = _common(valid, keys)
    test = _common(test, keys)
    if primary == "mase" and (scales := series_scales(members)) is not None:
        scale = row_scale(valid[0], scales)  # a panel: each series' MASE on its own scale
    weights = greedy_selection(
        [v["predicted"].to_numpy() / scale for v in valid],
        valid[0]["actual"].to_numpy() / scale,
        _measure_of(primary),
        rounds=rounds,
    )
    made = test[0][[*keys, "actual", "timestamp"]].copy()
    made["predicted"] = ensemble_forecast([t["predicted"].to_numpy() for t in test], weights)
    return {f.name: float(w) for f, w in zip(members, weights, strict=True) if w > 0}, made


def series_scales(folders: Sequence[Path]) -> dict[str, float] | None:
    """A panel's MASE scale of each series (its test MAE over its test MASE in a run's
    ``series.csv``; one scale for every run on this data), or None for a single series."""
    from tuner.core.results import SERIES_RESULTS, read_series_results

    path = next((f / SERIES_RESULTS for f in folders if (f / SERIES_RESULTS).is_file()), None)
    rows = read_series_results(path) if path is not None else []
    if not rows or not all(r.get("test_mase") and r.get("test_mae") for r in rows):
        return None
    return {str(r["series"]): float(r["test_mae"]) / float(r["test_mase"]) for r in rows}


def row_scale(frame: Any, scales: dict[str, float]) -> np.ndarray:
    """Each row's series' scale."""
    return frame["series"].astype(str).map(scales).to_numpy(dtype=np.float64)


def _measure_of(primary: str) -> Measure:
    from trainables.scoring import measure

    name = "mae" if primary == "mase" else primary
    return lambda forecast, actual: float(measure(name, forecast, actual))  # type: ignore[arg-type]


def _common(frames: list[Any], keys: list[str]) -> list[Any]:
    """The frames cut to the windows they all have, in one order."""
    shared = frames[0][keys]
    for frame in frames[1:]:
        shared = shared.merge(frame[keys], on=keys)
    return [shared.merge(frame, on=keys, how="left") for frame in frames]


def experiment_ensemble(folders: Sequence[Path], finals: Sequence[dict[str, Any]]) -> dict:
    """The ensemble of an experiment's runs (``folders``, with each run's final metrics):
    its weights by folder name and its test MAE, RMSE, MASE (on the runs' own scale) and MAPE
    where the series allows it, beside the best member's and the baseline's; selected on the
    runs' primary measure (their ``skill_measure``)."""
    primary = next((f["skill_measure"] for f in finals if f.get("skill_measure")), "mae")
    weights, made = ensemble_of_runs(folders, primary=str(primary))
    error = made["predicted"].to_numpy() - made["actual"].to_numpy()
    test = {
        "test_mae": float(np.mean(np.abs(error))),
        "test_rmse": float(np.sqrt(np.mean(error**2))),
    }
    scored = [f for f in finals if f.get("test_mae") and f.get("test_mase")]
    scales = series_scales(folders) if "series" in made else None
    if scales is not None:  # a panel's MASE: the mean over series of each one's own
        scaled = made.assign(error=np.abs(error) / row_scale(made, scales))
        test["test_mase"] = float(scaled.groupby("series")["error"].mean().mean())
    elif scored:  # MASE = MAE / scale, one scale for every run on this data
        test["test_mase"] = test["test_mae"] * scored[0]["test_mase"] / scored[0]["test_mae"]
    actual = made["actual"].to_numpy()
    if scored and "test_mape" in scored[0] and np.all(actual > 0):
        test["test_mape"] = float(np.mean(np.abs(error) / actual) * 100)
    baseline = {
        k: v
        for k, v in (scored[0] if scored else {}).items()
        if k.startswith("baseline_test_") and isinstance(v, int | float)
    }
    return {"weights": weights, "test": test, "baseline": baseline}

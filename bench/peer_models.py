"""The peers bench/peers.py runs beside tunedrive, each on the same origins (``cv``: h,
step_size, n_windows, input_size), each returning a frame with ``y`` and one forecast column:

- statsforecast's SeasonalNaive, AutoETS, AutoARIMA and MSTL, refit at every origin;
- mlforecast's LightGBM on lags and calendar features: with defaults, and tuned by
  AutoMLForecast (Optuna) with as many trials as tunedrive's runs on the windows before the
  first origin, then refit at every origin with the best configuration;
- neuralforecast's AutoNHITS and AutoLSTM (Optuna), as many samples as tunedrive's runs, each
  trained ``steps`` steps, selected on a validation period as long as tunedrive's, then
  forecasting every origin from the one fit, as tunedrive's best run does.

:func:`cpu_meter` measures each of them and tunedrive alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from tuner.core.frequency import fixed_seconds


@contextmanager
def cpu_meter() -> Iterator[dict[str, float]]:
    """Wall and CPU seconds of this process and of every process it starts meanwhile (polled
    twice a second: a process that lives less than that is missed)."""
    import psutil

    me, seen, out = psutil.Process(), {}, {}
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.5):
            for child in me.children(recursive=True):
                try:
                    times = child.cpu_times()
                    seen[child.pid] = times.user + times.system
                except psutil.Error:
                    pass

    start, own = time.monotonic(), time.process_time()
    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield out
    finally:
        stop.set()
        watcher.join()
        out["wall"] = time.monotonic() - start
        out["cpu"] = time.process_time() - own + sum(seen.values())


def finishes_within(run: Callable[[], Any], seconds: float) -> float | None:
    """Wall seconds ``run`` took in a forked child, or None where it ran past ``seconds`` (the
    child is then killed): a probe that cannot itself overrun the budget it guards."""
    import multiprocessing

    started = time.perf_counter()
    child = multiprocessing.get_context("fork").Process(target=run, daemon=True)
    child.start()
    child.join(seconds)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return time.perf_counter() - started


def statistical(periods: list[int]) -> dict[str, Callable[[], Any]]:
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, SeasonalNaive

    season = periods[0] if periods else 1
    peers: dict[str, Callable[[], Any]] = {
        "SeasonalNaive": lambda: SeasonalNaive(season_length=season),
        "AutoETS": lambda: AutoETS(season_length=season),
        "AutoARIMA": lambda: AutoARIMA(season_length=season),
    }
    if periods:
        peers["MSTL"] = lambda: MSTL(season_length=periods)
    return peers


def run_statsforecast(model: Any, df: pd.DataFrame, frequency: str, cv: dict[str, Any]) -> Any:
    from statsforecast import StatsForecast

    forecaster = StatsForecast(models=[model], freq=frequency, n_jobs=1)
    return forecaster.cross_validation(df=df, refit=True, **cv)


def _calendar(frequency: str) -> list[str]:
    seconds = fixed_seconds(frequency)  # None for months, quarters and years
    if seconds is not None and seconds < 86_400:
        return ["hour", "dayofweek"]
    if seconds == 86_400:
        return ["dayofweek", "month"]
    return ["quarter"] if frequency.startswith("Q") else ["month"]


def run_lightgbm(df: pd.DataFrame, frequency: str, periods: list[int], cv: dict[str, Any]) -> Any:
    import lightgbm as lgb
    from mlforecast import MLForecast

    forecaster = MLForecast(
        models={"LightGBM": lgb.LGBMRegressor(verbosity=-1, n_estimators=200, n_jobs=1)},
        freq=frequency,
        lags=sorted({1, 2, 3, *periods}),
        date_features=_calendar(frequency),
    )
    return forecaster.cross_validation(df=df, refit=True, static_features=[], **cv)


def run_lightgbm_tuned(
    df: pd.DataFrame, frequency: str, periods: list[int], cv: dict[str, Any], trials: int,
    valid_windows: int,
) -> Any:
    """AutoMLForecast's search (lags, target transforms, LightGBM's parameters) on the
    ``valid_windows`` origins before the first test origin, then the best one refit per origin.
    Columns beside ``y`` are dynamic features, known over the horizon (ex post)."""
    import optuna
    from mlforecast.auto import AutoLightGBM, AutoMLForecast

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    before = df.iloc[: len(df) - (cv["n_windows"] - 1) * cv["step_size"] - cv["h"]]
    auto = AutoMLForecast(
        models={"LightGBM": AutoLightGBM()},
        freq=frequency,
        season_length=periods[0] if periods else None,
        fit_config=lambda trial: {"static_features": []},
    )
    auto.fit(
        before, n_windows=valid_windows, h=cv["h"], num_samples=trials,
        step_size=cv["step_size"], input_size=cv["input_size"],
        study_kwargs={"sampler": optuna.samplers.TPESampler(seed=0)},
    )
    return auto.models_["LightGBM"].cross_validation(
        df=df, refit=True, static_features=[], **cv
    )


def run_neural(
    kind: str, df: pd.DataFrame, frequency: str, cv: dict[str, Any], samples: int,
    steps: int, valid_size: int, longest_input: int,
) -> Any:
    """AutoNHITS or AutoLSTM with their default search spaces, ``steps`` training steps each,
    their input windows no longer than ``longest_input`` (tunedrive's longest T: AutoLSTM's
    default reaches 64 horizons, 1,536 hours on GEFCom2014, minutes a step on 2 CPUs)."""
    import logging

    from neuralforecast import NeuralForecast
    from neuralforecast.auto import AutoLSTM, AutoNHITS

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    model = {"AutoNHITS": AutoNHITS, "AutoLSTM": AutoLSTM}[kind]
    defaults = model.get_default_config(h=cv["h"], backend="optuna")

    def config(trial: Any) -> dict[str, Any]:
        chosen = defaults(trial)
        size = chosen.get("input_size")  # neuralforecast's first call passes a mock trial
        if isinstance(size, int) and size > longest_input:
            chosen["input_size"] = longest_input
        chosen.update(max_steps=steps, val_check_steps=max(1, steps // 10),
                      enable_progress_bar=False, enable_model_summary=False)
        return chosen

    forecaster = NeuralForecast(
        models=[model(h=cv["h"], config=config, num_samples=samples, backend="optuna")],
        freq=frequency,
    )
    return forecaster.cross_validation(
        df=df, n_windows=cv["n_windows"], step_size=cv["step_size"], val_size=valid_size,
        refit=False,
    )

"""Per-epoch time of the tunedrive encoder-decoder against a plain Keras reference, and the peak
memory of building windows, side by side in one run.

Reference: the same architecture (GRU encoder 15, RepeatVector, GRU decoder 15, TimeDistributed
Dense), materialized lag-table windows, default ``compile``, ``fit(validation_data=...)`` plus the
validation MAPE it would need for tuning. tunedrive: zero-copy windows and ``fit_forecaster``.
Goal: >= 1.8x faster per epoch at equal validation loss after 3 epochs (±5 %); window memory for
T=336 <= 1/10 of materialized windows.
Usage: python bench/trainable_speed.py [--epochs 3] [--dataset gefcom2014|synthetic]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.datasets import Series, ensure_gefcom2014, read_energy_csv, synthetic_series
from trainables.windows import prepare
from tuner.core.registry import RunContext

PARAMS = {
    **SHARED_HYPERPARAMETERS,
    **FAMILIES["encoder_decoder"][1],
    "T": 72,
    "horizon": 24,
    "encoder_dim_1": 15,
    "decoder_dim_1": 15,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "alpha": 0.0,
    "patience": 100,
}


def load_series(name: str) -> Series:
    if name == "synthetic":
        return synthetic_series()
    return read_energy_csv(
        ensure_gefcom2014(Path(os.environ.get("TUNEDRIVE_DATA_DIR", "../shared/data")))
    )


def reference_epochs(series: Series, epochs: int) -> tuple[list[float], float]:
    """Plain Keras: materialized windows, default compile, Keras validation, then val MAPE."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(1)
    prepared = prepare(series, 72, 24)  # same split and scalers; windows copied below
    x_train, y_train = np.array(prepared.train.x), np.array(prepared.train.y)
    x_valid, y_valid = np.array(prepared.valid.x), np.array(prepared.valid.y)
    actual = prepared.actual_load(prepared.valid)
    model = keras.Sequential(
        [
            keras.Input((72, 2)),
            layers.GRU(15),
            layers.RepeatVector(24),
            layers.GRU(15, return_sequences=True),
            layers.TimeDistributed(layers.Dense(1)),
            layers.Flatten(),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    times: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            predicted = prepared.load_scaler.unscale(
                model.predict(x_valid, verbose=0).astype(np.float64)
            )
            _ = 100 * np.mean(np.abs(predicted - actual) / actual)  # tuning needs val MAPE too
            times.append(time.perf_counter() - self.start)

    history = model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(x_valid, y_valid),
        callbacks=[Timer()],
        verbose=0,
    )
    return times, float(history.history["val_loss"][-1])


def tunedrive_epochs(series: Series, epochs: int, run_dir: Path) -> tuple[list[float], float]:
    import keras

    from trainables.fit import fit_forecaster

    keras.utils.set_random_seed(1)
    stamps: list[float] = [time.perf_counter()]
    reports: list[dict[str, Any]] = []

    def report(metrics: dict[str, Any]) -> None:
        reports.append(dict(metrics))
        stamps.append(time.perf_counter())

    fit_forecaster(
        "encoder_decoder",
        {**PARAMS, "max_epochs": epochs},
        series,
        RunContext(report=report, run_dir=run_dir, cpus=os.cpu_count() or 1),
    )
    return [b - a for a, b in itertools.pairwise(stamps)], float(reports[-1]["val_loss"])


def materialized_windows(series: Series, T: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The usual lag-table approach, the baseline here: copies every window."""
    values = np.column_stack([series.target, series.covariates]).astype(np.float32)
    n = len(values) - T - horizon + 1
    x = np.stack([values[i : i + T] for i in range(n)])
    y = np.stack([values[i + T : i + T + horizon, 0] for i in range(n)])
    return x, y


def window_memory(series: Series, T: int) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    prepared = prepare(series, T, 24)
    _, views_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del prepared
    gc.collect()
    tracemalloc.start()
    x, y = materialized_windows(series, T, 24)
    _, copies_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del x, y
    return views_peak, copies_peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dataset", default="gefcom2014", choices=["gefcom2014", "synthetic"])
    args = parser.parse_args()
    import tempfile

    series = load_series(args.dataset)
    views, copies = window_memory(series, 336)
    print(f"window building, T=336, horizon 24, {len(series):,} hours of {series.name}:")
    print(f"  zero-copy views:      peak {views / 2**20:8.2f} MiB")
    print(f"  materialized windows: peak {copies / 2**20:8.2f} MiB")
    print(f"  views / materialized = {views / copies:.4f}   (goal <= 0.10)")

    reference, reference_loss = reference_epochs(series, args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        ours, our_loss = tunedrive_epochs(series, args.epochs, Path(tmp))
    # The first epoch includes graph tracing and compilation on both sides; steady state is the rest.
    steady_ref, steady_ours = median(reference[1:] or reference), median(ours[1:] or ours)
    print(f"encoder_decoder T=72, horizon 24, 15/15 GRU units, batch 32, {args.epochs} epochs:")
    print(
        f"  plain Keras reference: epochs {', '.join(f'{t:.2f}' for t in reference)} s; val_loss {reference_loss:.5f}"
    )
    print(
        f"  tunedrive:             epochs {', '.join(f'{t:.2f}' for t in ours)} s; val_loss {our_loss:.5f}"
    )
    print(
        f"  speedup per epoch (median of epochs 2..) = {steady_ref / steady_ours:.2f}x   (goal >= 1.8x)"
    )
    print(f"  speedup in total                          = {sum(reference) / sum(ours):.2f}x")
    print(
        f"  val_loss ratio tunedrive / reference      = {our_loss / reference_loss:.3f}   (goal 0.95 .. 1.05)"
    )


if __name__ == "__main__":
    main()

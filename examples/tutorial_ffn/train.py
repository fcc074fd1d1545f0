"""The reference tutorial's feed-forward forecaster as a standalone Keras script.

It logs with MLflow as an Azure ML v2 job does (``mlflow.log_metric``), so the same script runs
under Azure ML, under tunedrive (``tunedrive submit sweep.yml``), or alone. Day-ahead forecasts
of GEFCom2014 load from the last ``--T`` hours, one network output per hour ahead.

    python train.py --data energy.csv --latent-dim 10 --learning-rate 0.001
"""

from __future__ import annotations

import argparse
import os

import keras
import mlflow
import numpy as np
import pandas as pd

HORIZON = 24
VALID_START, TEST_START = "2014-09-01", "2014-11-01"


def windows(scaled: np.ndarray, starts: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs: the T values up to each origin; targets: the HORIZON values after it."""
    x = np.stack([scaled[s - T + 1 : s + 1] for s in starts])
    y = np.stack([scaled[s + 1 : s + 1 + HORIZON] for s in starts])
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--T", type=int, default=72)
    parser.add_argument("--latent-dim", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default="outputs")
    args = parser.parse_args()
    keras.utils.set_random_seed(0)

    load = pd.read_csv(args.data, index_col="timestamp", parse_dates=True)["load"]
    load = load.asfreq("h").interpolate()
    hours = load.index
    train = load[hours < VALID_START]
    low, high = float(train.min()), float(train.max())
    scaled = ((load - low) / (high - low)).to_numpy()

    def origins(start: str, end: str | None, daily: bool = False) -> np.ndarray:
        chosen = (hours >= start) & ((hours < end) if end else True)
        chosen &= np.arange(len(hours)) + HORIZON < len(hours)
        if daily:
            chosen &= hours.hour == 23
        return np.flatnonzero(chosen & (np.arange(len(hours)) >= args.T))

    x_train, y_train = windows(scaled, origins("2012-01-01", VALID_START), args.T)
    x_valid, y_valid = windows(scaled, origins(VALID_START, TEST_START), args.T)
    x_test, y_test = windows(scaled, origins(TEST_START, None, daily=True), args.T)

    model = keras.Sequential(
        [
            keras.Input((args.T,)),
            keras.layers.Dense(args.latent_dim, activation="relu"),
            keras.layers.Dense(HORIZON),
        ]
    )
    model.compile(keras.optimizers.Adam(args.learning_rate), loss="mse")

    def mape(x: np.ndarray, y: np.ndarray) -> float:
        forecast = model.predict(x, verbose=0) * (high - low) + low
        actual = y * (high - low) + low
        return float(np.mean(np.abs((actual - forecast) / actual)) * 100)

    with mlflow.start_run():
        mlflow.log_params(vars(args))
        best = np.inf
        for epoch in range(1, args.epochs + 1):
            history = model.fit(
                x_train,
                y_train,
                batch_size=args.batch_size,
                epochs=1,
                verbose=0,
                validation_data=(x_valid, y_valid),
            )
            val_mape = mape(x_valid, y_valid)
            mlflow.log_metric("val_mape", val_mape, step=epoch)
            mlflow.log_metric("loss", history.history["loss"][-1], step=epoch)
            if val_mape < best:
                best = val_mape
                os.makedirs(args.out, exist_ok=True)
                model.save(os.path.join(args.out, "model.keras"))
        model = keras.models.load_model(os.path.join(args.out, "model.keras"))
        mlflow.log_metric("test_mape", mape(x_test, y_test))
        # Beside the seasonal naive: the same hour a week before each forecast hour.
        starts = origins(TEST_START, None, daily=True)
        naive = np.stack([load.to_numpy()[s + 1 - 168 : s + 1 - 168 + HORIZON] for s in starts])
        actual = y_test * (high - low) + low
        mlflow.log_metric(
            "baseline_test_mape", float(np.mean(np.abs((actual - naive) / actual)) * 100)
        )


if __name__ == "__main__":
    main()

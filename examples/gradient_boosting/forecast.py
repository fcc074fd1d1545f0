"""A gradient-boosting load forecaster, tuned by tunedrive as a command trial.

Day-ahead (24 h) forecasts of GEFCom2014 load from the last week of load and the calendar, one
scikit-learn model for all 24 steps ahead (the step is a feature). It reports validation MAPE
with tunedrive's report() as the trees grow, so early termination can stop a poor setting, and
ends with its test MAPE beside the seasonal naive (same hour last week).

    python forecast.py --data energy.csv --learning-rate 0.1 --max-leaf-nodes 31
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from tuner.client import report  # or copy tuner/client/report.py beside this script

HORIZON, WEEK = 24, 168
VALID_START, TEST_START = "2014-09-01", "2014-11-01"  # the reference tutorial's split


def frame(load: pd.Series, origins: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """One row per (origin, step): the week of load before the origin, the step, the hour and
    weekday of the forecast time; the target is the load at origin + step."""
    values = load.to_numpy()
    at = load.index.get_indexer(origins)
    lags = np.stack([values[at - lag] for lag in range(WEEK)], axis=1)  # lag 0: the origin hour
    rows, targets = [], []
    for step in range(1, HORIZON + 1):
        when = origins + pd.Timedelta(hours=step)
        calendar = np.stack([np.full(len(at), step), when.hour, when.day_of_week], axis=1)
        rows.append(np.hstack([lags, calendar]))
        targets.append(values[at + step])
    return np.vstack(rows), np.concatenate(targets)


def mape(actual: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.mean(np.abs((actual - forecast) / actual)) * 100)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--max-leaf-nodes", type=int, default=31)
    parser.add_argument("--l2", type=float, default=0.0)
    parser.add_argument("--train-from", default="2013-09-01")
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--every", type=int, default=25, help="trees between reports")
    args = parser.parse_args()

    load = pd.read_csv(args.data, index_col="timestamp", parse_dates=True)["load"].asfreq("h")
    load = load.interpolate()
    hours = load.index
    last = len(hours) - HORIZON - 1

    def origins(start: str, end: str, stride: int) -> pd.DatetimeIndex:
        chosen = hours[(hours >= start) & (hours < end)]
        return chosen[chosen >= hours[WEEK]][::stride]

    x_train, y_train = frame(load, origins(args.train_from, VALID_START, 3))
    x_valid, y_valid = frame(load, origins(VALID_START, TEST_START, 1))
    # One forecast a day at 23:00, as the reference tutorial scores its test period.
    daily = hours[(hours >= TEST_START) & (hours.hour == 23)]
    x_test, y_test = frame(load, daily[daily <= hours[last]])

    model = HistGradientBoostingRegressor(
        learning_rate=args.learning_rate,
        max_leaf_nodes=args.max_leaf_nodes,
        l2_regularization=args.l2,
        max_iter=0,
        warm_start=True,
        early_stopping=False,
        random_state=0,
    )
    for trees in range(args.every, args.trees + 1, args.every):
        model.set_params(max_iter=trees)
        model.fit(x_train, y_train)
        if not report(val_mape=mape(y_valid, model.predict(x_valid)), trees=trees):
            break  # tunedrive stopped this run: finish with what we have
    forecast = model.predict(x_test)
    # The same hour a week before the forecast time: lag 168 - step of the row's origin.
    naive = x_test[np.arange(len(x_test)), WEEK - x_test[:, WEEK].astype(int)]
    test, baseline = mape(y_test, forecast), mape(y_test, naive)
    report(
        test_mape=test,
        baseline="seasonal_naive_168",
        baseline_test_mape=baseline,
        skill_measure="mape",
        skill=1 - test / baseline,
    )


if __name__ == "__main__":
    main()

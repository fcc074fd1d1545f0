"""Which statistical forecast a hybrid should correct: one chosen on the validation period (what
``residual: seasonal_mean`` does) or one re-chosen at every origin (seconds; not in CI).

For each of bench/quality.py's series (each member of a panel on its own scale), the seasonal
means of trainables.statistical are scored on every test origin:

- ``validation``: the candidate best on the validation period, fixed over the test period;
- ``rolling K``: at each origin, the candidate whose last K windows known there (their targets
  before the origin) had the lowest mean absolute error; K = h, 2h, 4h and every window;
- ``chosen on validation``: the one of these selectors best on the validation period, as a run
  would have to pick it. It keeps only what a choice made on validation finds.

Printed: test MASE of each (on a panel, the mean of its series' MASEs), the seasonal naive
beside them, and which selector validation picked.

Needs the `bench` extra. Usage: python bench/statistical_choice.py [--series taylor ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from quality import SERIES, upload  # noqa: E402

from trainables.datasets import Panel, Series  # noqa: E402
from trainables.evaluation import Evaluation  # noqa: E402
from trainables.loading import load_for_tuning  # noqa: E402
from trainables.scoring import seasonal_periods  # noqa: E402
from trainables.statistical import SeasonalMean, candidates  # noqa: E402
from trainables.windows import prepare  # noqa: E402
from tuner.core.settings import Settings  # noqa: E402

EVERY = 10**9  # K: every window known at the origin


def rolling(options: list[SeasonalMean], y: np.ndarray, origins: np.ndarray, h: int,
            k: int) -> np.ndarray:
    """(origins, h): at each origin the forecast of the option with the lowest mean absolute
    error over its last ``k`` windows whose targets end at or before the origin."""
    reach = max(option.reach for option in options)
    every = np.arange(reach, len(y) - h)
    actual = sliding_window_view(y, h)[every + 1]
    errors = np.stack([np.abs(o.forecast(y, every, h) - actual).mean(1) for o in options])
    total = np.concatenate([np.zeros((len(options), 1)), np.cumsum(errors, 1)], 1)
    rows = []
    for t in origins:
        known = t - h - reach + 1  # windows before index `known` end by the origin
        first = max(0, known - k)
        best = 0 if known <= 0 else int(np.argmin(total[:, known] - total[:, first]))
        rows.append(options[best].forecast(y, np.array([t]), h)[0])
    return np.array(rows)


def scores(member: Series, windows: int, h: int) -> tuple[list[float], str]:
    """Test MASE of the seasonal naive, the validation choice, each rolling selector and the
    selector chosen on validation; and which that was."""
    prepared = prepare(member, windows, h)
    evaluation = Evaluation.of(prepared, "val_mase")
    y, valid, test = member.target, prepared.valid.origins, prepared.test.origins
    periods = seasonal_periods(member.frequency, prepared.train_rows.stop)
    options = candidates(periods, int(valid[0]) + 1)
    fixed = evaluation.seasonal_mean(prepared)

    def mase(forecast: np.ndarray, actual: np.ndarray) -> float:
        return float(np.abs(forecast - actual).mean() / evaluation.scale)

    selectors = {"validation": lambda at: fixed.forecast(y, at, h)}
    for k in (h, 2 * h, 4 * h, EVERY):
        selectors[f"rolling {'all' if k == EVERY else k}"] = (
            lambda at, k=k: rolling(options, y, at, h, k)
        )
    on_test = {name: mase(pick(test), evaluation.actual_test) for name, pick in selectors.items()}
    on_valid = {name: mase(pick(valid), evaluation.actual_valid) for name, pick in selectors.items()}
    picked = min(on_valid, key=on_valid.__getitem__)
    naive = mase(evaluation.baseline_test, evaluation.actual_test)
    return [naive, *on_test.values(), on_test[picked]], picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [n for n in SERIES if n != "gefcom_ex_post"]  # the same load as gefcom
    parser.add_argument("--series", nargs="+", choices=names, default=names)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="tunedrive-choice-"))
    settings = Settings(home=home)
    print("test MASE of the statistical forecast a hybrid corrects, every test origin")
    print(f"  {'series':15s} {'naive':>6s} {'valid':>6s} {'K=h':>6s} {'2h':>6s} {'4h':>6s}"
          f" {'all':>6s} {'chosen on validation':>22s}")
    for name in args.series:
        _, target, windows, h = SERIES[name]
        data = load_for_tuning(upload(home, name), settings,
                               {"target": target, "room": max(windows) + h})
        members = data.members if isinstance(data, Panel) else (data,)
        results = [scores(member, max(windows), h) for member in members]
        mean = np.mean([r for r, _ in results], 0)
        picks = Counter(p for _, p in results).most_common()
        picked = ", ".join(f"{p} ×{n}" if len(members) > 1 else p for p, n in picks)
        cells = " ".join(f"{v:6.3f}" for v in mean[:-1])
        print(f"  {name:15s} {cells} {mean[-1]:6.3f} ({picked})", flush=True)


if __name__ == "__main__":
    main()

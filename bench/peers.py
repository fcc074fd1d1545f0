"""tunedrive beside the forecasting tools people already use, on the same origins (minutes to
hours; not in CI; `make bench-peers`, which installs the `peers` extra in a venv of its own).

For each series, tunedrive tunes through the real engine (`tunedrive run`): GEFCom2014 with
the spec the README recommends (configs/gefcom.yaml, past load only), the others with
bench/quality.py's one search space. Its best run's stored test forecast is then scored on
the peers' origins: the last `n` origins of the test period, a day apart for data below a day
(GEFCom2014: the 60 daily origins at 23:00) and every origin otherwise (at most --origins).
Each peer is refit at every origin on the last --input steps (statsforecast's and
mlforecast's `cross_validation`, refit=True):

- SeasonalNaive, AutoETS, MSTL (every season the frequency has that the input holds twice),
  AutoARIMA where it finishes within --peer-budget seconds (projected from one origin);
- LightGBM through mlforecast on lags (1-3 and each season) and calendar features, with
  defaults and tuned by AutoMLForecast with --runs trials (bench/peer_models.py);
- tunedrive's best run, and the ensemble of its runs (greedy selection on their stored
  validation forecasts, trainables.ensemble), both from the same experiment;
- neuralforecast's AutoNHITS and AutoLSTM on the --neural series, --runs samples each of
  --neural-steps steps, holding out a validation period as long as tunedrive's.

Printed per series: test MASE (one scale for all: the mean seasonal-naive error before the
first origin) and MAPE where the series is positive, wall seconds, CPU seconds (this process
and every process it started, Ray's workers included), each method's ratio to the best peer,
and where tunedrive and the best peer differ: MASE by quarter of the horizon and by month.

Usage: python bench/peers.py [--series gefcom wineind ...] [--runs 40] [--max-epochs 30]
       [--neural gefcom ...] [--neural-steps 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from peer_models import (  # noqa: E402
    cpu_meter,
    finishes_within,
    run_lightgbm,
    run_lightgbm_tuned,
    run_neural,
    run_statsforecast,
    statistical,
)
from quality import SERIES, run_in, spec_for  # noqa: E402

from trainables.ensemble import ensemble_of_runs  # noqa: E402
from trainables.loading import load_for_tuning  # noqa: E402
from trainables.runs import VALIDATION  # noqa: E402
from trainables.scoring import seasonal_periods  # noqa: E402
from tuner.core.settings import Settings  # noqa: E402

SINGLE = ["gefcom", "taylor", "seattle", "seattle_weekly", "wineind", "woolyrnq"]


def series_frame(name: str, settings: Settings) -> tuple[pd.DataFrame, str, str]:
    """(timestamp, target) of the series, its frequency and target name."""
    load, target, _, _ = SERIES[name]
    if load is None:
        series = load_for_tuning("gefcom2014", settings, {"target": target})
        frame = pd.DataFrame({"timestamp": series.timestamps, target: series.target})
        return frame, series.frequency, target
    frame = load()[["timestamp", target]].copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame, pd.infer_freq(frame["timestamp"]) or "D", target


def cutoffs(stored: pd.DataFrame, frequency: str, most: int) -> tuple[list[pd.Timestamp], int]:
    """The peers' origins: the last ones of the stored test forecast, a day apart below a day
    (ending at the last origin), every origin otherwise; and their spacing in steps."""
    origins = sorted(pd.to_datetime(stored["origin"].unique()))
    step = pd.tseries.frequencies.to_offset(frequency)
    try:
        per_day = int(pd.Timedelta("1D") / pd.Timedelta(step))
    except (ValueError, TypeError):
        per_day = 1
    spacing = per_day if per_day > 1 else 1
    chosen = origins[::-1][::spacing][:most]
    return sorted(chosen), spacing


def tunedrive_rows(
    name: str, args: argparse.Namespace, home: Path
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float], Any, int]:
    """The best run's stored test forecast, the ensemble's (trainables.ensemble, selected on
    the runs' stored validation forecasts) with its weights, the best run's record, and how
    many steps its validation period has (the neural peers hold out as many)."""
    stored, best, folder = _tuned(name, args, home)
    weights, ensemble = ensemble_of_runs(sorted(p for p in folder.parent.iterdir() if p.is_dir()))
    valid_steps = pd.read_csv(folder / VALIDATION)["origin"].nunique() + SERIES[name][3] - 1
    return stored, ensemble, weights, best, valid_steps


def _tuned(name: str, args: argparse.Namespace, home: Path) -> tuple[pd.DataFrame, Any, Path]:
    if name == "gefcom":
        spec = yaml.safe_load((ROOT / "configs" / "gefcom.yaml").read_text())
        spec["budget"]["max_total_runs"] = args.runs
        spec["fixed"]["max_epochs"] = args.max_epochs
    else:
        spec = spec_for(name, SERIES[name][2], SERIES[name][3], args)
    best, folder = run_in(home, name, spec)
    return pd.read_csv(folder / "forecast.csv"), best, folder


def longest_window(name: str) -> int:
    """The longest input window tunedrive's search has on this series."""
    if name == "gefcom":
        spec = yaml.safe_load((ROOT / "configs" / "gefcom.yaml").read_text())
        return int(max(spec["search_space"]["T"]["choice"]))
    return int(max(SERIES[name][2]))


def score(forecast: np.ndarray, actual: np.ndarray, scale: float) -> tuple[float, float]:
    mase = float(np.mean(np.abs(forecast - actual)) / scale)
    positive = bool(np.all(actual > 0))
    mape = float(np.mean(np.abs(forecast - actual) / actual) * 100) if positive else float("nan")
    return mase, mape


def bench_series(name: str, args: argparse.Namespace) -> None:
    settings = Settings()
    frame, frequency, target = series_frame(name, settings)
    horizon = SERIES[name][3]
    with tempfile.TemporaryDirectory() as home, cpu_meter() as tuned_cost:
        stored, ensemble, weights, best, valid_steps = tunedrive_rows(name, args, Path(home))
    chosen, spacing = cutoffs(stored, frequency, args.origins)
    first = frame.index[frame["timestamp"] == chosen[0]][0]
    steps = min(first + 1, args.input)  # no further back than the series reaches
    periods = seasonal_periods(frequency, steps)
    values = frame[target].to_numpy(np.float64)
    season = periods[0] if periods else 1
    scale = float(np.mean(np.abs(values[season : first + 1] - values[: first + 1 - season])))
    # Every peer sees the series up to the last chosen origin's horizon, no further.
    end = frame.index[frame["timestamp"] == chosen[-1]][0] + horizon + 1
    df = pd.DataFrame({"unique_id": name, "ds": frame["timestamp"][:end], "y": values[:end]})
    cv = {"h": horizon, "step_size": spacing, "n_windows": len(chosen), "input_size": steps}
    rows: list[tuple[str, float, float, float, float, str]] = []
    errors: dict[str, np.ndarray] = {}  # each method's (origins, horizon) forecast errors

    def add(label: str, forecast: np.ndarray, actual: np.ndarray, cost: dict, note: str) -> None:
        rows.append((label, *score(forecast, actual, scale), cost["wall"], cost["cpu"], note))
        errors[label] = (forecast - actual).reshape(len(chosen), horizon)

    def ours(frame: pd.DataFrame) -> pd.DataFrame:
        kept = frame[pd.to_datetime(frame["origin"]).isin(chosen)]
        return kept.sort_values(["origin", "horizon_step"])

    mine, theirs = ours(stored), ours(ensemble)
    add("tunedrive (best run)", mine["predicted"].to_numpy(), mine["actual"].to_numpy(),
        tuned_cost, f"{args.runs} runs")
    add("tunedrive (ensemble)", theirs["predicted"].to_numpy(), theirs["actual"].to_numpy(),
        tuned_cost, f"{len(weights)} runs: " + ", ".join(f"{w:.2f}" for w in weights.values()))
    print(
        f"\n{name}: {frequency}, h={horizon}, {len(chosen)} origins {chosen[0]} … {chosen[-1]}, "
        f"input {steps} steps, seasons {periods}",
    )
    for label, mase, mape, _, cpu, note in rows:
        print(f"  {label}: MASE {mase:.3f}, MAPE {mape:.2f} %, {cpu:.0f} CPU s, {note}", flush=True)

    def measured(label: str, run: Callable[[], Any], note: str = "") -> None:
        with cpu_meter() as cost:
            out = run().sort_values(["cutoff", "ds"])
        column = next(c for c in out.columns if c not in ("unique_id", "ds", "cutoff", "y"))
        add(label, out[column].to_numpy(), out["y"].to_numpy(), cost, note)
        mase, mape, wall, cpu = rows[-1][1:5]  # as it comes: a long run keeps what it measured
        print(f"  {label}: MASE {mase:.3f}, MAPE {mape:.2f} %, {wall:.0f} s, {cpu:.0f} CPU s",
              flush=True)

    for label, make in statistical(periods).items():
        if label == "AutoARIMA":
            limit = args.peer_budget / len(chosen)
            took = finishes_within(
                lambda make=make: run_statsforecast(make(), df, frequency, {**cv, "n_windows": 1}),
                limit,
            )
            if took is None or took * len(chosen) > args.peer_budget:
                print(
                    f"  {label}: skipped, one origin took over {limit:.1f} s "
                    f"(> --peer-budget {args.peer_budget:g} s over {len(chosen)} origins)"
                )
                continue
        measured(label, lambda make=make: run_statsforecast(make(), df, frequency, cv))
    measured("LightGBM (mlforecast)", lambda: run_lightgbm(df, frequency, periods, cv),
             "defaults, untuned")
    valid_windows = max(1, valid_steps // spacing - horizon // spacing)
    measured(
        "LightGBM (AutoMLForecast)",
        lambda: run_lightgbm_tuned(df, frequency, periods, cv, args.runs, valid_windows),
        f"{args.runs} trials on {valid_windows} origins",
    )
    if neural_wanted(name, args):
        for kind in ("AutoNHITS", "AutoLSTM"):
            measured(
                kind,
                lambda kind=kind: run_neural(
                    kind, df, frequency, cv, args.runs, args.neural_steps, valid_steps,
                    longest_window(name),
                ),
                f"{args.runs} samples x {args.neural_steps} steps",
            )
    peers = [r for r in rows if not r[0].startswith("tunedrive")]
    best_peer = min(peers, key=lambda r: r[1])
    print(
        f"  {'method':24s} {'MASE':>7s} {'MAPE %':>7s} {'wall s':>8s} {'CPU s':>8s} {'/best peer':>10s}"
    )
    for label, mase, mape, wall, cpu, note in rows:
        print(
            f"  {label:24s} {mase:7.3f} {mape:7.2f} {wall:8.1f} {cpu:8.1f} {mase / best_peer[1]:10.3f}  {note}"
        )
    print(f"  best peer: {best_peer[0]}; tunedrive's best run #{best.number} ({best.params})")
    where(errors, best_peer[0], chosen, scale)


def neural_wanted(name: str, args: argparse.Namespace) -> bool:
    try:
        import neuralforecast  # noqa: F401
    except ImportError:
        print("  neuralforecast: not installed here (the peers extra pulls PyTorch); not measured")
        return False
    if name not in args.neural:
        print(f"  neuralforecast: not run on {name} (--neural {' '.join(args.neural)})")
        return False
    return True


def where(errors: dict[str, np.ndarray], peer: str, chosen: list, scale: float) -> None:
    """MASE by quarter of the horizon and by the origins' month: tunedrive's beside the best
    peer's, to say where one wins."""
    horizon = errors[peer].shape[1]
    quarters = np.array_split(np.arange(horizon), min(4, horizon))
    months = pd.DatetimeIndex(chosen).to_period("M")
    labels = [*(f"steps {q[0] + 1}-{q[-1] + 1}" for q in quarters), *map(str, months.unique())]
    print(f"  where, MASE: {'':22s}" + " ".join(f"{x:>11s}" for x in labels))
    for label in ("tunedrive (best run)", "tunedrive (ensemble)", peer):
        error = np.abs(errors[label]) / scale
        parts = [error[:, q].mean() for q in quarters]
        parts += [error[np.asarray(months == m)].mean() for m in months.unique()]
        print(f"  {label:35s}" + " ".join(f"{v:11.3f}" for v in parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", nargs="+", choices=SINGLE, default=SINGLE)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--origins", type=int, default=60)
    parser.add_argument("--input", type=int, default=8 * 168, help="steps each peer refits on")
    parser.add_argument("--peer-budget", type=float, default=600.0)
    parser.add_argument("--neural-steps", type=int, default=1000, help="per neuralforecast sample")
    parser.add_argument("--neural", nargs="*", choices=SINGLE, default=SINGLE,
                        help="the series neuralforecast runs on (minutes a sample on 2 CPUs)")
    args = parser.parse_args()
    os.environ.setdefault("TUNEDRIVE_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    print(f"peers on {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}")
    for name in args.series:
        bench_series(name, args)


if __name__ == "__main__":
    main()

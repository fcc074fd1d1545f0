"""tunedrive beside the forecasting tools people already use, on the same origins (minutes to
hours; not in CI; `make bench-peers`, which installs the `peers` extra in a venv of its own).

For each series, tunedrive tunes through the real engine (`tunedrive run`): GEFCom2014 with
the spec the README recommends (configs/gefcom.yaml, past load only; ``gefcom_ex_post``: the
same spec told the actual temperatures over the horizon, as LightGBM is), the others with
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

The panel (employment: 22 monthly series) is one tunedrive experiment (one global model) and one
call of each peer over all its series. Printed per series or panel: test MASE (each series' errors
over its own mean seasonal-naive error before the first origin; on a panel, the mean of its
series' MASEs) and MAPE where the series is positive, wall seconds, CPU seconds (this process
and every process it started, Ray's workers included), each method's ratio to the best peer,
and where tunedrive and the best peer differ: MASE by quarter of the horizon and by month.

Usage: python bench/peers.py [--series gefcom employment ...] [--runs 40] [--max-epochs 30]
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
from quality import FUTURE_COVARIATES, PANELS, SERIES, run_in, spec_for  # noqa: E402

from trainables.ensemble import ensemble_of_runs  # noqa: E402
from trainables.loading import load_for_tuning  # noqa: E402
from trainables.runs import VALIDATION  # noqa: E402
from trainables.scoring import seasonal_periods  # noqa: E402
from tuner.core.settings import Settings  # noqa: E402

NAMES = [*SERIES]  # the single series, then the panel (employment: 22 monthly series)


def series_frame(name: str, settings: Settings) -> tuple[pd.DataFrame, str, str]:
    """(unique_id, timestamp, target, and the future covariates tunedrive is given) of the
    series or panel, its frequency and target name."""
    load, target, _, _ = SERIES[name]
    if load is None:
        series = load_for_tuning("gefcom2014", settings, {"target": target})
        frame = pd.DataFrame({"timestamp": series.timestamps, target: series.target})
        for column in FUTURE_COVARIATES.get(name, []):
            frame[column] = series.covariates[:, series.covariate_names.index(column)]
        return frame.assign(unique_id=name), series.frequency, target
    frame = load()
    frame["unique_id"] = frame[PANELS[name]].astype(str) if name in PANELS else name
    frame = frame[["unique_id", "timestamp", target]].copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    one = frame[frame["unique_id"] == frame["unique_id"].iloc[0]]
    return frame, pd.infer_freq(one["timestamp"]) or "D", target


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
    primary = str((best.final_metrics or {}).get("skill_measure", "mae"))
    runs = sorted(p for p in folder.parent.iterdir() if p.is_dir())
    weights, ensemble = ensemble_of_runs(runs, primary=primary)
    valid_steps = pd.read_csv(folder / VALIDATION)["origin"].nunique() + SERIES[name][3] - 1
    return stored, ensemble, weights, best, valid_steps


def _tuned(name: str, args: argparse.Namespace, home: Path) -> tuple[pd.DataFrame, Any, Path]:
    if name.startswith("gefcom"):  # ex post: the same spec, told the actual temperatures
        spec = yaml.safe_load((ROOT / "configs" / "gefcom.yaml").read_text())
        spec["budget"]["max_total_runs"] = args.runs
        spec["fixed"]["max_epochs"] = args.max_epochs
    else:
        spec = spec_for(name, SERIES[name][2], SERIES[name][3], args)
    best, folder = run_in(home, name, spec)
    return pd.read_csv(folder / "forecast.csv"), best, folder


def longest_window(name: str) -> int:
    """The longest input window tunedrive's search has on this series."""
    if name.startswith("gefcom"):
        spec = yaml.safe_load((ROOT / "configs" / "gefcom.yaml").read_text())
        return int(max(spec["search_space"]["T"]["choice"]))
    return int(max(SERIES[name][2]))


def score(forecast: np.ndarray, actual: np.ndarray, scale: np.ndarray) -> tuple[float, float]:
    """MASE (each row's error over its own series' scale; on a panel, the mean of the series'
    MASEs) and MAPE where every actual is positive."""
    mase = float(np.mean(np.abs(forecast - actual) / scale))
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
    ids = sorted(frame["unique_id"].unique())
    first = int((frame[frame["unique_id"] == ids[0]]["timestamp"] < chosen[0]).sum())
    steps = min(first + 1, args.input)  # no further back than the series reaches
    periods = seasonal_periods(frequency, steps)
    season = periods[0] if periods else 1
    scales, kept = {}, []
    for uid in ids:  # each series' scale: its seasonal-naive error before the first origin
        own = frame[frame["unique_id"] == uid].reset_index(drop=True)
        values = own[target].to_numpy(np.float64)
        until = int((own["timestamp"] < chosen[0]).sum()) + 1
        scales[uid] = float(np.mean(np.abs(values[season:until] - values[: until - season])))
        # Every peer sees the series up to the last chosen origin's horizon, no further.
        kept.append(own.iloc[: int((own["timestamp"] <= chosen[-1]).sum()) + horizon])
    seen = pd.concat(kept, ignore_index=True)
    df = pd.DataFrame({"unique_id": seen["unique_id"], "ds": seen["timestamp"], "y": seen[target]})
    # Ex post, LightGBM gets the actual covariates tunedrive gets; the others take none.
    exogenous = df.assign(**{c: seen[c].to_numpy() for c in FUTURE_COVARIATES.get(name, [])})
    cv = {"h": horizon, "step_size": spacing, "n_windows": len(chosen), "input_size": steps}
    rows: list[tuple[str, float, float, float, float, str]] = []
    errors: dict[str, np.ndarray] = {}  # each method's scaled errors, (series x origins, horizon)

    def add(label: str, out: pd.DataFrame, column: str, cost: dict, note: str) -> None:
        scale = out["unique_id"].map(scales).to_numpy()
        forecast, actual = out[column].to_numpy(np.float64), out["y"].to_numpy(np.float64)
        rows.append((label, *score(forecast, actual, scale), cost["wall"], cost["cpu"], note))
        errors[label] = ((forecast - actual) / scale).reshape(-1, horizon)

    def ours(frame: pd.DataFrame) -> pd.DataFrame:
        kept = frame[pd.to_datetime(frame["origin"]).isin(chosen)]
        kept = kept.assign(unique_id=kept["series"].astype(str) if "series" in kept else name)
        return kept.rename(columns={"actual": "y"}).sort_values(
            ["unique_id", "origin", "horizon_step"]
        )

    add("tunedrive (best run)", ours(stored), "predicted", tuned_cost, f"{args.runs} runs")
    add("tunedrive (ensemble)", ours(ensemble), "predicted", tuned_cost,
        f"{len(weights)} runs: " + ", ".join(f"{w:.2f}" for w in weights.values()))
    print(
        f"\n{name}: {len(ids)} series, {frequency}, h={horizon}, {len(chosen)} origins {chosen[0]} … {chosen[-1]}, "
        f"input {steps} steps, seasons {periods}",
    )
    for label, mase, mape, _, cpu, note in rows:
        print(f"  {label}: MASE {mase:.3f}, MAPE {mape:.2f} %, {cpu:.0f} CPU s, {note}", flush=True)

    def measured(label: str, run: Callable[[], Any], note: str = "") -> None:
        with cpu_meter() as cost:
            out = run().sort_values(["unique_id", "cutoff", "ds"])
        column = next(c for c in out.columns if c not in ("unique_id", "ds", "cutoff", "y"))
        add(label, out, column, cost, note)
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
    measured("LightGBM (mlforecast)", lambda: run_lightgbm(exogenous, frequency, periods, cv),
             "defaults, untuned")
    valid_windows = max(1, valid_steps // spacing - horizon // spacing)
    measured(
        "LightGBM (AutoMLForecast)",
        lambda: run_lightgbm_tuned(exogenous, frequency, periods, cv, args.runs, valid_windows),
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
    where(errors, best_peer[0], chosen * len(ids))


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


def where(errors: dict[str, np.ndarray], peer: str, origins: list) -> None:
    """MASE by quarter of the horizon and by the origins' month (``errors``: scaled, one row
    per series and origin): tunedrive's beside the best peer's, to say where one wins."""
    horizon = errors[peer].shape[1]
    quarters = np.array_split(np.arange(horizon), min(4, horizon))
    months = pd.DatetimeIndex(origins).to_period("M")
    labels = [*(f"steps {q[0] + 1}-{q[-1] + 1}" for q in quarters), *map(str, months.unique())]
    print(f"  where, MASE: {'':22s}" + " ".join(f"{x:>11s}" for x in labels))
    for label in ("tunedrive (best run)", "tunedrive (ensemble)", peer):
        error = np.abs(errors[label])
        parts = [error[:, q].mean() for q in quarters]
        parts += [error[np.asarray(months == m)].mean() for m in months.unique()]
        print(f"  {label:35s}" + " ".join(f"{v:11.3f}" for v in parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", nargs="+", choices=NAMES, default=NAMES)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--origins", type=int, default=60)
    parser.add_argument("--input", type=int, default=8 * 168, help="steps each peer refits on")
    parser.add_argument("--peer-budget", type=float, default=600.0)
    parser.add_argument("--neural-steps", type=int, default=1000, help="per neuralforecast sample")
    parser.add_argument("--neural", nargs="*", choices=NAMES, default=NAMES,
                        help="the series neuralforecast runs on (minutes a sample on 2 CPUs)")
    args = parser.parse_args()
    os.environ.setdefault("TUNEDRIVE_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    print(f"peers on {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}")
    for name in args.series:
        bench_series(name, args)


if __name__ == "__main__":
    main()

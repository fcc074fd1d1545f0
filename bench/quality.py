"""Forecast quality beside the right baseline, on GEFCom2014 and two real series it has never
seen (minutes; not in CI).

For each series a small tuned experiment runs through the real engine (`tunedrive run`): random
sampling over one search space whose windows are set in *days and weeks of the data's own step*,
the primary metric val_mase, and calendar and residual among the hyperparameters. The best run's
test figures are printed beside its baseline (the naive candidate best on validation) with the
skill, 1 - model/baseline. Nothing here is tuned to one series.

- GEFCom2014 load (hourly, 2012-2014; the tutorial's split), h = 1 day. Also test MAPE beside the
  tutorial's figures (tuned FFN 4.25 %, seasonal naive 4.80 %). ``gefcom_ex_post`` tunes the same
  with ``future_covariates: [temp]``: the actual temperatures over the forecast window stand in
  for a forecast of them, so its figures are *ex post* (better than any real forecast allows).
- Taylor's electricity demand for England and Wales (half-hourly, 5 June - 27 August 2000, from
  pmdarima's bundled data), h = 1 day.
- Seattle's daily maximum temperature (2012-2015, from vega_datasets' bundled data; it goes below
  zero, so MAPE is refused and MASE is the measure), h = 1 week; and its weekly mean (W-SUN,
  the same bundled data by week), h = 4 weeks.
- Australian wine sales (monthly, 1980-1994, pmdarima's bundled ``wineind``), h = 12 months.
- Australian woollen yarn production (quarterly, 1965-1994, pmdarima's ``woolyrnq``), h = 4.
- A panel: US employment by sector (22 monthly series, 2006-2015, vega_datasets'
  ``us-employment`` in long format), one global model, h = 12; printed per series too.

Each series also gets its 80 % interval's test coverage (goal on GEFCom2014: 75-85 %) and the
pinball loss over the 10/50/90 % quantiles, beside its baseline's (the same conformal
calibration on the baseline's own validation residuals).

Needs: pip install pmdarima vega_datasets (the `bench` extra).
Usage: python bench/quality.py [--runs 30] [--max-epochs 30] [--series gefcom taylor ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tuner.client.recommendation import recommend  # noqa: E402
from tuner.core.results import SERIES_RESULTS, read_series_results  # noqa: E402
from tuner.core.settings import Settings  # noqa: E402
from tuner.core.uploads import UploadOptions, dataset_path, validate_csv_file  # noqa: E402
from tuner.store import Store  # noqa: E402


def taylor() -> pd.DataFrame:
    from pmdarima.datasets import load_taylor

    demand = load_taylor(as_series=True).to_numpy(dtype=float)
    stamps = pd.date_range("2000-06-05 00:00", periods=len(demand), freq="30min")
    return pd.DataFrame({"timestamp": stamps, "demand": demand})


def seattle() -> pd.DataFrame:
    from vega_datasets import local_data

    frame = local_data.seattle_weather()
    return frame.rename(columns={"date": "timestamp"}).drop(columns=["weather"])


def seattle_weekly() -> pd.DataFrame:
    daily = seattle().set_index("timestamp")
    weekly = daily.resample("W-SUN").mean().iloc[1:-1]  # whole weeks only
    return weekly.reset_index()


def _pmdarima(name: str, start: str, frequency: str, column: str) -> pd.DataFrame:
    from pmdarima import datasets

    values = getattr(datasets, f"load_{name}")(as_series=True).to_numpy(dtype=float)
    stamps = pd.date_range(start, periods=len(values), freq=frequency)
    return pd.DataFrame({"timestamp": stamps, column: values})


def wineind() -> pd.DataFrame:
    return _pmdarima("wineind", "1980-01-01", "MS", "sales")


def woolyrnq() -> pd.DataFrame:
    return _pmdarima("woolyrnq", "1965-01-01", "QS-JAN", "tonnes")


def employment() -> pd.DataFrame:
    from vega_datasets import local_data

    wide = local_data.us_employment().drop(columns=["nonfarm_change"])
    long = wide.melt(id_vars="month", var_name="sector", value_name="employed")
    return long.rename(columns={"month": "timestamp"})


SERIES = {  # name: (frame or None for the built-in, target, T choices, horizon)
    "gefcom": (None, "load", [24, 168], 24),
    "gefcom_ex_post": (None, "load", [24, 168], 24),  # actual temperatures ahead
    "taylor": (taylor, "demand", [48, 336], 48),  # a day and a week of half-hours
    "seattle": (seattle, "temp_max", [14, 56], 7),
    "seattle_weekly": (seattle_weekly, "temp_max", [8, 26], 4),
    "wineind": (wineind, "sales", [12, 24], 12),
    "woolyrnq": (woolyrnq, "tonnes", [8, 16], 4),
    "employment": (employment, "employed", [12, 24], 12),
}
FUTURE_COVARIATES = {"gefcom_ex_post": ["temp"]}
PANELS = {"employment": "sector"}  # the series column of a panel


def spec_for(name: str, windows: list[int], horizon: int, args: argparse.Namespace) -> dict[str, Any]:
    return {
        "name": f"quality-{name}",
        "trainable": "ffn",
        "fixed": {
            "horizon": horizon,
            "max_epochs": args.max_epochs,
            "patience": 5,
            "batch_size": 32,
        },
        "search_space": {
            "T": {"choice": windows},
            "latent_dim": {"choice": [16, 64, 128]},
            "hidden_layers": {"choice": [1, 2]},
            "learning_rate": {"loguniform": [float(np.log(3e-4)), float(np.log(3e-3))]},
            "calendar": {"choice": [True, False]},
            "residual": {"choice": ["seasonal_mean", "baseline", "none"]},
        },
        "sampling": {"method": "random", "seed": 7},
        "primary_metric": {"name": "val_mase", "goal": "minimize"},
        "budget": {"max_total_runs": args.runs, "max_concurrent_runs": 2},
    }


def tune(name: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        spec = spec_for(name, SERIES[name][2], SERIES[name][3], args)
        best, folder = run_in(Path(home), name, spec)
        advice = recommend(best, spec["primary_metric"]["name"], "minimize")
        per_series = folder / SERIES_RESULTS
        return {
            "params": best.params,
            "recommendation": advice,
            "series_rows": read_series_results(per_series) if per_series.exists() else [],
            **(best.final_metrics or {}),
        }


def upload(home: Path, name: str) -> str:
    """Series ``name`` as a data set of the tunedrive home ``home`` (GEFCom2014 is built in);
    returns its id."""
    load = SERIES[name][0]
    if load is None:
        return "gefcom2014"
    settings = Settings(home=home)
    source = home / f"{name}.csv"
    load().to_csv(source, index=False)
    canonical = source.with_suffix(".canonical")
    validated = validate_csv_file(source, canonical, UploadOptions(series_column=PANELS.get(name)))
    store = Store.open(settings.resolved_database_url)
    record = store.create_dataset(name, validated)
    destination = dataset_path(settings, record.id)
    destination.parent.mkdir(parents=True, exist_ok=True)
    canonical.replace(destination)
    store.close()
    return record.id


def run_in(home: Path, name: str, spec: dict[str, Any]) -> tuple[Any, Path]:
    """Tunes ``spec`` on series ``name`` through the real engine (``tunedrive run``) in a
    tunedrive home of its own; returns the best run's record and its folder."""
    env = {**os.environ, "TUNEDRIVE_HOME": str(home)}
    spec = dict(spec)
    if name in FUTURE_COVARIATES:
        spec["future_covariates"] = FUTURE_COVARIATES[name]
    spec["dataset"] = upload(home, name)
    if spec["dataset"] != "gefcom2014":
        spec["target"] = SERIES[name][1]
    spec_file = home / "spec.yaml"
    spec_file.write_text(yaml.safe_dump(spec))
    command = [sys.executable, "-m", "tuner.cli", "run", str(spec_file), "--quiet"]
    subprocess.run(command, env=env, cwd=ROOT, check=False, capture_output=True)
    settings = Settings(home=home)
    store = Store.open(settings.resolved_database_url)
    (experiment,) = store.list_experiments()
    best = store.best_run(experiment.id)
    store.close()
    if best is None:
        raise SystemExit(f"{name}: no run finished ({experiment.stop_reason})")
    return best, settings.resolved_storage_path / experiment.id / str(best.artifact_dir)


def _verdict(skill: float | None) -> str:
    if skill is None or abs(skill) <= 1e-6:  # a residual network left at zero is its baseline
        return "equals"
    return "beats" if skill > 0 else "does NOT beat"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--series", nargs="+", choices=list(SERIES), default=list(SERIES))
    args = parser.parse_args()
    print(f"ffn, {args.runs} random runs each, up to {args.max_epochs} epochs, primary val_mase")
    print(f"  {'series':14s} {'test MASE':>9s} {'baseline':>22s} {'its MASE':>9s} {'skill':>7s}")
    for name in args.series:
        final = tune(name, args)
        print(
            f"  {name:14s} {final['test_mase']:9.3f} {final['baseline']:>22s} "
            f"{final['baseline_test_mase']:9.3f} {final['skill']:+7.1%}   "
            f"({_verdict(final['skill'])} its baseline; "
            f"calendar {final['params']['calendar']}, residual {final['params']['residual']}, "
            f"T {final['params']['T']})"
        )
        if "test_coverage_10_90" in final:
            print(
                f"  {'':14s} 80 % interval coverage {final['test_coverage_10_90']:.1%} "
                f"(baseline {final['baseline_test_coverage_10_90']:.1%}); pinball loss "
                f"{final['test_pinball']:.4g} beside the baseline's "
                f"{final['baseline_test_pinball']:.4g} "
                f"({1 - final['test_pinball'] / final['baseline_test_pinball']:+.1%})"
            )
        advice = final["recommendation"]
        if advice is not None:
            print(f"  {'':14s} recommends the {advice.use}: {advice.message[:110]}")
        if "test_mape" in final:
            print(
                f"  {'':14s} test MAPE {final['test_mape']:.2f} % beside {final['baseline']} "
                f"{final['baseline_test_mape']:.2f} %"
                + (
                    "  (tutorial: tuned FFN 4.25 %, seasonal naive 4.80 %)"
                    if name.startswith("gefcom")
                    else ""
                )
            )
        if final["series_rows"]:
            share = final["series_beating_baseline"]
            print(f"  {'':14s} {final['series_count']} series, {share:.0%} beat their own baseline:")
            for row in final["series_rows"]:
                print(
                    f"  {'':16s}{row['series']:36s} {row['test_mase']:7.3f} "
                    f"{row['baseline']:>20s} {row['baseline_test_mase']:7.3f} "
                    f"{row['skill'] or 0:+7.1%}"
                )


if __name__ == "__main__":
    main()

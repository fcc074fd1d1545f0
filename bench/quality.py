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
  zero, so MAPE is refused and MASE is the measure), h = 1 week.

Needs: pip install pmdarima vega_datasets (the `bench` extra).
Usage: python bench/quality.py [--runs 30] [--max-epochs 30] [--series gefcom taylor seattle]
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

from tuner.core.settings import Settings  # noqa: E402
from tuner.core.uploads import UploadOptions, dataset_path, validate_csv_file  # noqa: E402
from tuner.store import Store  # noqa: E402

DAY = 86_400


def taylor() -> pd.DataFrame:
    from pmdarima.datasets import load_taylor

    demand = load_taylor(as_series=True).to_numpy(dtype=float)
    stamps = pd.date_range("2000-06-05 00:00", periods=len(demand), freq="30min")
    return pd.DataFrame({"timestamp": stamps, "demand": demand})


def seattle() -> pd.DataFrame:
    from vega_datasets import local_data

    frame = local_data.seattle_weather()
    return frame.rename(columns={"date": "timestamp"}).drop(columns=["weather"])


SERIES = {  # name: (frame or None for the built-in, target, step in seconds, horizon in days)
    "gefcom": (None, "load", 3600, 1),
    "gefcom_ex_post": (None, "load", 3600, 1),  # actual temperatures over the forecast window
    "taylor": (taylor, "demand", 1800, 1),
    "seattle": (seattle, "temp_max", DAY, 7),
}
FUTURE_COVARIATES = {"gefcom_ex_post": ["temp"]}


def spec_for(name: str, step: int, horizon_days: int, args: argparse.Namespace) -> dict[str, Any]:
    per_day = max(1, DAY // step)
    windows = [per_day, 7 * per_day] if per_day > 1 else [14, 56]  # a day and a week, or weeks
    return {
        "name": f"quality-{name}",
        "trainable": "ffn",
        "fixed": {
            "horizon": horizon_days * per_day,
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
            "residual": {"choice": ["baseline", "none"]},
        },
        "sampling": {"method": "random", "seed": 7},
        "primary_metric": {"name": "val_mase", "goal": "minimize"},
        "budget": {"max_total_runs": args.runs, "max_concurrent_runs": 2},
    }


def tune(name: str, args: argparse.Namespace) -> dict[str, Any]:
    load, target, step, horizon_days = SERIES[name]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TUNEDRIVE_HOME": home}
        spec = spec_for(name, step, horizon_days, args)
        if name in FUTURE_COVARIATES:
            spec["future_covariates"] = FUTURE_COVARIATES[name]
        if load is None:
            spec["dataset"] = "gefcom2014"
        else:
            settings = Settings(home=Path(home))
            source = Path(home) / f"{name}.csv"
            load().to_csv(source, index=False)
            canonical = source.with_suffix(".canonical")
            validated = validate_csv_file(source, canonical, UploadOptions())
            store = Store.open(settings.resolved_database_url)
            record = store.create_dataset(name, validated)
            destination = dataset_path(settings, record.id)
            destination.parent.mkdir(parents=True, exist_ok=True)
            canonical.replace(destination)
            store.close()
            spec.update(dataset=record.id, target=target)
        spec_file = Path(home) / "spec.yaml"
        spec_file.write_text(yaml.safe_dump(spec))
        command = [sys.executable, "-m", "tuner.cli", "run", str(spec_file), "--quiet"]
        subprocess.run(command, env=env, cwd=ROOT, check=False, capture_output=True)
        store = Store.open(Settings(home=Path(home)).resolved_database_url)
        (experiment,) = store.list_experiments()
        best = store.best_run(experiment.id)
        store.close()
        if best is None:
            raise SystemExit(f"{name}: no run finished ({experiment.stop_reason})")
        return {"params": best.params, **(best.final_metrics or {})}


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
            f"({'beats' if final['skill'] > 0 else 'does NOT beat'} its baseline; "
            f"calendar {final['params']['calendar']}, residual {final['params']['residual']}, "
            f"T {final['params']['T']})"
        )
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


if __name__ == "__main__":
    main()

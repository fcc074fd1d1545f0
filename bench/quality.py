"""Forecast quality on GEFCom2014 (minutes; not in CI).

Trains the FFN at the reference tutorial's best tuned configuration (T=168, one hidden layer of
10, batch 8, learning rate 1e-4, alpha 0, horizon 24) and prints its test MAPE beside the
seasonal-naive figure; goal <= 4.6 % (the tutorial's tuned figure is 4.25 %). Then one
default-configuration figure per family.
Usage: python bench/quality.py [--max-epochs 100] [--family-epochs 20] [--skip-families]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.datasets import ensure_gefcom2014, read_energy_csv
from trainables.fit import fit_forecaster
from tuner.core.registry import RunContext


def train(family: str, overrides: dict[str, Any], series: Any) -> tuple[dict[str, Any], int, float]:
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES[family][1], **overrides}
    reports: list[dict[str, Any]] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        final = fit_forecaster(
            family,
            params,
            series,
            RunContext(report=reports.append, run_dir=Path(tmp), cpus=os.cpu_count() or 1),
        )
    return final, len(reports), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--family-epochs", type=int, default=20)
    parser.add_argument("--skip-families", action="store_true")
    args = parser.parse_args()
    series = read_energy_csv(
        ensure_gefcom2014(Path(os.environ.get("TUNEDRIVE_DATA_DIR", "../shared/data")))
    )

    tuned = {
        "T": 168,
        "hidden_layers": 1,
        "latent_dim": 10,
        "batch_size": 8,
        "learning_rate": 1e-4,
        "alpha": 0.0,
        "horizon": 24,
        "max_epochs": args.max_epochs,
        "patience": args.patience,
    }
    final, epochs, seconds = train("ffn", tuned, series)
    print(
        "FFN at the tutorial's best tuned configuration (T=168, 1x10, batch 8, lr 1e-4, alpha 0, horizon 24):"
    )
    print(
        f"  test MAPE {final['test_mape']:.2f} %  (goal <= 4.6 %; tutorial 4.25 %; "
        f"seasonal naive {final['naive_test_mape']:.2f} %)  best epoch {final['best_epoch']} of {epochs}, "
        f"{seconds:.0f} s"
    )
    print(f"  ratio to seasonal naive = {final['test_mape'] / final['naive_test_mape']:.3f}")
    if args.skip_families:
        return
    print(
        f"default configuration per family (horizon 24, up to {args.family_epochs} epochs, patience 5):"
    )
    for family in FAMILIES:
        final, epochs, seconds = train(
            family, {"max_epochs": args.family_epochs, "patience": 5}, series
        )
        print(
            f"  {family:16s} test MAPE {final['test_mape']:6.2f} %   best epoch {final['best_epoch']:3d} "
            f"of {epochs:3d}   {seconds:5.0f} s"
        )


if __name__ == "__main__":
    main()

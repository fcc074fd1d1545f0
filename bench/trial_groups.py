"""What a trial group costs (DESIGN §6.4): a run of 3 seeds, trained as one stacked Keras
model, against single runs, side by side on GEFCom2014 (minutes; not in CI).

Each configuration trains for a fixed number of epochs (patience off) on one CPU thread, as a
run given one CPU would: a single run, a group of 3 repeats, and a group of 3 repeats x 2
folds. The goal is that 3 repeats cost well under 3 single runs.

Usage: TUNEDRIVE_DATA_DIR=... python bench/trial_groups.py [--epochs 5] [--family ffn]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS  # noqa: E402
from trainables.datasets import ensure_gefcom2014, read_energy_csv  # noqa: E402
from trainables.fit import configure_tensorflow, fit_single  # noqa: E402
from trainables.groups import fit_group  # noqa: E402
from trainables.runs import prepare_run  # noqa: E402
from tuner.core.registry import RunContext  # noqa: E402
from tuner.core.settings import Settings  # noqa: E402


def timed(family: str, params: dict, series: object, repeats: int, folds: int) -> float:
    with tempfile.TemporaryDirectory() as run_dir:
        ctx = RunContext(lambda _: None, Path(run_dir), seed=1, repeats=repeats, folds=folds)
        ctx.primary_metric = "val_mase"
        started = time.perf_counter()
        run = prepare_run(family, params, series, ctx.primary_metric)
        if repeats * folds > 1:
            fit_group(run, params, ctx)
        else:
            fit_single(run, params, ctx)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--family", default="ffn", choices=list(FAMILIES))
    args = parser.parse_args()
    configure_tensorflow(1, 0)
    series = read_energy_csv(ensure_gefcom2014(Settings().data_dir))
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES[args.family][1], "T": 168, "horizon": 24}
    params.update(max_epochs=args.epochs, patience=10_000, batch_size=32, calendar=True)
    timed(args.family, {**params, "max_epochs": 1}, series, 1, 1)  # warm up TensorFlow
    single = timed(args.family, params, series, 1, 1)
    group = timed(args.family, params, series, 3, 1)
    folded = timed(args.family, params, series, 3, 2)
    print(f"{args.family} on GEFCom2014, T 168, {args.epochs} epochs each, one CPU thread")
    print(f"  single run                 {single:7.1f} s   1.00")
    print(
        f"  3 repeats (stacked)        {group:7.1f} s   {group / single:4.2f}   goal: well under 3"
    )
    print(f"  3 repeats x 2 folds        {folded:7.1f} s   {folded / single:4.2f}")


if __name__ == "__main__":
    main()

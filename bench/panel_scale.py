"""Panel scale: one global model over 100, 1,000 and 10,000 series of a few hundred points each
(DESIGN §6.1). For each size, in a fresh process: the time to prepare the windows, the time of
one training epoch, the peak memory, and the windows' own memory beside what materialised
windows (n × T × k float32) would take, at two input windows T. Goals: time linear in total
points (the per-million ratios stay flat or fall) and window memory <= 1/10 of materialised
windows: gathered windows keep the stacked features and one origin per window, so the ratio is
about (rows / windows) / T — under 1/10 wherever T is above about 20.

Usage: python bench/panel_scale.py [--sizes 100 1000 10000] [--points 300]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PARAMS = {"horizon": 7, "max_epochs": 1, "batch_size": 256, "calendar": True,
          "residual": "baseline", "latent_dim": 32, "hidden_layers": 1}


def panel(series: int, points: int, seed: int = 0) -> object:
    """Daily series with a weekly season, a level and noise of their own, starts staggered."""
    from trainables.datasets import Panel, Series
    from trainables.uploaded import apply_split

    rng = np.random.default_rng(seed)
    members = []
    for i in range(series):
        length = int(points * rng.uniform(0.8, 1.2))
        start = np.datetime64("2020-01-01", "s") + np.timedelta64(int(rng.integers(0, 60)), "D")
        stamps = start + np.arange(length) * np.timedelta64(1, "D")
        days = np.arange(length)
        level = rng.uniform(10, 1000)
        values = level * (1 + 0.2 * np.sin(2 * np.pi * days / 7 + i)) + rng.normal(0, level / 20, length)
        member = Series(f"s{i}", stamps, values, np.zeros((length, 0)), covariate_names=(),
                        frequency="D")
        members.append(apply_split(member, None))
    return Panel("bench", tuple(members))


def one(series: int, points: int, T: int) -> dict[str, float]:
    from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
    from trainables.fit import configure_tensorflow, fit_single
    from trainables.runs import prepare_run
    from tuner.core.registry import RunContext

    configure_tensorflow(2, 0)
    data = panel(series, points)
    total = sum(len(m) for m in data.members)  # type: ignore[attr-defined]
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], **PARAMS, "T": T}
    began = time.perf_counter()
    run = prepare_run("ffn", params, data, "val_mase")
    prepared = time.perf_counter() - began
    train = run.prepared.train
    n, T, k = train.x.shape
    materialised = n * T * k * 4
    # The stacked features every split's windows gather from, and the origins they share.
    own = run.prepared.features.nbytes + train.origins.nbytes
    with tempfile.TemporaryDirectory() as folder:
        context = RunContext(lambda _: None, Path(folder), primary_metric="val_mase", seed=1)
        began = time.perf_counter()
        fit_single(run, params, context)
        epoch = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"series": series, "T": T, "points": total, "windows": n, "prepare_s": prepared,
            "epoch_s": epoch, "peak_mib": peak, "window_mib": own / 2**20,
            "materialised_mib": materialised / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10_000])
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--T", type=int, nargs="+", default=[14, 56], help="input windows")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.points, args.T[0])))
        return
    rows = []
    for T in args.T:
        for size in args.sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--points", str(args.points),
                 "--T", str(T)],
                capture_output=True, text=True, check=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"ffn, horizon {PARAMS['horizon']}, batch {PARAMS['batch_size']}, one epoch "
          f"(validation and test forecasts included), about {args.points} points a series")
    print(f"{'T':>3s} {'series':>7s} {'points':>9s} {'windows':>9s} {'prepare s':>9s} {'epoch s':>8s} "
          f"{'s/Mpoint':>8s} {'peak MiB':>9s} {'windows MiB':>11s} {'materialised':>12s} "
          f"{'ratio':>6s}")
    for r in rows:
        per_million = (r["prepare_s"] + r["epoch_s"]) / (r["points"] / 1e6)
        print(f"{r['T']:3d} {r['series']:7d} {r['points']:9d} {r['windows']:9d} {r['prepare_s']:9.2f} "
              f"{r['epoch_s']:8.2f} {per_million:8.1f} {r['peak_mib']:9.0f} "
              f"{r['window_mib']:11.1f} {r['materialised_mib']:12.1f} "
              f"{r['window_mib'] / r['materialised_mib']:6.3f}")
    sizes = len(args.sizes)
    for at in range(0, len(rows), sizes):
        first, last = rows[at], rows[at + sizes - 1]
        scale = last["points"] / first["points"]
        took = (last["prepare_s"] + last["epoch_s"]) / (first["prepare_s"] + first["epoch_s"])
        print(f"T {first['T']}: {scale:.0f}x the points took {took:.1f}x the time "
              f"(linear: {scale:.0f}x)")


if __name__ == "__main__":
    main()

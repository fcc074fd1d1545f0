"""API load: 10,000 runs x 50 epochs in SQLite, one uvicorn worker, a concurrent client on loopback.

Measures requests/s and p50/p99 latency for the experiment read (of one experiment, whose
concurrent readers share a round trip, and of many in turn, which share none), the first page
of runs sorted by the primary metric, and one run's metrics.
Goal (one worker, SQLite): experiment read >= 1,000 req/s with p99 <= 50 ms, also while a 50 MB
CSV upload is being parsed (the parse must not stall reads), and while a 1,000-series panel of 2
million rows is; sorted runs page p50 <= 50 ms.
Usage: python bench/api_load.py [--runs 10000] [--epochs 50] [--requests 3000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import quantiles

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.seeding import seed_experiment


async def hammer(
    base: str, paths: list[str], total: int, concurrency: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = total

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            response = await client.get(paths[remaining % len(paths)])
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for _ in range(20):  # warm-up
            await client.get(paths[0])
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return total / elapsed, latencies


def run_wrk(
    base: str, paths: list[str], seconds: int, concurrency: int
) -> tuple[float, float, float]:
    """wrk (Debian's package), a C load generator, when present: a Python client on the same two
    cores takes as much CPU as the server and caps what can be measured. Several paths are
    requested in turn (a Lua script)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        listed = ", ".join(f'"{p}"' for p in paths)
        script.write(
            f"paths = {{{listed}}}\ni = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            '  return wrk.format("GET", paths[i])\nend\n'
        )
    command = ["wrk", "-t1", f"-c{concurrency}", "-s", script.name]
    subprocess.run(  # warm-up: the first requests of a fresh server are not its speed
        [*command, "-d2s", base], capture_output=True, check=True
    )
    out = subprocess.run(
        [*command, f"-d{seconds}s", "--latency", base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert non_2xx is None, out

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    return rate, percentile("50"), percentile("99")


def csv_of_size(megabytes: int) -> bytes:
    """An hourly series with three numeric columns, about ``megabytes`` MB of CSV."""
    import numpy as np

    rows = megabytes * 1_000_000 // 52
    stamps = np.datetime64("1900-01-01T00:00") + np.arange(rows) * np.timedelta64(1, "h")
    values = np.random.default_rng(0).normal(1000, 100, size=(rows, 3))
    text = np.datetime_as_string(stamps, unit="s")
    lines = [
        f"{t.replace('T', ' ')},{a:.3f},{b:.3f},{c:.3f}"
        for t, (a, b, c) in zip(text, values, strict=True)
    ]
    return ("timestamp,load,temp,price\n" + "\n".join(lines) + "\n").encode()


def panel_csv(series: int = 1000, rows: int = 2000) -> bytes:
    """A panel in long format: ``series`` daily series of ``rows`` each, their own starts."""
    import numpy as np

    rng = np.random.default_rng(1)
    lines = []
    for i in range(series):
        start = np.datetime64("2015-01-01") + int(rng.integers(0, 365))
        stamps = np.datetime_as_string(start + np.arange(rows), unit="D")
        values = rng.normal(1000, 100, size=rows)
        lines += [f"s{i:04d},{t},{v:.2f}" for t, v in zip(stamps, values, strict=True)]
    return ("store,timestamp,sales\n" + "\n".join(lines) + "\n").encode()


def upload_while(
    base: str,
    body: bytes,
    done: threading.Event,
    log: list[str],
    params: dict[str, str] | None = None,
) -> None:
    """Uploads the CSV again and again until ``done``; records how long each parse took."""
    while not done.is_set():
        began = time.perf_counter()
        response = httpx.post(
            f"{base}/api/datasets",
            params={"name": "big", **(params or {})},
            content=body,
            headers={"Content-Type": "text/csv"},
            timeout=600,
        )
        assert response.status_code == 201, response.text[:300]
        log.append(f"{time.perf_counter() - began:.1f} s")


READ_GOALS = (">= 1000 req/s", "p99 <= 50 ms")


def measure(
    client: str, base: str, paths: list[str], args: argparse.Namespace
) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 (ms) of ``paths`` requested in turn."""
    if client == "wrk":
        return run_wrk(base, paths, args.seconds, args.concurrency)
    rate, latencies = asyncio.run(hammer(base, paths, args.requests, args.concurrency))
    cuts = quantiles(latencies, n=100)
    return rate, cuts[49] * 1000, cuts[98] * 1000


def report(
    label: str, goals: tuple[str, str], rate: float, p50: float, p99: float, note: str = ""
) -> None:
    goal = ", ".join(g for g in goals if g)
    print(
        f"  {label:40s} {rate:6.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
        f"{('goal: ' + goal) if goal else ''}{note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10, help="per endpoint, with wrk")
    parser.add_argument("--client", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--upload-mb", type=int, default=50, help="CSV parsed during the reads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        url = f"sqlite:///{home}/load.db"
        began = time.perf_counter()
        experiment_id, run_id = seed_experiment(url, args.runs, args.epochs)
        # Reads spread over many experiments: none shares another's round trip.
        others = [seed_experiment(url, 100, 20)[0] for _ in range(args.concurrency)]
        print(
            f"seeded {args.runs:,} runs x {args.epochs} epochs ({args.runs * args.epochs:,} metric rows) "
            f"and {len(others)} experiments of 100 runs in {time.perf_counter() - began:.1f} s"
        )
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "TUNEDRIVE_HOME": home, "TUNEDRIVE_DATABASE_URL": url}
        server = subprocess.Popen(
            [sys.executable, "-m", "tuner.cli", "serve", "--port", str(port), "--no-dispatch"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(f"{base}/api/health", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            cases = [
                ("experiment read", [f"/api/experiments/{experiment_id}"], READ_GOALS),
                (
                    f"experiment read, {len(others)} in turn",
                    [f"/api/experiments/{other}" for other in others],
                    READ_GOALS,
                ),
                (
                    "runs page sorted by metric",
                    [f"/api/experiments/{experiment_id}/runs?sort=metric&limit=50"],
                    ("", "p50 <= 50 ms"),
                ),
                ("one run's metrics", [f"/api/runs/{run_id}/metrics"], ("", "")),
            ]
            client = (
                "wrk"
                if args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
                else "httpx"
            )
            amount = f"{args.seconds} s" if client == "wrk" else f"{args.requests} requests"
            print(
                f"one uvicorn worker, SQLite, client {client}, {args.concurrency} connections, {amount} each:"
            )
            for label, paths, goals in cases:
                report(label, goals, *measure(client, base, paths, args))
            uploads_of = [
                ("upload", csv_of_size(args.upload_mb), None),
                # 1,000 series x 2,000 days in long format: 2 million rows.
                ("panel upload", panel_csv(), {"series_column": "store"}),
            ]
            for what, body, params in uploads_of:
                for label, paths, goals in cases[:2]:
                    done, uploads = threading.Event(), []
                    uploader = threading.Thread(
                        target=upload_while, args=(base, body, done, uploads, params)
                    )
                    uploader.start()
                    time.sleep(1.0)  # the first upload's body is in; its parse is under way
                    measured = measure(client, base, paths, args)
                    done.set()
                    uploader.join()
                    sizes = f"{len(body) / 1e6:.0f} MB CSV, each upload taking {', '.join(uploads)}"
                    report(f"{label} during {what}", goals, *measured, note=f" ({sizes})")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

"""Commands that work on this machine's own state: run, check, serve, driver."""

from __future__ import annotations

import gc
import importlib.util
import os
import socket
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tuner.cli.app import app, console, err_console
from tuner.cli.render import print_against_baseline, print_recommendation, runs_table
from tuner.client.recommendation import recommend
from tuner.client.schemas import Run
from tuner.errors import SpecError

# What the server install adds; a client install (plain `pip install tunedrive`) lacks them.
SERVER_MODULES = ("ray", "optuna", "sqlalchemy", "alembic", "fastapi", "uvicorn", "tensorflow")


def require_server_install(command: str) -> None:
    """Exits with the install line when a server package is missing, before any import fails."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        err_console.print(
            f"[red]`tunedrive {command}` needs the server install[/red] (missing: "
            f"{', '.join(missing)}): pip install 'tunedrive\\[server]'",
            highlight=False,
        )
        raise typer.Exit(2)


@app.command()
def run(
    spec_file: Annotated[Path, typer.Argument(help="experiment spec (YAML or JSON)")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Run one experiment here on the embedded defaults (local Ray, SQLite); print the result."""
    require_server_install("run")
    from tuner.core.settings import Settings

    settings = Settings()
    settings.ensure_dirs()
    try:
        spec = local_spec(spec_file, settings)
    except SpecError as err:
        err_console.print(f"[red]spec refused[/red] ({spec_file}):")
        for problem in err.problems:
            err_console.print(f"  {problem}")
        raise typer.Exit(2) from None

    from tuner.engine.driver import run_experiment
    from tuner.store import Store

    store = Store.open(settings.resolved_database_url)
    from tuner.service.submission import check_submission

    try:
        check_submission(spec, store, settings)
    except SpecError as err:
        err_console.print(f"[red]spec refused[/red] ({spec_file}): {err}")
        raise typer.Exit(2) from None
    # Claimed by this process from the start: a `serve` dispatcher on the same home never
    # takes it (it would only take it over once this process's heartbeat stopped).
    claimant = f"{socket.gethostname()}-run-{os.getpid()}"
    record = store.create_experiment(spec, claimant=claimant)
    generation = store.start_driver(record.id, claimant)
    from tuner.engine.ray_runtime import init_ray, shutdown_ray

    init_ray(settings)  # in the main thread, so Ray installs its signal handlers
    console.print(
        f"experiment [bold]{record.id}[/bold] ({spec.name}): {spec.trainable}, "
        f"{spec.sampling.method} sampling, up to {spec.planned_runs} runs; "
        f"store {settings.home_dir}"
    )
    outcome: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: outcome.update(
            record=run_experiment(record.id, settings, store, generation)
        ),
        daemon=True,
    )
    worker.start()
    try:
        _follow(store, record.id, spec, worker, quiet)
    except KeyboardInterrupt:
        console.print("canceling: runs stop within seconds…")
        store.request_cancel(record.id)
        worker.join()
    final = outcome.get("record") or store.get_experiment(record.id)
    print_result(store, final)
    shutdown_ray()  # before the interpreter exits: a live local Ray aborts the exit otherwise
    raise typer.Exit(0 if final.status == "completed" else 1)


def local_spec(spec_file: Path, settings: Any) -> Any:
    """The spec file as a spec: a command trial's local code and inputs (relative to the file)
    stored as snapshots here first; an Azure ML sweep job translated."""
    from tuner.client.packing import upload_local_files
    from tuner.core.documents import load_json, load_yaml
    from tuner.core.spec import parse_submission
    from tuner.service.code import save_snapshot

    try:
        text = spec_file.read_text()
    except OSError as err:
        from tuner.errors import FieldProblem

        raise SpecError([FieldProblem("", f"cannot read {spec_file}: {err.strerror}")]) from None
    document = load_json(text) if spec_file.suffix == ".json" else load_yaml(text)
    if isinstance(document, dict):
        store_here = lambda archive: save_snapshot(settings, archive).id  # noqa: E731
        document = upload_local_files(document, spec_file.parent, store_here)
    spec, warnings = parse_submission(document)
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    return spec


def _follow(
    store: Any, experiment_id: str, spec: Any, worker: threading.Thread, quiet: bool
) -> None:
    goal = spec.primary_metric.goal.value
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} runs"),
        TextColumn("{task.fields[best]}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
    ) as progress:
        task = progress.add_task("tuning", total=spec.planned_runs, best="")
        while worker.is_alive():
            runs = store.list_runs(experiment_id)
            done = sum(r.status not in ("queued", "running") for r in runs)
            values = [r.best_metric for r in runs if r.best_metric is not None]
            best = (max(values) if goal == "maximize" else min(values)) if values else None
            label = f"best {spec.primary_metric.name} {best:.4g}" if best is not None else ""
            progress.update(task, completed=done, best=label)
            worker.join(timeout=1.0)


def print_result(store: Any, record: Any) -> None:
    metric = record.spec["primary_metric"]["name"]
    console.print(
        runs_table(store.list_runs(record.id), metric, f"runs of {record.name} ({record.id})")
    )
    console.print(f"experiment {record.status}: {record.stop_reason}")
    best_run = store.best_run(record.id)
    if best_run is None:
        console.print("[yellow]no best run[/yellow]")
        return
    console.print(
        f"[bold]best run[/bold] #{best_run.number} ({best_run.id}): "
        f"{metric} = {best_run.best_metric:.4f}"
    )
    console.print(f"  params: {best_run.params}")
    run = Run.model_validate(best_run)
    print_against_baseline(run)
    print_recommendation(recommend(run, metric, record.spec["primary_metric"]["goal"]))


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    dispatch: Annotated[bool, typer.Option(help="run the dispatcher in this process")] = True,
) -> None:
    """API + dispatcher on the embedded defaults; prints the dashboard address."""
    require_server_install("serve")
    import uvicorn

    from api.app import create_app
    from tuner.core.settings import Settings
    from tuner.service.dispatcher import Dispatcher
    from tuner.service.local_ray import LocalRay
    from tuner.store import Store

    settings = Settings()
    if not settings.api_tokens and host not in LOOPBACK and not host.startswith("127."):
        err_console.print(
            f"[red]refusing to listen on {host} without a token[/red]: set TUNEDRIVE_API_TOKENS "
            "or listen on 127.0.0.1"
        )
        raise typer.Exit(2)
    settings.ensure_dirs()
    store = Store.open(settings.resolved_database_url)
    stop = threading.Event()
    # Embedded: one local Ray for every driver, started when the first one needs it.
    local_ray = LocalRay(settings.home_dir) if settings.ray_address is None else None
    if local_ray is not None:
        local_ray.use(os.getpid())  # the head outlives this server, and then its drivers only
    dispatcher = Dispatcher(settings, store, local_ray=local_ray)
    if dispatch:
        threading.Thread(target=dispatcher.run, args=(stop,), daemon=True).start()
    console.print(
        f"tunedrive on http://{host}:{port}/  (API docs at /docs; state in {settings.home_dir})"
    )
    app = create_app(settings, store)
    gc.freeze()  # long-lived objects leave the collector's scans: shorter pauses, lower p99
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        stop.set()
        if local_ray is not None and dispatcher.drivers_alive() == 0:
            local_ray.stop()  # else the drivers keep it, and the next server reuses it


@app.command()
def driver(
    experiment_id: str,
    generation: Annotated[
        int | None, typer.Option(help="the lease generation the dispatcher started it with")
    ] = None,
) -> None:
    """Run one stored experiment (what the dispatcher starts, one process per experiment)."""
    require_server_install("driver")
    from tuner.engine.driver import main

    raise typer.Exit(main([experiment_id, *([str(generation)] if generation is not None else [])]))

"""The command trainable's ``fit``: runs the user's command for one run and turns what it
reports into the run's interval reports.

The run gets its own copy of the code snapshot as its working directory, its placeholders
substituted, a clean environment, and its own process group watched by a guard
(:mod:`trainables.command.guard`) that stops the group in order whenever the run is stopped,
however that happens.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any

from trainables.command.environment import gpu_ids, run_environment
from trainables.command.metrics import FileTail, Intervals, parse_line, stdout_report
from trainables.command.mlflow_tracking import TrackingServer
from trainables.command.placeholders import substitute
from trainables.command.staging import Staging, stage_root
from tuner.core.registry import RunContext
from tuner.errors import RunFailed

STDERR_LINES = 50
POLL_SECONDS = 0.1


def fit_command(params: dict[str, Any], staging: Staging, context: RunContext) -> dict[str, Any]:
    run_dir = context.run_dir
    root = stage_root(staging)
    workdir = run_dir / ".code"
    if workdir.exists():
        shutil.rmtree(workdir)  # a retried attempt starts from the snapshot again
    if (root / "code").is_dir():
        shutil.copytree(root / "code", workdir, symlinks=True)
    else:
        workdir.mkdir()
    outputs = {name: run_dir / "outputs" / name for name in staging.outputs}
    for folder in outputs.values():
        folder.mkdir(parents=True, exist_ok=True)
    inputs = {
        name: str(root / value) if kind == "path" else value
        for name, (kind, value) in staging.inputs.items()
    }
    (run_dir / "params.json").write_text(json.dumps(params, indent=2, default=str))
    (run_dir / ".stop").unlink(missing_ok=True)
    folders = {name: str(path) for name, path in outputs.items()}
    argv = substitute(
        staging.command, {"search_space": params, "inputs": inputs, "outputs": folders}
    )
    env = run_environment(
        run_dir=run_dir,
        run_id=run_dir.name,
        params=params,
        variables=staging.environment_variables,
        cpus=context.cpus,
        gpus=gpu_ids(),
    )
    metrics_file = run_dir / "metrics.jsonl"
    metrics_file.unlink(missing_ok=True)
    metrics_file.touch()
    lock = threading.Lock()

    def append(line: dict[str, Any]) -> None:
        with lock, metrics_file.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    with TrackingServer(append) as tracking_uri:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
        return _Process(argv, workdir, env, staging, context).run()


class _Process:
    def __init__(
        self,
        argv: list[str],
        workdir: Path,
        env: dict[str, str],
        staging: Staging,
        context: RunContext,
    ) -> None:
        self.argv, self.workdir, self.env = argv, workdir, env
        self.staging, self.context = staging, context
        self.run_dir = context.run_dir
        self.stopped_by: str | None = None  # why tunedrive stopped it, once it has
        self.final: dict[str, Any] = {}
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_LINES)
        self.intervals = Intervals(context.primary_metric or "", self._interval)
        self.lines: deque[str] = deque()  # prefixed stdout reports, in order

    def _interval(self, metrics: dict[str, Any], step: int | None) -> None:
        if self.stopped_by is not None:
            self.final.update(metrics)  # reported after its stop: kept, as final values
            return
        self.context.report(metrics, step)  # type: ignore[call-arg]
        if self.context.stop_requested():
            self._stop("early termination")

    def _stop(self, why: str) -> None:
        if self.stopped_by is None:
            self.stopped_by = why
            self._tell_guard("stop")

    def _tell_guard(self, word: str) -> None:
        try:
            assert self.guard.stdin is not None
            self.guard.stdin.write(word + "\n")
            self.guard.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def run(self) -> dict[str, Any]:
        try:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, the guard's to stop
            )
        except OSError as err:
            raise RunFailed(f"cannot start {self.argv[0]!r}: {err.strerror}") from None
        self.guard = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "trainables.command.guard",
                str(self.process.pid),
                str(self.run_dir / ".stop"),
                str(self.staging.stop_grace_seconds),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # outlives this worker if Ray kills it
        )
        readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, "stderr"), daemon=True),
        ]
        for reader in readers:
            reader.start()
        tail = FileTail(self.run_dir / "metrics.jsonl")
        try:
            while self.process.poll() is None:
                self._take(tail)
                time.sleep(POLL_SECONDS)
        except BaseException:
            self._stop("failure")
            self.process.wait()
            raise
        finally:
            # What the command left behind goes first: its forked workers hold the pipes the
            # readers drain, so the readers end only once the group is empty.
            self._tell_guard("end")
            how = self.guard.communicate(timeout=None)[0].strip()
            for reader in readers:
                reader.join(timeout=5)
            self._record(how)
        self._take(tail)
        return self._outcome()

    def _take(self, tail: FileTail) -> None:
        for line in tail.lines():
            if (metrics := parse_line(line, "metrics file")) is not None:
                self.intervals.add(metrics)
        while self.lines:
            if (metrics := parse_line(self.lines.popleft(), "stdout")) is not None:
                self.intervals.add(metrics)

    def _read(self, stream: IO[bytes], name: str) -> None:
        with (self.run_dir / f"{name}.log").open("ab") as log:
            for raw in stream:
                log.write(raw)
                log.flush()
                text = raw.decode("utf-8", "replace").rstrip("\n")
                if name == "stderr":
                    self.stderr_tail.append(text)
                elif (report := stdout_report(text)) is not None:
                    self.lines.append(report)

    def _record(self, how: str) -> None:
        record = {
            "argv": self.argv,
            "working_directory": str(self.workdir),
            "snapshot_source": str(stage_root(self.staging)),
            "exit_code": self.process.returncode,
            "stopped_by": self.stopped_by,
            "stop": how,
        }
        (self.run_dir / "command.json").write_text(json.dumps(record, indent=2))

    def _outcome(self) -> dict[str, Any]:
        code = self.process.returncode
        if self.stopped_by is not None:
            return {**self.intervals.pending, **self.final, "exit_code": code}
        stderr = "\n".join(self.stderr_tail)
        tail = f"; last lines of stderr:\n{stderr}" if stderr else "; stderr was empty"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            raise RunFailed(
                f"killed by signal {name}, which tunedrive did not send (possibly out of "
                f"memory){tail}"
            )
        if code > 0:
            raise RunFailed(f"exited with code {code}{tail}")
        missing = self.intervals.missing_primary()
        if missing:
            raise RunFailed(missing)
        return {**self.intervals.pending, "exit_code": 0}

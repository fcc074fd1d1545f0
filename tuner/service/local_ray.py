"""The one local Ray of an embedded service, which every driver joins.

Without ``TUNEDRIVE_RAY_ADDRESS``, ``tunedrive serve`` starts a Ray head of its own on
loopback (``ray start --head --block`` in its own session) and hands its address to the
drivers: experiments run side by side and share the machine, and a driver joins in a second
instead of starting a Ray of its own. The head outlives a server that is killed, like the
drivers do; the next server on the same home finds it through ``ray-head.json`` and reuses it.
A server that stops normally stops the head when no driver of its own is still running; and
the head stops by itself once no process that used it (a server, a driver) is alive any more
(:mod:`tuner.service.ray_reaper`), so killed servers leave no Ray behind for good.
Ray's token authentication is on (Ray listens on the machine's address, not only on loopback):
the token is a file in the home folder, and only its path travels to the drivers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("tunedrive.local_ray")
START_SECONDS = 90.0
# Ray's agents listen on fixed default ports; a second Ray on the machine needs its own.
AGENT_PORTS = (
    "dashboard-agent-listen-port",
    "dashboard-agent-grpc-port",
    "runtime-env-agent-port",
    "metrics-export-port",
)


def free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports: every socket stays bound until all are picked, so
    the kernel cannot hand the same port out twice (it did, and a Ray head refused to start)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def _listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


@dataclass
class LocalRay:
    home: Path
    # How long the reaper waits, once no user is alive, before it stops the head; a server
    # restarting on the same home re-notes itself well within the default.
    idle_seconds: float = 10.0

    @property
    def state_file(self) -> Path:
        return self.home / "ray-head.json"

    @property
    def token_file(self) -> Path:
        return self.home / "ray-auth-token"

    @property
    def users_dir(self) -> Path:
        return self.home / "ray-users"

    def use(self, pid: int) -> None:
        """Notes a process that uses the head (a server, a driver): the head outlives it."""
        self.users_dir.mkdir(parents=True, exist_ok=True)
        (self.users_dir / str(pid)).touch()

    def users_alive(self) -> list[int]:
        """The noted users still alive; the dead ones are forgotten."""
        alive = []
        for entry in self.users_dir.glob("*") if self.users_dir.is_dir() else []:
            if entry.name.isdigit() and process_alive(int(entry.name)):
                alive.append(int(entry.name))
            else:
                entry.unlink(missing_ok=True)
        return alive

    def environment(self) -> dict[str, str]:
        """What a process that joins this Ray needs besides its address."""
        return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(self.token_file)}

    def address(self) -> str:
        """The running head's GCS address, starting a head when there is none."""
        found = self._running()
        if found is not None:
            log.info("reusing the local Ray head at %s", found)
            return found
        return self._start()

    def running(self) -> str | None:
        """The head's address while it runs, else None."""
        return self._running()

    def _running(self) -> str | None:
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        if process_alive(int(state["pid"])) and _listening(state["address"]):
            return str(state["address"])
        return None

    def _start(self) -> str:
        port, *agent_ports = free_ports(1 + len(AGENT_PORTS))
        address = f"127.0.0.1:{port}"
        ray = str(Path(sys.executable).with_name("ray"))
        ports = [f"--{name}={p}" for name, p in zip(AGENT_PORTS, agent_ports, strict=True)]
        command = [ray, "start", "--head", "--block", f"--port={port}", *ports]
        command += ["--node-ip-address=127.0.0.1", "--include-dashboard=false"]
        command += ["--disable-usage-stats"]
        log_path = self.home / "ray-head.log"
        if not self.token_file.exists():
            self.token_file.touch(mode=0o600)
            self.token_file.write_text(secrets.token_hex(32))
        env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
        env.update(self.environment())
        with log_path.open("ab") as out:
            head = subprocess.Popen(
                command,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopped as one, spared our signals
            )
        deadline = time.monotonic() + START_SECONDS
        while b"Ray runtime started" not in log_path.read_bytes():
            if head.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-800:]
                raise RuntimeError(f"the local Ray head did not start: {tail}")
            time.sleep(0.2)
        self.state_file.write_text(json.dumps({"pid": head.pid, "address": address}))
        log.info("started a local Ray head at %s", address)
        with log_path.open("ab") as out:  # stops the head once nothing uses it
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tuner.service.ray_reaper",
                    str(self.home),
                    str(self.idle_seconds),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return address

    def stop(self, grace_seconds: float = 2.0) -> None:
        """Stops the head and everything it started (its whole process group): politely, then,
        for what is left after ``grace_seconds`` (Ray's servers may linger), by force."""
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return
        group = int(state["pid"])
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
            deadline = time.monotonic() + grace_seconds
            while time.monotonic() < deadline:
                os.killpg(group, 0)  # ProcessLookupError once the whole group is gone
                time.sleep(0.2)
            os.killpg(group, signal.SIGKILL)
        self.state_file.unlink(missing_ok=True)

"""Real Ray nodes as separate processes on loopback, for the tests that claim cluster support.

Each node runs ``ray start --block`` in its own process group, so a test can kill one node
(``kill -9`` of its whole group) without touching the others or the test's own Ray.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.api.live import ROOT
from tuner.service.local_ray import AGENT_PORTS, free_ports

RAY = str(Path(sys.executable).parent / "ray")  # the venv's, whatever PATH says


@dataclass
class RayCluster:
    address: str  # host:port of the head's GCS
    dashboard: str  # the job API
    env: dict[str, str]  # what processes that talk to this cluster need (auth, paths)
    temp_dir: Path
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def add_node(self, cpus: int, resources: str | None = None) -> subprocess.Popen[bytes]:
        extra = [f"--resources={resources}"] if resources else []
        node = _start(
            [f"--address={self.address}", f"--num-cpus={cpus}", *extra], self.env, self.temp_dir
        )
        self.nodes.append(node)
        return node

    def alive_nodes(self) -> dict[str, bool]:
        """Alive nodes' ids (12 hex, as runs record them) and whether each is the head."""
        token = Path(self.env["RAY_AUTH_TOKEN_PATH"]).read_text()
        summary = httpx.get(
            f"{self.dashboard}/nodes?view=summary",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()["data"]["summary"]
        return {
            n["raylet"]["nodeId"][:12]: n["raylet"]["isHeadNode"]
            for n in summary
            if n["raylet"]["state"] == "ALIVE"
        }

    def wait_for_nodes(self, count: int, timeout: float = 90) -> dict[str, bool]:
        deadline = time.monotonic() + timeout
        while len(nodes := self.alive_nodes()) < count:
            assert time.monotonic() < deadline, f"only {len(nodes)} of {count} Ray nodes came up"
            time.sleep(0.5)
        return nodes

    def kill(self, node: subprocess.Popen[bytes]) -> None:
        """``kill -9`` of the node's raylet, object store and workers."""
        _kill_group(node, signal.SIGKILL)


def _start(args: list[str], env: dict[str, str], temp_dir: Path) -> subprocess.Popen[bytes]:
    log = (temp_dir / f"node-{secrets.token_hex(3)}.log").open("ab")
    # Every node on one machine needs its own agent ports (Ray's are fixed defaults).
    ports = [
        f"--{name}={port}"
        for name, port in zip(AGENT_PORTS, free_ports(len(AGENT_PORTS)), strict=True)
    ]
    return subprocess.Popen(
        [
            RAY,
            "start",
            "--block",
            "--node-ip-address=127.0.0.1",
            "--disable-usage-stats",
            *ports,
            *args,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@contextmanager
def ray_cluster(
    head_cpus: int, extra_env: dict[str, str] | None = None, head_gpus: int = 0
) -> Iterator[RayCluster]:
    """A Ray head (GCS, dashboard and job API on loopback) with token auth, as Ray's defaults.

    The head's environment is what a cluster node's would be: tunedrive's settings (the database
    URL among them) and the test trainables on the path."""
    temp_dir = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # short: Ray's socket paths
    token = temp_dir / "auth_token"
    token.write_text(secrets.token_hex(32))
    venv_bin = str(Path(RAY).parent)
    env = {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
        "TUNEDRIVE_PLUGINS": "tests.tuner.toy",
        **(extra_env or {}),
    }
    port, dashboard_port, client_port = free_ports(3)
    head = _start(
        [
            "--head",
            f"--port={port}",
            f"--num-cpus={head_cpus}",
            f"--num-gpus={head_gpus}",  # Ray's GPUs are logical: assigned and isolated per run
            "--include-dashboard=true",
            "--dashboard-host=127.0.0.1",
            f"--dashboard-port={dashboard_port}",
            f"--ray-client-server-port={client_port}",
            f"--temp-dir={temp_dir / 'ray'}",
        ],
        env,
        temp_dir,
    )
    cluster = RayCluster(
        f"127.0.0.1:{port}", f"http://127.0.0.1:{dashboard_port}", env, temp_dir, [head]
    )
    try:
        _wait_for_dashboard(cluster, head)
        yield cluster
    finally:
        for node in reversed(cluster.nodes):  # throwaway nodes: no graceful 30 s shutdown
            _kill_group(node, signal.SIGKILL)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_for_dashboard(cluster: RayCluster, head: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if head.poll() is not None:
            logs = "\n".join(
                p.read_text(errors="replace")[-3000:] for p in cluster.temp_dir.glob("*.log")
            )
            raise AssertionError(f"the Ray head exited with {head.returncode}:\n{logs}")
        try:
            # Any answer (401 without the token) means the job API is listening.
            httpx.get(f"{cluster.dashboard}/api/version", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise AssertionError("the Ray head's dashboard did not come up")

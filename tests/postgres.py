"""A real PostgreSQL from Debian's packages in a temporary directory, on loopback.

The server refuses to run as root, so as root it runs as Debian's ``postgres`` user. The
``tunedrive`` role has a password (scram-sha-256 over TCP), so the tests exercise a URL that
holds a secret.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.api.live import free_port


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    """A running server that a test can stop and start again (a store outage)."""

    def __init__(self, binaries: Path, root: Path, port: int) -> None:
        self.binaries, self.root, self.port = binaries, root, port
        self.data = root / "data"

    def run(self, *command: str) -> None:
        path = [str(self.binaries / command[0]), *command[1:]]
        subprocess.run(_as_owner(path), check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


@contextmanager
def postgres_control() -> Iterator[tuple[str, PostgresServer]]:
    """Starts a server; yields the URL of an empty ``tunedrive`` database and the server."""
    binaries = postgres_bin()
    assert binaries is not None, "PostgreSQL is not installed (make test installs it)"
    root = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    server = PostgresServer(binaries, root, free_port())
    password = secrets.token_hex(12)
    server.run("initdb", "-D", str(server.data), "-U", "postgres", "--auth-local=trust",
               "--auth-host=scram-sha-256", "--no-sync")  # fmt: skip
    server.start()
    try:
        sql = f"CREATE ROLE tunedrive LOGIN PASSWORD '{password}'; "
        sql += "CREATE DATABASE tunedrive OWNER tunedrive;"
        for statement in sql.split("; "):
            server.run("psql", "-h", str(root), "-p", str(server.port), "-U", "postgres",
                       "-c", statement)  # fmt: skip
        yield f"postgresql://tunedrive:{password}@127.0.0.1:{server.port}/tunedrive", server
    finally:
        subprocess.run(
            _as_owner(
                [str(binaries / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Starts a server and yields the URL of an empty ``tunedrive`` database."""
    with postgres_control() as (url, _):
        yield url

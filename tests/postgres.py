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


@contextmanager
def postgres_server() -> Iterator[str]:
    """Starts a server and yields the URL of an empty ``tunedrive`` database."""
    binaries = postgres_bin()
    assert binaries is not None, "PostgreSQL is not installed (make test installs it)"
    root = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = free_port()
    password = secrets.token_hex(12)

    def run(*command: str) -> None:
        path = [str(binaries / command[0]), *command[1:]]
        subprocess.run(_as_owner(path), check=True, capture_output=True)

    run("initdb", "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", "--no-sync")  # fmt: skip
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start")
    try:
        sql = f"CREATE ROLE tunedrive LOGIN PASSWORD '{password}'; "
        sql += "CREATE DATABASE tunedrive OWNER tunedrive;"
        for statement in sql.split("; "):
            run("psql", "-h", str(root), "-p", str(port), "-U", "postgres", "-c", statement)
        yield f"postgresql://tunedrive:{password}@127.0.0.1:{port}/tunedrive"
    finally:
        subprocess.run(
            _as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)

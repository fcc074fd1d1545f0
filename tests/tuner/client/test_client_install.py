"""`pip install tunedrive` (no extras) is the client: the SDK and the CLI, and nothing heavy."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGED = ("pyproject.toml", "README.md", "tuner", "api", "dashboard", "trainables")
IGNORED = shutil.ignore_patterns("__pycache__")
SERVER_PACKAGES = {"tensorflow", "ray", "optuna", "sqlalchemy", "fastapi", "keras", "pandas"}


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the project's wheel installed as a user would: no extras."""
    where = tmp_path_factory.mktemp("client-install")
    # From a copy of the sources: a build in the checkout would leave build/ behind, and a
    # stale build/lib would put deleted modules into the wheel.
    source = where / "source"
    source.mkdir()
    for name in PACKAGED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=IGNORED)
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = where / "wheels"
    # The wheel is built with this environment's setuptools (quicker than an isolated build).
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*build, "--wheel-dir", str(wheels), str(source)],
        check=True,
        cwd=where,
    )
    env_dir = where / "venv"
    venv.create(env_dir, with_pip=True)
    wheel = next(wheels.glob("tunedrive-*.whl"))
    subprocess.run(
        [env_dir / "bin" / "python", "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        cwd=where,
    )
    return env_dir


def run(env_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Outside the checkout, so that only the installed package can be imported.
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=env_dir, timeout=120
    )


def test_client_install_has_no_server_packages(client_venv: Path) -> None:
    listed = run(client_venv, client_venv / "bin" / "python", "-m", "pip", "list")
    installed = {line.split()[0].lower() for line in listed.stdout.splitlines()[2:]}
    assert {"httpx", "pydantic", "typer", "rich", "pyyaml", "tunedrive"} <= installed
    assert not installed & SERVER_PACKAGES


def test_sdk_and_cli_work_on_the_client_install(client_venv: Path) -> None:
    python = client_venv / "bin" / "python"
    sdk = run(client_venv, python, "-c", "import tuner.client; print(tuner.client.Client)")
    assert sdk.returncode == 0, sdk.stderr
    assert "tuner.client.sdk.Client" in sdk.stdout
    help_text = run(client_venv, client_venv / "bin" / "tunedrive", "--help")
    assert help_text.returncode == 0, help_text.stderr
    for command in ("submit", "status", "watch", "serve", "run"):
        assert command in help_text.stdout


@pytest.mark.parametrize("command", [["serve"], ["run", "spec.yaml"], ["driver", "abc"]])
def test_server_commands_name_the_extra_to_install(client_venv: Path, command: list[str]) -> None:
    result = run(client_venv, client_venv / "bin" / "tunedrive", *command)
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "pip install 'tunedrive[server]'" in message and "missing:" in message
    assert "Traceback" not in result.stderr


def test_service_commands_reach_for_the_service_on_the_client_install(client_venv: Path) -> None:
    # No server here: the client install's `list` must get as far as the connection.
    result = run(
        client_venv, client_venv / "bin" / "tunedrive", "list", "--url", "http://127.0.0.1:9"
    )
    assert result.returncode == 1
    assert "cannot reach the tunedrive service" in " ".join(result.stderr.split())

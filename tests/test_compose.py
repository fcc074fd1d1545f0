"""docker-compose.yml and the Dockerfile, checked against what the code reads (Docker does not
run on these machines, so the file is parsed and its parts cross-checked)."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml

from tests.api.live import ROOT
from tuner.core.settings import Settings

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DATABASE_URL = r"postgresql://(\w+):\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/(\w+)"
SETTING_NAMES = {f"TUNEDRIVE_{name.upper()}" for name in Settings.model_fields}


def command(service: str) -> list[str]:
    return shlex.split(" ".join(str(SERVICES[service]["command"]).split()))


def option(args: list[str], name: str) -> str:
    return next(a.split("=", 1)[1] for a in args if a.startswith(f"--{name}="))


def test_the_services_are_all_there() -> None:
    assert {"postgres", "ray-head", "ray-worker", "ray-gpu-worker", "api"} <= set(SERVICES)
    assert SERVICES["ray-gpu-worker"]["profiles"] == ["gpu"]


@pytest.mark.parametrize("service", ["ray-head", "ray-worker", "ray-gpu-worker", "api"])
def test_every_tunedrive_variable_is_a_real_setting(service: str) -> None:
    names = {k for k in SERVICES[service]["environment"] if k.startswith("TUNEDRIVE_")}
    assert names and names <= SETTING_NAMES, names - SETTING_NAMES


def test_database_url_points_at_the_postgres_service_with_no_literal_password() -> None:
    postgres = SERVICES["postgres"]["environment"]
    for service in ("ray-head", "ray-worker", "api"):
        url = SERVICES[service]["environment"]["TUNEDRIVE_DATABASE_URL"]
        match = re.fullmatch(
            r"postgresql://(\w+):\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/(\w+)", url
        )
        assert match, url  # the password is a reference to .env, never a value in the file
        assert match.groups() == (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"])
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_secrets_come_from_the_environment_only() -> None:
    api = SERVICES["api"]["environment"]
    assert api["TUNEDRIVE_API_TOKENS"].startswith("${TUNEDRIVE_API_TOKENS:?")
    for service in ("ray-head", "ray-worker", "api"):
        assert SERVICES[service]["environment"]["RAY_AUTH_TOKEN"].startswith("${RAY_AUTH_TOKEN:?")
    assert not re.search(r"(?im)^\s*(ENV|ARG)\s+.*(PASSWORD|TOKEN|SECRET)", DOCKERFILE)
    assert re.search(r"(?m)^USER\s+tunedrive", DOCKERFILE)  # not root


def test_the_api_reaches_the_ray_heads_job_api_and_listens_where_published() -> None:
    head = command("ray-head")
    assert "--head" in head
    job_address = SERVICES["api"]["environment"]["TUNEDRIVE_RAY_JOB_ADDRESS"]
    assert job_address == f"http://ray-head:{option(head, 'dashboard-port')}"
    assert option(head, "dashboard-host") == "0.0.0.0"
    port = option(head, "port")
    for worker in ("ray-worker", "ray-gpu-worker"):
        assert option(command(worker), "address") == f"ray-head:{port}"
    api = command("api")
    assert api[:2] == ["tunedrive", "serve"]
    listen = api[api.index("--port") + 1]
    assert SERVICES["api"]["ports"] == [f"{listen}:{listen}"]
    assert api[api.index("--host") + 1] == "0.0.0.0"  # allowed: tokens are required above
    assert f"EXPOSE {listen}" in DOCKERFILE


def test_storage_is_shared_by_the_api_and_every_node() -> None:
    declared = set(COMPOSE["volumes"])
    for service in ("ray-head", "ray-worker", "ray-gpu-worker", "api"):
        mounts = dict(v.split(":", 1) for v in SERVICES[service]["volumes"])
        assert set(mounts) <= declared
        storage = SERVICES[service]["environment"]["TUNEDRIVE_STORAGE_PATH"]
        assert any(storage.startswith(target) for target in mounts.values()), service
    assert SERVICES["postgres"]["volumes"][0].split(":")[0] in declared  # data survives restarts


def test_health_checks_and_startup_order() -> None:
    for service in ("postgres", "ray-head", "api"):
        assert SERVICES[service]["healthcheck"]["test"][0] == "CMD"
    healthy = {name for name, s in SERVICES.items() if "healthcheck" in s}
    for name, service in SERVICES.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in SERVICES, (name, dependency)
            if condition["condition"] == "service_healthy":
                assert dependency in healthy, (name, dependency)
    assert SERVICES["api"]["healthcheck"]["test"][-1].endswith("/api/health")


def test_workers_scale_and_the_gpu_worker_reserves_a_gpu() -> None:
    worker = SERVICES["ray-worker"]
    assert "container_name" not in worker and "ports" not in worker  # `--scale` needs neither
    devices = SERVICES["ray-gpu-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"] and devices[0]["driver"] == "nvidia"
    assert option(command("ray-gpu-worker"), "num-gpus") == "1"


def test_ray_commands_use_options_ray_start_has() -> None:
    from ray.scripts.scripts import start

    known = {opt for p in start.params for opt in p.opts}
    for service in ("ray-head", "ray-worker", "ray-gpu-worker"):
        used = {a.split("=", 1)[0] for a in command(service)[2:] if a.startswith("--")}
        assert used <= known, used - known

"""What the nodes runs land on can provide, so that impossible per-run resources are refused at
submission instead of waiting for the whole duration with nothing run.

Embedded, the node is this machine. On a cluster the nodes come from Ray's state API through
the dashboard address (``TUNEDRIVE_RAY_JOB_ADDRESS``). A cluster that grows on demand
(``TUNEDRIVE_AUTOSCALING=1``) is not judged by today's nodes: its experiments wait a bounded
time for a first run instead (``TUNEDRIVE_RESOURCE_WAIT_MINUTES``) and then fail with the reason.
"""

from __future__ import annotations

import glob
import logging
import os
import time
from dataclasses import dataclass

from tuner.core.settings import Settings
from tuner.core.spec import ExperimentSpec
from tuner.errors import FieldProblem, SpecError

log = logging.getLogger("tunedrive.capacity")
CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, list[Node]]] = {}


@dataclass(frozen=True)
class Node:
    cpus: float
    gpus: float


def this_machine() -> list[Node]:
    gpus = len(glob.glob("/dev/nvidia[0-9]*"))  # what Ray would find here, without loading it
    return [Node(cpus=float(os.cpu_count() or 1), gpus=float(gpus))]


def cluster_nodes(dashboard_address: str) -> list[Node]:
    from ray.util.state import list_nodes

    alive = list_nodes(address=dashboard_address, filters=[("state", "=", "ALIVE")], detail=True)
    return [
        Node(
            cpus=float(node.resources_total.get("CPU", 0)),
            gpus=float(node.resources_total.get("GPU", 0)),
        )
        for node in alive
    ]


def known_nodes(settings: Settings) -> list[Node] | None:
    """The nodes runs can land on, or None where they cannot be known (autoscaling, or a
    cluster without a dashboard address to ask)."""
    if settings.autoscaling:
        return None
    if settings.ray_address is None:
        return this_machine()
    if settings.ray_job_address is None:
        return None
    cached = _cache.get(settings.ray_job_address)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        nodes = cluster_nodes(settings.ray_job_address)
    except Exception as error:  # an unreachable dashboard must not refuse every submission
        log.warning("cannot list the cluster's nodes (%s); resources not checked", error)
        return None
    _cache[settings.ray_job_address] = (time.monotonic(), nodes)
    return nodes


def check_resources(spec: ExperimentSpec, nodes: list[Node] | None, where: str) -> None:
    """Refuses per-run resources that no single node can provide."""
    if nodes is None:
        return
    wanted = spec.resources
    if any(n.cpus >= wanted.cpu and n.gpus >= wanted.gpu for n in nodes):
        return
    most_cpus = max((n.cpus for n in nodes), default=0)
    most_gpus = max((n.gpus for n in nodes), default=0)
    field, asked, largest, unit = (
        ("resources.gpu", wanted.gpu, most_gpus, "GPUs")
        if wanted.gpu > most_gpus
        else ("resources.cpu", wanted.cpu, most_cpus, "CPUs")
    )
    raise SpecError(
        [
            FieldProblem(
                field,
                f"{asked:g} per run, and no node of {where} has that many {unit} (the largest "
                f"has {largest:g}); ask for less, or set TUNEDRIVE_AUTOSCALING=1 if nodes will "
                "join the cluster",
            )
        ]
    )

"""What a driver learns from runs that already finished: the policy's histories after a
restart, and the sampler's history when an experiment is extended or warm-started."""

from __future__ import annotations

from typing import Any

from tuner.core.spec import ExperimentSpec
from tuner.engine.store_link import StoreLink
from tuner.store import Store, scored_runs


def warm_start_runs(spec: ExperimentSpec, store: Store) -> list[tuple[dict[str, Any], float]]:
    """The finished runs of the experiments this one warm-starts from (DESIGN §5)."""
    sources = spec.warm_start.from_ if spec.warm_start else []
    return [run for source in sources for run in scored_runs(store.list_runs(source))]


class StoredHistories:
    """Primary-metric histories from the store, for a scheduler resumed after a restart."""

    def __init__(self, link: StoreLink) -> None:
        self.link = link

    def __call__(self) -> tuple[dict[str, list[float]], set[str]]:
        return self.link.store.primary_histories(self.link.experiment_id)

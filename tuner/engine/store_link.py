"""The driver's store and lease, as its Ray Tune callbacks, stopper and scheduler hold them.

Ray Tune pickles those into its experiment checkpoint, from which a restarted driver resumes.
A link pickles to its experiment id alone: no URL travels (it may hold a password), and an
unpickled link reconnects from the environment's settings and takes the lease generation of
the driver that unpickled it (a restarted driver holds a newer one than the checkpoint's).
"""

from __future__ import annotations

from typing import Any

from tuner.core.settings import Settings
from tuner.store import Store

# The lease each experiment driven in this process holds, set before Ray Tune restores.
CURRENT_LEASES: dict[str, int] = {}


class StoreLink:
    def __init__(
        self, experiment_id: str, generation: int | None, store: Store | None = None
    ) -> None:
        self.experiment_id = experiment_id
        self.generation = generation
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(Settings().resolved_database_url, migrate=False)
        return self._store

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_relink, (self.experiment_id,))


def _relink(experiment_id: str) -> StoreLink:
    return StoreLink(experiment_id, CURRENT_LEASES.get(experiment_id))

"""The driver's store and lease, as its Ray Tune callbacks, stopper and scheduler hold them.

Ray Tune pickles those into its experiment checkpoint, from which a restarted driver resumes.
A link pickles to its experiment id alone: no URL travels (it may hold a password), and an
unpickled link reconnects from the environment's settings and takes the lease generation of
the driver that unpickled it (a restarted driver holds a newer one than the checkpoint's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuner.core.settings import Settings
from tuner.engine.journal import StoreWriter, with_retries
from tuner.store import Store

# The lease each experiment driven in this process holds, and the settings it is driven with
# (else the environment's), set before Ray Tune restores.
CURRENT_LEASES: dict[str, int] = {}
CURRENT_SETTINGS: dict[str, Settings] = {}
# The one writer of each experiment driven in this process: the heartbeat reads its state.
WRITERS: dict[tuple[str, int | None], StoreWriter] = {}


def journal_path(settings: Settings, experiment_id: str) -> Path:
    """Where a driver journals what it could not write, beside its Ray checkpoints."""
    return settings.resolved_storage_path / "_ray" / f"journal-{experiment_id}.jsonl"


class StoreLink:
    def __init__(
        self,
        experiment_id: str,
        generation: int | None,
        store: Store | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.experiment_id = experiment_id
        self.generation = generation
        self._store = store
        self._settings = settings
        self._writer: StoreWriter | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings()
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.settings.resolved_database_url, migrate=False)
        return self._store

    @property
    def writer(self) -> StoreWriter:
        """The driver's bounded, journaling writes (one per driver process)."""
        if self._writer is None:
            self._writer = WRITERS.setdefault(
                (self.experiment_id, self.generation),
                StoreWriter(
                    self.store,
                    self.experiment_id,
                    self.generation,
                    journal_path(self.settings, self.experiment_id),
                    self.settings.store_retry_seconds,
                ),
            )
        return self._writer

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_relink, (self.experiment_id,))


class StoreNumbers:
    """Hands each trial a searcher draws its run number from the store (DESIGN §5); pickled
    with the searcher into Ray's checkpoint, it relinks as the link does."""

    def __init__(self, link: StoreLink) -> None:
        self.link = link

    def __call__(self, trial_id: str) -> int:
        link = self.link
        return with_retries(
            lambda: link.store.reserve_run(link.experiment_id, trial_id, link.generation),
            link.settings.store_retry_seconds,
            f"experiment {link.experiment_id}: reserving a run number",
        )


def _relink(experiment_id: str) -> StoreLink:
    return StoreLink(
        experiment_id,
        CURRENT_LEASES.get(experiment_id),
        settings=CURRENT_SETTINGS.get(experiment_id),
    )

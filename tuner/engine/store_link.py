"""The driver's store as its Ray Tune callbacks, stopper and scheduler hold it.

Ray Tune pickles those into its experiment checkpoint, from which a restarted driver resumes.
The link pickles to nothing but itself: no URL travels (it may hold a password), and an
unpickled link reconnects from the environment's settings on first use.
"""

from __future__ import annotations

from typing import Any

from tuner.core.settings import Settings
from tuner.store import Store


class StoreLink:
    def __init__(self, store: Store | None = None) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(Settings().resolved_database_url, migrate=False)
        return self._store

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (StoreLink, ())

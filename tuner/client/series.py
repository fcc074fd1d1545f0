"""A panel run's results per series: the wire record and the SDK's call for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from tuner.client.schemas import WireModel


class SeriesResults(WireModel):
    """One row per series of a panel, best skill first: ``series``, ``test_<m>``,
    ``baseline`` (that series' own), ``baseline_test_<m>``, ``baseline_val_<m>``, ``skill``."""

    run_id: str
    count: int
    items: list[dict[str, Any]] = Field(default_factory=list)


class SeriesCalls:
    """Mixed into :class:`tuner.client.Client`, whose HTTP helpers these use."""

    _read: Callable[..., Any]

    def run_series(self, run_id: str) -> SeriesResults:
        """A panel run's figures per series (404 for a run on one series)."""
        return SeriesResults.from_json(self._read(f"/api/runs/{run_id}/series"))

    def run_series_frame(self, run_id: str) -> Any:
        """The same as a pandas DataFrame, one row per series (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "run_series_frame needs pandas (pip install pandas); run_series gives the rows"
            ) from None
        return pd.DataFrame(self.run_series(run_id).items)

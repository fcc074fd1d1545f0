"""A refit (DESIGN §5): a finished run's configuration trained again on more of its data.

The driver hands the trainable a :class:`Refit` in the run's config under ``REFIT_KEY``; the
trainable reads it from ``RunContext.refit``. It trains on training plus validation (and the
test period with ``include_test``) for the source run's best number of epochs (one per member
of a trial group), with the source's seed, and keeps the source's interval calibration: once
validation is trained on, its residuals are no longer out of sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

REFIT_KEY = "_refit"


@dataclass(frozen=True)
class Refit:
    source: str  # the run refitted (its id)
    source_number: int
    seed: int | None
    epochs: tuple[int, ...]  # the source's best epoch, one per member of a trial group
    include_test: bool
    source_dir: str  # the source's run folder: its calibration is kept

    def to_config(self) -> dict[str, Any]:
        return {**asdict(self), "epochs": list(self.epochs)}

    @classmethod
    def from_config(cls, value: Mapping[str, Any]) -> Refit:
        return cls(**{**value, "epochs": tuple(int(e) for e in value["epochs"])})

    def stored(self) -> dict[str, Any]:
        """What the refit run's row keeps of it (``runs.refit``)."""
        return {
            "include_test": self.include_test,
            "epochs": list(self.epochs),
            "source_number": self.source_number,
        }


def source_epochs(final_metrics: Mapping[str, Any], repeats: int) -> tuple[int, ...]:
    """The source's best epochs: each seed's on the last fold of a trial group (the fold that
    trained on the most), else the run's one best epoch."""
    members = final_metrics.get("member_best_epochs")
    if repeats > 1 and isinstance(members, list) and len(members) >= repeats:
        return tuple(int(e) for e in members[-repeats:])
    return (int(final_metrics.get("best_epoch") or 0),)

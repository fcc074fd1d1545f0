"""The data entry point the trainable catalog names: a built-in or an uploaded series, split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainables.datasets import Series, ensure_gefcom2014, read_energy_csv, synthetic_series
from trainables.uploaded import apply_split, read_uploaded


def load_for_tuning(dataset: str, settings: Any, options: dict[str, Any] | None = None) -> Series:
    """``options`` carries the spec's ``target`` and ``split`` (required for uploads)."""
    options = options or {}
    if dataset == "synthetic":
        series = synthetic_series()
    elif dataset == "gefcom2014":
        series = read_energy_csv(ensure_gefcom2014(Path(settings.resolved_data_dir)))
    else:
        return read_uploaded(dataset, settings, options.get("target"), options.get("split"))
    return apply_split(series, options["split"]) if options.get("split") else series

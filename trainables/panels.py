"""Panels: one global model over many series (DESIGN §6.1, §6.3).

Each series is split, scaled, windowed and given its own baseline on its own; the run's windows
are those of every series, stacked, and each window knows its series (``Windows.member``) so
that forecasts are unscaled with that series' scaler. Every measure is taken per series and the
run reports their mean; its skill is 1 − mean(test_m)/mean(baseline_test_m), beside the share
of series whose model beats its own baseline.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from trainables.datasets import Panel, Series
from trainables.evaluation import Evaluation, primary_measure
from trainables.gathered import Gathered
from trainables.intervals import QUANTILES
from trainables.scoring import measure, skill
from trainables.windows import Prepared, Windows
from tuner.core.results import SERIES_RESULTS

TIE = 1e-6  # a skill this small is float noise, not a win

__all__ = ["SERIES_RESULTS", "PanelEvaluation", "stack", "write_series_results"]


def stack(panel: Panel, parts: list[Prepared]) -> Prepared:
    """One :class:`Prepared` over every series' windows, none of them materialised: the
    series' scaled features are stacked, and each window is gathered from them by its origin
    (a stacked row) when a batch needs it (:mod:`trainables.gathered`)."""
    starts = np.cumsum([0] + [len(p.series) for p in parts[:-1]])
    features = np.concatenate([p.features for p in parts])
    T, horizon, first = parts[0].T, parts[0].horizon, parts[0]
    ahead = np.arange(1, horizon + 1)
    target = features[:, 0]
    known = features[:, list(first.known_ahead)] if first.known_ahead else None

    def joined(kind: str) -> Windows:
        own = [getattr(p, kind) for p in parts]
        origins = np.concatenate([w.origins + start for w, start in zip(own, starts, strict=True)])
        member = np.concatenate([np.full(len(w), i, dtype=np.int32) for i, w in enumerate(own)])
        return Windows(
            x=Gathered(features, origins, np.arange(-T + 1, 1)),  # type: ignore[arg-type]
            y=Gathered(target, origins, ahead),  # type: ignore[arg-type]
            origins=origins,
            future=None if known is None else Gathered(known, origins, ahead),  # type: ignore[arg-type]
            # The baseline's lag is each series' own season: small (n, horizon), kept as is.
            base=None if own[0].base is None else np.concatenate([w.base for w in own]),
            previous=(
                None if own[0].previous is None else Gathered(target, origins, ahead - 1)  # type: ignore[arg-type]
            ),
            member=member,
        )

    members = [p.series for p in parts]
    series = Series(
        name=panel.name,
        timestamps=np.concatenate([s.timestamps for s in members]),
        target=np.concatenate([s.target for s in members]),
        covariates=np.concatenate([s.covariates for s in members]),
        covariate_names=members[0].covariate_names,
        future_covariates=members[0].future_covariates,
        frequency=members[0].frequency,
        target_name=members[0].target_name,
    )
    return replace(
        first,
        series=series,
        features=features,
        train_rows=slice(0, 0),  # each series has its own; see ``member_scalers``
        train=joined("train"),
        valid=joined("valid"),
        test=joined("test"),
        member_scalers=tuple(p.load_scaler for p in parts),
        member_names=tuple(s.name for s in members),
        member_covariate_scalers=tuple(p.covariate_scalers for p in parts),
    )


@dataclass(frozen=True)
class PanelEvaluation:
    """Each series' :class:`Evaluation`, and the mean over series of every measure."""

    parts: tuple[Evaluation, ...]
    names: tuple[str, ...]
    measures: tuple[str, ...]
    primary: str

    @classmethod
    def of(cls, parts: list[Evaluation], names: list[str], primary_metric: str | None) -> Any:
        # A measure is reported only where every series allows it (MAPE: no zeros anywhere).
        measures = tuple(m for m in parts[0].measures if all(m in p.measures for p in parts))
        return cls(tuple(parts), tuple(names), measures, primary_measure(primary_metric, measures))

    @property
    def actual_valid(self) -> np.ndarray:
        return np.concatenate([p.actual_valid for p in self.parts])

    @property
    def actual_test(self) -> np.ndarray:
        return np.concatenate([p.actual_test for p in self.parts])

    @property
    def baseline_valid(self) -> np.ndarray:
        return np.concatenate([p.baseline_valid for p in self.parts])

    @property
    def baseline(self) -> str:
        return "each series' own baseline"

    def _split(self, predicted: np.ndarray, kind: str) -> list[np.ndarray]:
        sizes = [len(getattr(p, f"actual_{kind}")) for p in self.parts]
        return np.split(predicted, np.cumsum(sizes)[:-1])

    def calibrate(self, predicted_valid: np.ndarray, spread: Any = None) -> list:
        """Each series' calibration, from its own validation residuals."""
        pieces = self._each(predicted_valid, spread, "valid")
        return [p.calibrate(f, w) for p, (f, w) in zip(self.parts, pieces, strict=True)]

    def with_test(self, calibrations: list, predicted: np.ndarray, spread: Any = None) -> list:
        pieces = self._each(predicted, spread, "test")
        return [
            p.with_test(c, f, w)
            for p, c, (f, w) in zip(self.parts, calibrations, pieces, strict=True)
        ]

    def bands(
        self,
        predicted: np.ndarray,
        calibrations: list,
        quantiles: Sequence[float],
        spread: Any = None,
    ) -> Any:
        """Each series' quantile forecasts, in the order of its test windows."""
        pieces = self._each(predicted, spread, "test")
        return np.concatenate(
            [
                p.bands(f, c, quantiles, w)
                for p, c, (f, w) in zip(self.parts, calibrations, pieces, strict=True)
            ]
        )

    def _each(self, predicted: np.ndarray, spread: Any, kind: str) -> list[tuple[Any, Any]]:
        """Each series' forecasts, with its share of a trial group's spread if there is one."""
        spreads = self._split(spread, kind) if spread is not None else [None] * len(self.parts)
        return list(zip(self._split(predicted, kind), spreads, strict=True))

    def validation(self, predicted: np.ndarray) -> dict[str, float]:
        """``val_<m>``: each measure's mean over series."""
        per_series = [p.validation(f) for p, f in zip(self.parts, self._split(predicted, "valid"),
                                                      strict=True)]
        return {f"val_{m}": _mean([s[f"val_{m}"] for s in per_series]) for m in self.measures}

    def test(
        self,
        predicted: np.ndarray,
        calibrations: list | None = None,
        quantiles: Sequence[float] = QUANTILES,
        spread: Any = None,
    ) -> dict[str, Any]:
        """The means over series, the aggregated skill and the share of series that beat
        their own baseline; ``series`` holds each one's own figures."""
        rows = []
        pieces = self._each(predicted, spread, "test")
        for i, (name, part, (mine, width)) in enumerate(
            zip(self.names, self.parts, pieces, strict=True)
        ):
            own = part.test(
                mine, None if calibrations is None else calibrations[i], quantiles, width
            )
            rows.append({"series": name, **{k: own[k] for k in _row_fields(own)}})
        # Only what every series has (no MAPE where any series has zeros), in one order.
        common = [k for k in rows[0] if all(k in r for r in rows)]
        rows = [{k: r[k] for k in common} for r in rows]
        figures = [k for k in common if k not in ("series", "baseline", "skill")]
        result: dict[str, Any] = {k: _mean([r[k] for r in rows]) for k in figures}
        p = self.primary
        by_step = [measure(p, f, part.actual_test, part.scale, axis=0)
                   for part, f in zip(self.parts, self._split(predicted, "test"), strict=True)]
        # Beating by float noise is a tie: a residual network left at zero is its baseline.
        beats = [r["skill"] is not None and r["skill"] > TIE for r in rows]
        return {
            **result,
            f"test_{p}_by_horizon": [round(float(v), 6) for v in np.nanmean(by_step, axis=0)],
            "baseline": self.baseline,
            "skill": skill(result[f"test_{p}"], result[f"baseline_test_{p}"]),
            "skill_measure": p,
            "series_count": len(rows),
            "series_beating_baseline": round(sum(beats) / len(beats), 6),
            "series": rows,
        }


def _row_fields(own: dict[str, Any]) -> list[str]:
    """A series' figures: every test and baseline number (not the by-horizon lists)."""
    prefixes = ("test_", "baseline_test_", "baseline_val_")
    names = [k for k, v in own.items() if k.startswith(prefixes) and isinstance(v, float)]
    return [*names, "baseline", "skill"]


def _mean(values: list[float]) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def write_series_results(path: Path, rows: list[dict[str, Any]]) -> None:
    """One row per series, best skill first: what the API and the dashboard's table read."""
    ordered = sorted(rows, key=lambda r: -(r["skill"] if r["skill"] is not None else -math.inf))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ordered[0]))
        writer.writeheader()
        writer.writerows(ordered)

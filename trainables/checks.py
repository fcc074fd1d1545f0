"""The built-in forecasters' own spec checks (their ``check_spec`` and ``check_data``).

At parsing: the built-in data sets' one target and covariate. At submission: the data set
exists, has the target column, and every run's input window and horizon fit each split.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from trainables.measures import PERCENT_MEASURES
from trainables.splits import BUILTIN_SHAPES, SeriesShape, split_rows
from tuner.core.uploads import MIXED_SIGNS
from tuner.errors import FieldProblem, NotFoundError, SpecError

BUILTIN_DATASETS = ("gefcom2014", "synthetic")
DEFAULT_DATASET = "gefcom2014"


def check_spec(spec: Any) -> list[tuple[str, str]]:
    """The built-in data sets have one target, ``load``, and one covariate, ``temp``."""
    dataset = spec.dataset or DEFAULT_DATASET
    problems: list[tuple[str, str]] = []
    if dataset in BUILTIN_DATASETS and spec.target not in (None, "load"):
        problems.append(("target", f"{dataset} has one target, 'load'"))
    unknown = set(spec.future_covariates) - {"temp"}
    if dataset in BUILTIN_DATASETS and unknown:
        problems.append(
            ("future_covariates", f"{dataset} has one covariate, 'temp', not {unknown}")
        )
    return problems


def check_data(spec: Any, store: Any, settings: Any) -> None:
    check_spec_dataset(spec, store)


def check_spec_dataset(spec: Any, store: Any) -> None:
    """At submission: the data set exists, has the target column, and every run's input
    window and horizon fit each of its splits."""
    if (spec.dataset or DEFAULT_DATASET) in BUILTIN_DATASETS:
        shapes = [BUILTIN_SHAPES[spec.dataset or DEFAULT_DATASET]]
    else:
        record = _uploaded(spec, store)
        check_percent_measure(spec, (record.column_signs or {}).get(str(spec.target)))
        shapes = [
            SeriesShape(datetime.fromisoformat(start), rows, record.frequency, name=name)
            for name, start, rows in record.series or ()
        ] or [SeriesShape(record.start, record.rows, record.frequency)]
        if record.series and spec.evaluation.folds > 1:
            problem = (
                f"rolling-origin folds are not offered on a panel ({record.name} holds "
                f"{len(record.series)} series); use repeats, which every panel run honours"
            )
            raise SpecError([FieldProblem("evaluation.folds", problem)])
    # The shortest series first: the one a window is likeliest not to fit.
    for shape in sorted(shapes, key=lambda s: s.rows):
        check_windows_fit(spec, shape)


def check_percent_measure(spec: Any, sign: str | None) -> None:
    """MAPE and sMAPE divide by the target: refused for one with zeros or sign changes."""
    measure = spec.primary_metric.name.removeprefix("val_")
    if sign == MIXED_SIGNS and measure in PERCENT_MEASURES:
        raise SpecError(
            [
                FieldProblem(
                    "primary_metric.name",
                    f"{spec.primary_metric.name} divides by the target, and {spec.target!r} has "
                    "zeros or changes sign; use val_mase (scale-free), val_mae or val_rmse",
                )
            ]
        )


def check_windows_fit(spec: Any, shape: SeriesShape) -> None:
    """DESIGN §2: T + horizon must fit the data set's shortest split (the largest T and
    horizon any run can get, and the latest train_start)."""
    T, T_field = _largest(spec, "T")
    horizon, horizon_field = _largest(spec, "horizon")
    train_start = _latest_date(spec, "train_start")
    split = spec.split.model_dump(mode="json") if spec.split else None
    room = int(T or 0) + int(horizon or 0)
    rows = split_rows(shape, split, train_start, room)
    shortest = min(rows, key=rows.__getitem__)
    folds = spec.evaluation.folds
    if horizon is not None and folds > 1 and "validation" in rows:
        origins = rows["validation"] - int(horizon)  # validation windows, split into folds
        if origins < folds:
            problem = f"{folds} folds need {folds} validation windows; the split has {origins}"
            raise SpecError([FieldProblem("evaluation.folds", problem)])
    if T is None or horizon is None or T + horizon <= rows[shortest]:
        return
    field = T_field if horizon <= T else horizon_field
    where = f"series {shape.name!r} of " if shape.name is not None else ""
    fits = rows[shortest] if split is not None else shape.rows // 3  # default split: a third
    raise SpecError(
        [
            FieldProblem(
                field,
                f"T + horizon = {T:g} + {horizon:g} steps does not fit the {shortest} split of "
                f"{where}{spec.dataset or DEFAULT_DATASET} ({rows[shortest]} steps of "
                f"{shape.frequency}; splits: {', '.join(f'{k} {v}' for k, v in rows.items())});"
                f" keep T + horizon <= {fits}{_largest_T(fits, horizon)}"
                + ("" if split is not None else _split_advice(shape.rows)),
            )
        ]
    )


def _split_advice(rows: int) -> str:
    """A short series' default split already gives validation and test a window each where
    the training period can hold one too; past that, only a shorter window helps."""
    return (
        f" (the default split gives validation and test room for T + horizon each wherever "
        f"the series' {rows} rows hold it three times; a split: of your own cannot do more)"
    )


def _largest(spec: Any, name: str) -> tuple[float | None, str]:
    """The largest value a run can get for a numeric hyperparameter, and the field it is from."""
    if name in spec.search_space:
        field = f"search_space.{name}.{spec.search_space[name].kind}"
    else:
        field = f"fixed.{name}" if name in spec.fixed else name
    return spec.largest(name), field


def _latest_date(spec: Any, name: str) -> date | None:
    if name in spec.search_space:
        values = spec.search_space[name].reach().values or ()
    else:
        values = (spec.fixed.get(name, spec.definition.hyperparameters.get(name)),)
    dates = [date.fromisoformat(str(v)) for v in values if v is not None]
    return max(dates, default=None)


def _uploaded(spec: Any, store: Any) -> Any:
    try:
        record = store.get_dataset(spec.dataset)
    except NotFoundError:
        raise SpecError(
            [
                FieldProblem(
                    "dataset",
                    f"unknown data set {spec.dataset!r}; use {', '.join(BUILTIN_DATASETS)} "
                    "or the id of an uploaded data set (GET /api/datasets)",
                )
            ]
        ) from None
    covariates = [c for c in record.columns if c != spec.target]
    unknown = [c for c in spec.future_covariates if c not in covariates]
    if unknown and spec.target in record.columns:
        raise SpecError(
            [
                FieldProblem(
                    "future_covariates",
                    f"{', '.join(map(repr, unknown))} not a covariate of {record.name}; "
                    f"its covariates: {', '.join(covariates) or 'none'}",
                )
            ]
        )
    if spec.target not in record.columns:
        what = "is required for an uploaded data set" if spec.target is None else "is not a column"
        raise SpecError(
            [
                FieldProblem(
                    "target", f"{what}; columns of {record.name}: {', '.join(record.columns)}"
                )
            ]
        )
    return record


def _largest_T(room: int, horizon: float) -> str:
    """The advice that fixes it in one go: the largest T that fits beside this horizon."""
    largest = room - int(horizon)
    if largest >= 1:
        return f": with horizon {horizon:g}, the largest T that fits is {largest}"
    return f": even T = 1 does not fit beside horizon {horizon:g}; give a shorter horizon or split"

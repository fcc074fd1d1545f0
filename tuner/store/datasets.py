"""Uploaded data sets: the record of a validated CSV (the file lives under storage)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from tuner.errors import ConflictError, NotFoundError
from tuner.store.base import StoreBase, new_id, utcnow
from tuner.store.models import DatasetRow, ExperimentRow
from tuner.store.records import DatasetRecord


class DatasetStore(StoreBase):
    def create_dataset(self, name: str, meta: Any) -> DatasetRecord:
        """Records a validated upload (``meta``: :class:`tuner.core.uploads.ValidatedDataset`)."""
        row = DatasetRow(
            id=new_id(),
            name=name,
            rows=meta.rows,
            columns=meta.columns,
            frequency_seconds=meta.frequency_seconds,
            start=meta.start,
            end=meta.end,
            size_bytes=meta.size_bytes,
            column_signs=meta.column_signs,
            filled_rows=meta.filled_rows,
            frequency=meta.frequency,
            series_column=meta.series_column,
            series_count=len(meta.series) if meta.series else 1,
            series=meta.series,
            sha256=meta.sha256,
            created_at=utcnow(),
        )
        with self._sessions.begin() as session:
            session.add(row)
        return _dataset_record(row)

    def get_dataset(self, dataset_id: str) -> DatasetRecord:
        with self._sessions() as session:
            row = session.get(DatasetRow, dataset_id)
            if row is None:
                raise NotFoundError(f"no data set with id {dataset_id!r}")
            return _dataset_record(row)

    def delete_dataset(self, dataset_id: str) -> None:
        """Deletes the record (its file is the caller's); ConflictError while an experiment
        that is queued or running uses it."""
        with self._sessions.begin() as session:
            if session.get(DatasetRow, dataset_id) is None:
                raise NotFoundError(f"no data set with id {dataset_id!r}")
            users = [
                experiment_id
                for experiment_id, spec in session.execute(
                    select(ExperimentRow.id, ExperimentRow.spec).where(
                        ExperimentRow.status.in_(("queued", "running"))
                    )
                )
                if dataset_id in _datasets_named(spec or {})
            ]
            if users:
                raise ConflictError(
                    f"data set {dataset_id} is in use by experiment {', '.join(users)}; cancel "
                    "it or wait for it to end, then delete the data set"
                )
            session.execute(delete(DatasetRow).where(DatasetRow.id == dataset_id))

    def list_datasets(self, limit: int = 100, offset: int = 0) -> list[DatasetRecord]:
        query = (
            select(DatasetRow).order_by(DatasetRow.created_at.desc()).limit(limit).offset(offset)
        )
        with self._sessions() as session:
            return [_dataset_record(r) for r in session.scalars(query)]


def _dataset_record(row: DatasetRow) -> DatasetRecord:
    return DatasetRecord(**{c.name: getattr(row, c.name) for c in DatasetRow.__table__.columns})


def _datasets_named(spec: dict[str, Any]) -> set[str]:
    """The data sets a stored spec reads: its ``dataset``, and its inputs' (a command trial)."""
    named = {spec.get("dataset")}
    for value in (spec.get("inputs") or {}).values():
        if isinstance(value, dict):
            named.add(value.get("dataset"))
    return {n for n in named if n}

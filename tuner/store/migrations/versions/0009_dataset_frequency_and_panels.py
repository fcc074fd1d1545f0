"""data sets: a calendar frequency (a pandas alias) and panels of many series

Revision ID: 0009
Revises: 0008
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def alias_of(seconds: int, start: datetime) -> str:
    """The alias of a fixed step stored before this revision: a week is anchored on its
    first day's weekday, a day is D, anything shorter is whole minutes or seconds."""
    if seconds % (7 * 86_400) == 0:
        weeks = seconds // (7 * 86_400)
        return f"{weeks if weeks > 1 else ''}W-{_WEEKDAYS[start.weekday()]}"
    for unit, size in (("D", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count if count > 1 else ''}{unit}"
    return f"{seconds}s"


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("frequency", sa.String(40), nullable=False, server_default="h"))
        batch.add_column(sa.Column("series_column", sa.String(200), nullable=True))
        batch.add_column(sa.Column("series_count", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("series", sa.JSON, nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, frequency_seconds, start FROM datasets")).all()
    for dataset_id, seconds, start in rows:
        if isinstance(start, str):  # SQLite hands DateTime back as text here
            start = datetime.fromisoformat(start)
        connection.execute(
            sa.text("UPDATE datasets SET frequency = :alias WHERE id = :id"),
            {"alias": alias_of(int(seconds), start), "id": dataset_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        for column in ("series", "series_count", "series_column", "frequency"):
            batch.drop_column(column)

"""data sets record each column's sign (MAPE is refused for a target with zeros) and how
many rows the upload filled

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("column_signs", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("filled_rows", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("filled_rows")
        batch.drop_column("column_signs")

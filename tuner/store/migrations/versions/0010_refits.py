"""refits: a run may be the refit of another, and an experiment may have one requested

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("refit_of", sa.String(32), nullable=True))
        batch.add_column(sa.Column("refit", sa.JSON, nullable=True))
    with op.batch_alter_table("experiments") as batch:
        batch.add_column(sa.Column("refit_request", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("experiments") as batch:
        batch.drop_column("refit_request")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("refit")
        batch.drop_column("refit_of")

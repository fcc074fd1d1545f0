"""run-state counts per experiment: an index, and counts kept on the experiment row

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_experiment_status", "runs", ["experiment_id", "status"])
    with op.batch_alter_table("experiments") as batch:
        batch.add_column(sa.Column("run_counts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("experiments") as batch:
        batch.drop_column("run_counts")
    op.drop_index("ix_runs_experiment_status", "runs")

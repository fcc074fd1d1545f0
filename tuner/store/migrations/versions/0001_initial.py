"""experiments, runs, metric rows

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("trainable", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stop_reason", sa.Text()),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("goal", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime()),
        sa.Column("claimed_by", sa.String(100)),
        sa.Column("driver_attempts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_experiments_status", "experiments", ["status"])
    op.create_index("ix_experiments_created_at", "experiments", ["created_at"])
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.String(32),
            sa.ForeignKey("experiments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("best_metric", sa.Float()),
        sa.Column("epochs", sa.Integer(), nullable=False),
        sa.Column("stopped_at_interval", sa.Integer()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("error", sa.Text()),
        sa.Column("node", sa.String(200)),
        sa.Column("final_metrics", sa.JSON()),
        sa.Column("artifact_dir", sa.Text()),
    )
    op.create_index("ix_runs_experiment_best", "runs", ["experiment_id", "best_metric"])
    op.create_index("ix_runs_experiment_trial", "runs", ["experiment_id", "trial_id"], unique=True)
    op.create_table(
        "metric_rows",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("primary_value", sa.Float()),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_metric_rows_run_step", "metric_rows", ["run_id", "attempt", "step"])


def downgrade() -> None:
    op.drop_table("metric_rows")
    op.drop_table("runs")
    op.drop_table("experiments")

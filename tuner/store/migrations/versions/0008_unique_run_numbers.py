"""run numbers are unique per experiment (the store hands them out)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Before this revision a restarted driver could store two runs under one number: the later
    # ones (by start, then id) move past the experiment's highest number, in order.
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, experiment_id, number FROM runs ORDER BY experiment_id, started_at, id")
    ).all()
    seen: dict[str, set[int]] = {}
    top: dict[str, int] = {}
    for _, experiment_id, number in rows:
        top[experiment_id] = max(top.get(experiment_id, 0), number)
    for run_id, experiment_id, number in rows:
        numbers = seen.setdefault(experiment_id, set())
        if number in numbers or number < 1:
            top[experiment_id] += 1
            number = top[experiment_id]
            connection.execute(
                sa.text("UPDATE runs SET number = :n WHERE id = :id"), {"n": number, "id": run_id}
            )
        numbers.add(number)
    op.create_index("ix_runs_experiment_number", "runs", ["experiment_id", "number"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_runs_experiment_number", "runs")

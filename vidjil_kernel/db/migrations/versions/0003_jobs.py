"""Jobs: a log and read counts per job, the runner's lease, pre-processed samples.

New jobs start ``pending`` (the jobs layer's first state) instead of
``queued``; jobs already queued stay queued, which the runner also picks up.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vidjil_kernel.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_done", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("progress_total", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("log", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.alter_column("log", server_default=None)
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preprocessed_path", sa.String(length=1024),
                                      nullable=True))
    op.create_table(
        "runner_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("scheduler", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("renewed_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_runner_lease")),
    )


def downgrade() -> None:
    op.drop_table("runner_lease")
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.drop_column("preprocessed_path")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_column("log")
        batch_op.drop_column("progress_total")
        batch_op.drop_column("progress_done")

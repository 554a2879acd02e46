"""Initial schema: accounts, groups and rights, sets and samples, configs, results, jobs,
notifications and the audit log; creates the ``public`` group every account belongs to.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 19:48:18
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

import vidjil_kernel.db.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("created_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_login", vidjil_kernel.db.base.UTCDateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("name", name=op.f("uq_account_name")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("admin_override", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_audit_entry_user_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(
            "ix_audit_entry_record_type_record_id", ["record_type", "record_id"], unique=False
        )

    op.create_table(
        "config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("fuse_parameters", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("classification", sa.String(length=64), nullable=False),
        sa.Column("created_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["account.id"],
            name=op.f("fk_config_creator_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config")),
        sa.UniqueConstraint("name", name=op.f("uq_config_name")),
    )
    lab_group = op.create_table(
        "lab_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("personal_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["lab_group.id"],
            name=op.f("fk_lab_group_parent_id_lab_group"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["personal_user_id"],
            ["account.id"],
            name=op.f("fk_lab_group_personal_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_group")),
        sa.UniqueConstraint("name", name=op.f("uq_lab_group_name")),
        sa.UniqueConstraint("personal_user_id", name=op.f("uq_lab_group_personal_user_id")),
    )
    with op.batch_alter_table("lab_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lab_group_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "preprocess",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["account.id"],
            name=op.f("fk_preprocess_creator_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preprocess")),
        sa.UniqueConstraint("name", name=op.f("uq_preprocess_name")),
    )
    op.create_table(
        "sample_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("id_label", sa.String(length=255), nullable=False),
        sa.Column("info", sa.Text(), nullable=False),
        sa.Column("created_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("run_date", sa.Date(), nullable=True),
        sa.Column("sequencer", sa.String(length=255), nullable=True),
        sa.Column("pcr", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["account.id"],
            name=op.f("fk_sample_set_creator_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_set")),
    )
    with op.batch_alter_table("sample_set", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_set_kind"), ["kind"], unique=False)

    op.create_table(
        "analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["account.id"],
            name=op.f("fk_analysis_author_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["config_id"],
            ["config.id"],
            name=op.f("fk_analysis_config_id_config"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["sample_set.id"],
            name=op.f("fk_analysis_set_id_sample_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis")),
        sa.UniqueConstraint(
            "set_id", "config_id", "version", name=op.f("uq_analysis_set_id_config_id_version")
        ),
    )
    op.create_table(
        "config_access",
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["config_id"],
            ["config.id"],
            name=op.f("fk_config_access_config_id_config"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["lab_group.id"],
            name=op.f("fk_config_access_group_id_lab_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("config_id", "group_id", name=op.f("pk_config_access")),
    )
    with op.batch_alter_table("config_access", schema=None) as batch_op:
        batch_op.create_index(
            "ix_config_access_group_id_config_id", ["group_id", "config_id"], unique=False
        )

    op.create_table(
        "fused_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("fused_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("fused_path", sa.String(length=1024), nullable=True),
        sa.ForeignKeyConstraint(
            ["config_id"],
            ["config.id"],
            name=op.f("fk_fused_result_config_id_config"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["sample_set.id"],
            name=op.f("fk_fused_result_set_id_sample_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fused_result")),
    )
    with op.batch_alter_table("fused_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fused_result_set_id_config_id", ["set_id", "config_id"], unique=False
        )

    op.create_table(
        "group_right",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["lab_group.id"],
            name=op.f("fk_group_right_group_id_lab_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "name", name=op.f("pk_group_right")),
    )
    with op.batch_alter_table("group_right", schema=None) as batch_op:
        batch_op.create_index("ix_group_right_name_group_id", ["name", "group_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("created_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["lab_group.id"],
            name=op.f("fk_membership_group_id_lab_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_membership_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "group_id", name=op.f("pk_membership")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(
            "ix_membership_group_id_user_id", ["group_id", "user_id"], unique=False
        )

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("created_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", vidjil_kernel.db.base.UTCDateTime(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["account.id"],
            name=op.f("fk_notification_author_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["lab_group.id"],
            name=op.f("fk_notification_group_id_lab_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_table(
        "preprocess_access",
        sa.Column("preprocess_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["lab_group.id"],
            name=op.f("fk_preprocess_access_group_id_lab_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["preprocess_id"],
            ["preprocess.id"],
            name=op.f("fk_preprocess_access_preprocess_id_preprocess"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("preprocess_id", "group_id", name=op.f("pk_preprocess_access")),
    )
    with op.batch_alter_table("preprocess_access", schema=None) as batch_op:
        batch_op.create_index(
            "ix_preprocess_access_group_id_preprocess_id",
            ["group_id", "preprocess_id"],
            unique=False,
        )

    op.create_table(
        "sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=512), nullable=False),
        sa.Column("original_name_r2", sa.String(length=512), nullable=True),
        sa.Column("stored_path", sa.String(length=1024), nullable=True),
        sa.Column("stored_path_r2", sa.String(length=1024), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("sampling_date", sa.Date(), nullable=True),
        sa.Column("info", sa.Text(), nullable=False),
        sa.Column("pcr", sa.String(length=255), nullable=False),
        sa.Column("sequencer", sa.String(length=255), nullable=False),
        sa.Column("producer", sa.String(length=255), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("preprocess_id", sa.Integer(), nullable=True),
        sa.Column("preprocess_state", sa.String(length=16), nullable=True),
        sa.Column("from_file_source", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["preprocess_id"],
            ["preprocess.id"],
            name=op.f("fk_sample_preprocess_id_preprocess"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["account.id"],
            name=op.f("fk_sample_uploader_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample")),
    )
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_sha256"), ["sha256"], unique=False)

    op.create_table(
        "set_access",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["lab_group.id"],
            name=op.f("fk_set_access_group_id_lab_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["sample_set.id"],
            name=op.f("fk_set_access_set_id_sample_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("set_id", "group_id", name=op.f("pk_set_access")),
    )
    with op.batch_alter_table("set_access", schema=None) as batch_op:
        batch_op.create_index("ix_set_access_group_id_set_id", ["group_id", "set_id"], unique=False)

    op.create_table(
        "notification_read",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_notification_read_notification_id_notification"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_notification_read_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", "user_id", name=op.f("pk_notification_read")),
    )
    op.create_table(
        "result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("launched_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", vidjil_kernel.db.base.UTCDateTime(), nullable=True),
        sa.Column("launched_by_id", sa.Integer(), nullable=True),
        sa.Column("result_path", sa.String(length=1024), nullable=True),
        sa.Column("log", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["config_id"],
            ["config.id"],
            name=op.f("fk_result_config_id_config"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["launched_by_id"],
            ["account.id"],
            name=op.f("fk_result_launched_by_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["sample.id"],
            name=op.f("fk_result_sample_id_sample"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result")),
    )
    with op.batch_alter_table("result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_result_sample_id_config_id", ["sample_id", "config_id"], unique=False
        )

    op.create_table(
        "set_sample",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["sample.id"],
            name=op.f("fk_set_sample_sample_id_sample"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["sample_set.id"],
            name=op.f("fk_set_sample_set_id_sample_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("set_id", "sample_id", name=op.f("pk_set_sample")),
    )
    with op.batch_alter_table("set_sample", schema=None) as batch_op:
        batch_op.create_index(
            "ix_set_sample_sample_id_set_id", ["sample_id", "set_id"], unique=False
        )

    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=255), nullable=True),
        sa.Column("created_at", vidjil_kernel.db.base.UTCDateTime(), nullable=False),
        sa.Column("started_at", vidjil_kernel.db.base.UTCDateTime(), nullable=True),
        sa.Column("finished_at", vidjil_kernel.db.base.UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", vidjil_kernel.db.base.UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("progress_message", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("set_id", sa.Integer(), nullable=True),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("fused_result_id", sa.Integer(), nullable=True),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fused_result_id"],
            ["fused_result.id"],
            name=op.f("fk_job_fused_result_id_fused_result"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["result_id"], ["result.id"], name=op.f("fk_job_result_id_result"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["sample.id"], name=op.f("fk_job_sample_id_sample"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["sample_set.id"],
            name=op.f("fk_job_set_id_sample_set"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["account.id"], name=op.f("fk_job_user_id_account"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_state_kind", ["state", "kind"], unique=False)

    op.bulk_insert(
        lab_group,
        [
            {
                "name": "public",
                "description": "every account",
                "kind": "public",
                "created_at": dt.datetime.now(dt.UTC),
            }
        ],
    )


def downgrade() -> None:
    # dropping a table drops its indexes (MariaDB refuses to drop those a foreign key needs)
    op.drop_table("job")
    op.drop_table("set_sample")
    op.drop_table("result")
    op.drop_table("notification_read")
    op.drop_table("set_access")
    op.drop_table("sample")
    op.drop_table("preprocess_access")
    op.drop_table("notification")
    op.drop_table("membership")
    op.drop_table("group_right")
    op.drop_table("fused_result")
    op.drop_table("config_access")
    op.drop_table("analysis")
    op.drop_table("sample_set")
    op.drop_table("preprocess")
    op.drop_table("lab_group")
    op.drop_table("config")
    op.drop_table("audit_entry")
    op.drop_table("account")

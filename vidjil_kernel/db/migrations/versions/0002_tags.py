"""Tags: a shared vocabulary of ``#words`` and their links to sets and samples.

Before this revision tags only lived in the info text; searching them meant a
LIKE over every info field.  The upgrade creates the tables and fills them
from the ``#words`` already written in the info of existing sets and samples.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 20:06:40
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tag = op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_tag_name")),
    )
    set_tag = op.create_table(
        "set_tag",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["sample_set.id"],
            name=op.f("fk_set_tag_set_id_sample_set"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_set_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("set_id", "tag_id", name=op.f("pk_set_tag")),
    )
    with op.batch_alter_table("set_tag", schema=None) as batch_op:
        batch_op.create_index("ix_set_tag_tag_id_set_id", ["tag_id", "set_id"], unique=False)

    sample_tag = op.create_table(
        "sample_tag",
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["sample.id"],
            name=op.f("fk_sample_tag_sample_id_sample"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_sample_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sample_id", "tag_id", name=op.f("pk_sample_tag")),
    )
    with op.batch_alter_table("sample_tag", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sample_tag_tag_id_sample_id", ["tag_id", "sample_id"], unique=False
        )

    _tag_existing_records(tag, set_tag, sample_tag)


# the rule of this revision, frozen here: later changes to the services' rule must not
# change what this migration did
TAG_PATTERN = re.compile(r"#(\w[\w-]*)")


def _tags(text: str | None) -> set[str]:
    return {match.lower()[:64] for match in TAG_PATTERN.findall(text or "")}


def _tag_existing_records(tag: sa.Table, set_tag: sa.Table, sample_tag: sa.Table) -> None:
    bind = op.get_bind()
    links: dict[str, list[tuple[int, set[str]]]] = {}
    for table, link in (("sample_set", "set"), ("sample", "sample")):
        rows = bind.execute(sa.text(f"SELECT id, info FROM {table} WHERE info LIKE '%#%'"))
        links[link] = [(row.id, _tags(row.info)) for row in rows]
    names = sorted({name for records in links.values() for _, tags in records for name in tags})
    if not names:
        return
    op.bulk_insert(tag, [{"name": name} for name in names])
    ids = dict(bind.execute(sa.select(tag.c.name, tag.c.id)).all())
    for table, column, records in (
        (set_tag, "set_id", links["set"]),
        (sample_tag, "sample_id", links["sample"]),
    ):
        rows = [{column: record, "tag_id": ids[name]} for record, tags in records for name in tags]
        if rows:
            op.bulk_insert(table, rows)


def downgrade() -> None:
    # dropping a table drops its indexes (MariaDB refuses to drop those a foreign key needs)
    op.drop_table("sample_tag")
    op.drop_table("set_tag")
    op.drop_table("tag")

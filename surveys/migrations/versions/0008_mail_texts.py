"""Mail texts: a programme's own wording of the invitation and the reminder, per language.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.CheckConstraint(
            "kind IN ('invitation', 'reminder')", name=op.f("ck_mail_texts_kind")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_mail_texts_programme_id_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_texts")),
        sa.UniqueConstraint(
            "programme_id", "kind", "language", name=op.f("uq_mail_texts_programme_id")
        ),
    )
    with op.batch_alter_table("mail_texts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_texts_programme_id"), ["programme_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("mail_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_texts_programme_id"))
    op.drop_table("mail_texts")

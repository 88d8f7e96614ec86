"""CHECK constraints on roles and statuses: the database refuses a value outside the list.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-16 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (table, column, codes) as the models declare them at this revision (surveys/models.py:
# USER_ROLES, ROLES, STATUSES); written out, since a migration must not change later.
CHECKS = (
    ("users", "role", ("admin", "analyst")),
    ("participants", "role", ("mentee", "mentor")),
    ("participants", "status", ("active", "completed", "failed", "withdrawn")),
    ("status_changes", "status", ("active", "completed", "failed", "withdrawn")),
)


def _in(column, codes):
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


def upgrade():
    # A row outside the list would make the constraint fail with the database's own
    # message; say which table and values instead, so an operator knows what to fix.
    connection = op.get_bind()
    for table, column, codes in CHECKS:
        found = connection.execute(
            sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE NOT ({_in(column, codes)})")
        ).scalars()
        unknown = sorted(str(value) for value in found)
        if unknown:
            raise RuntimeError(
                f"{table}.{column} holds {', '.join(unknown)}; change those rows to one of "
                f"{', '.join(codes)} before upgrading."
            )
    for table in ("users", "participants", "status_changes"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, column, codes in CHECKS:
                if name == table:
                    batch_op.create_check_constraint(
                        batch_op.f(f"ck_{table}_{column}"), _in(column, codes)
                    )


def downgrade():
    for table in ("status_changes", "participants", "users"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, column, _codes in CHECKS:
                if name == table:
                    batch_op.drop_constraint(batch_op.f(f"ck_{table}_{column}"), type_="check")

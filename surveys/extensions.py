"""Flask extensions, created once and bound to the app in `create_app`; and the two rules
that make a deleted row (an erasure, a purged draft) gone from the database's files."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, scoped_session

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    # Named constraints let Alembic alter them later, SQLite included.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    class Model(Base, _FlaskModel):
        """`db.Model` as mypy can see it: made at run time, so not a class mypy follows
        (python/mypy#8603); our declarative base with Flask-SQLAlchemy's model."""

else:
    Model = db.Model
babel = Babel()
csrf = CSRFProtect()
# Limits are set per view; storage comes from RATELIMIT_STORAGE_URI (memory or Redis).
limiter = Limiter(key_func=get_remote_address)


# --- deleted means gone -----------------------------------------------------------------


@event.listens_for(Engine, "connect")
def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: overwrite deleted content with zeros instead of leaving it in free pages.

    Whether that is the default depends on how SQLite was compiled (Debian's build says
    yes, SQLite's own sources say no), so every connection turns it on.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA secure_delete=ON")


VACUUM_AFTER_COMMIT = "pathways.vacuum_after_commit"


def vacuum_after_commit(session: Session | scoped_session[Any], tables: Iterable[str]) -> None:
    """On PostgreSQL, VACUUM these tables once the session's transaction has committed.

    PostgreSQL keeps deleted rows as dead tuples, readable in the data files, until a
    vacuum reclaims them; VACUUM cannot run inside a transaction, so it runs on a
    connection of its own after the commit. Nothing happens on a rollback, or on SQLite
    (see `_secure_delete`).
    """
    session.info.setdefault(VACUUM_AFTER_COMMIT, set()).update(tables)


@event.listens_for(Session, "after_commit")
def _vacuum(session: Session) -> None:
    tables = session.info.pop(VACUUM_AFTER_COMMIT, None)
    if not tables:
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "postgresql":
        return
    quote = engine.dialect.identifier_preparer.quote
    # INDEX_CLEANUP ON: with few dead rows PostgreSQL may skip the indexes, and an index
    # on contacts.email holds the address itself.
    statement = f"VACUUM (INDEX_CLEANUP ON) {', '.join(quote(t) for t in sorted(tables))}"
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(statement)
    except SQLAlchemyError as error:
        # The deletion has committed; autovacuum reclaims the rows later.
        log.warning("%s failed after a committed deletion: %s", statement, error)


@event.listens_for(Session, "after_transaction_end")
def _forget_vacuum(session: Session, transaction: SessionTransaction) -> None:
    # A rolled-back or closed transaction deleted nothing: its request must not carry over.
    if transaction.parent is None:
        session.info.pop(VACUUM_AFTER_COMMIT, None)

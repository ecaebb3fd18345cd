"""SQLite, the embedded default: its pragmas, and write transactions that begin IMMEDIATE.

SQLite has one writer at a time. A plain (deferred) transaction that has read and then writes
must upgrade its lock; when another connection wrote in between, the upgrade fails at once with
"database is locked" (SQLITE_BUSY_SNAPSHOT under WAL) and the busy timeout never applies. Every
request reads before it writes (the signed-in user, the project), so simultaneous claims answered
500. A transaction that begins IMMEDIATE takes the write lock first, waiting for it under the busy
timeout, and so never fails on an upgrade; writers then run one at a time and WAL readers beside
them. ``unit_of_work`` marks its transaction as a write (``writing``): on SQLite it ends the read
transaction the request has open and begins the next one IMMEDIATE. Reads outside a unit of work
stay deferred and never wait for a writer. PostgreSQL is untouched.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

# How long a writer waits for the write lock before "database is locked" (then a 503).
BUSY_TIMEOUT_MS = 15_000

_writing: ContextVar[bool] = ContextVar("coop_sqlite_writing", default=False)
_IMMEDIATE = "coop.sqlite.immediate"  # connection.info: the open transaction began IMMEDIATE


@event.listens_for(Engine, "connect")
def _pragmas(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _begin),
        # so that SAVEPOINTs and rollbacks behave as on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        immediate = _writing.get()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        connection.info[_IMMEDIATE] = immediate


@contextmanager
def writing(session) -> Iterator[None]:
    """Run the block as a write: on SQLite, end the read transaction the session has open (its
    objects expire and reload) so that the block's transaction begins IMMEDIATE."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    token = _writing.set(True)
    try:
        _end_read_transaction(session)
        yield
    finally:
        _writing.reset(token)


def _end_read_transaction(session) -> None:
    if session.get_transaction() is None or session.new or session.dirty or session.deleted:
        return  # nothing open, or changes not ours to commit early: leave them to the block
    connection = session.connection()
    # A savepoint is a transaction joined inside another (the tests' rollback per test).
    if not connection.info.get(_IMMEDIATE) and not connection.in_nested_transaction():
        session.commit()  # a read transaction: nothing to commit, the connection goes back


def is_busy(error: Exception) -> bool:
    """SQLite's "database is locked": the write lock was not free within the busy timeout."""
    code = getattr(getattr(error, "orig", None), "sqlite_errorcode", None)
    return (
        isinstance(error, OperationalError)
        and code is not None
        and code & 0xFF == sqlite3.SQLITE_BUSY
    )

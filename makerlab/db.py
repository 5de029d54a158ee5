"""Declarative base, column types and transaction helpers shared by all models.

Every lock the app takes in the database lives here: SQLite's write lock
(``begin_write``, ``hold_write_lock``) and a row lock for check-then-write on
one row (``lock_for_update``).
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

Row = TypeVar("Row")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Keys are ``integer`` columns: no row has a larger id, and a larger value in a
# request is refused (422) or not found (404) before it reaches the database.
MAX_ID = 2**31 - 1
# The largest integer both databases bind: ids in URL paths may go up to this,
# so that an id no row can have still answers 401/403 before 404.
MAX_PATH_INT = 2**63 - 1


def is_possible_id(value: int) -> bool:
    """True if a row could have ``value`` as its id (anything else is simply not there)."""
    return 0 < value <= MAX_ID


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """An instant: stored as UTC, always returned tz-aware.

    SQLite has no time zone type, so values are normalised to naive UTC there;
    PostgreSQL gets ``timestamptz``. Naive input is a programming error.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.DateTime(timezone=False))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


_immediate = contextvars.ContextVar("sqlite_begin_immediate", default=False)


def configure_sqlite_engine(engine: Engine) -> None:
    """Make pysqlite transactions explicit so writes can take the lock up front.

    pysqlite's own transaction handling lets concurrent check-then-insert
    races through; emitting ``BEGIN IMMEDIATE`` ourselves serialises writers.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def begin_write(session: Any) -> None:
    """Start a transaction that holds the database's write lock (SQLite).

    Call before a check-then-write. Any read transaction already open (the
    login user loader opens one) is ended first, since SQLite cannot upgrade
    it safely. PostgreSQL needs nothing here: constraints and row locks do it.
    """
    if isinstance(session, scoped_session):
        session = session()
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()
    token = _immediate.set(True)
    try:
        session.connection()
    finally:
        _immediate.reset(token)


# The transaction that took the write lock, and the last one that wrote: a
# SQLite transaction that has written holds the write lock already.
_LOCKED_TX = "write_locked_tx"
_WROTE_TX = "wrote_tx"


@event.listens_for(Session, "after_flush")
def _note_write(session: Session, _flush_context: Any) -> None:
    session.info[_WROTE_TX] = session.get_transaction()


def hold_write_lock(session: Any) -> None:
    """Make sure the current transaction holds SQLite's write lock (no-op on PostgreSQL).

    Unlike :func:`begin_write` it keeps a transaction that holds the lock or
    has written already (it does not commit it), so a caller can make
    several bookings in one transaction and roll them back together. Safe
    to call repeatedly.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name != "sqlite":
        return
    tx = session.get_transaction()
    if tx is not None and tx in (session.info.get(_LOCKED_TX), session.info.get(_WROTE_TX)):
        return
    begin_write(session)
    session.info[_LOCKED_TX] = session.get_transaction()


def lock_for_update(session: Any, row: Row) -> Row:
    """Serialise check-then-write on one row and reload it as last committed.

    SQLite takes its write lock, PostgreSQL a row lock (``FOR UPDATE``):
    concurrent callers locking the same row run one after the other.
    """
    if isinstance(session, scoped_session):
        session = session()
    hold_write_lock(session)
    if is_postgres(session):
        state = sa.inspect(row)
        key = zip(state.mapper.primary_key, state.identity, strict=True)
        session.execute(
            sa.select(type(row))
            .where(*(column == value for column, value in key))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
    else:
        session.refresh(row)
    return row


def commit_for_response(session: Any) -> None:
    """Commit, keeping the loaded rows as they were written.

    A JSON write answers with the rows it changed right after the commit.
    Expiring them (the session's default) would read each back, with its
    relationships and lookups, in a fresh transaction: four to six statements
    per write for what the request already holds. Only for the last commit
    of a request; later reads in the same request could see stale rows.
    """
    if isinstance(session, scoped_session):
        session = session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def lock_early_for_writing_requests(app: Flask) -> None:
    """On SQLite, requests that may write start their transactions with the write lock.

    A transaction that reads first and writes later cannot wait for SQLite's
    lock (it fails at once with "database is locked" to avoid a deadlock).
    Taking the lock at BEGIN for POST/PUT/PATCH/DELETE lets writers queue
    behind each other (busy timeout) while GET requests still read in
    parallel.
    """

    @app.before_request
    def _take_lock_early() -> None:
        if request.method not in SAFE_METHODS:
            g._sqlite_immediate = _immediate.set(True)

    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        token = g.pop("_sqlite_immediate", None)
        if token is not None:
            _immediate.reset(token)


READ_ONLY = "makerlab_read_only_request"


class ReadOnlyRequest(RuntimeError):
    """A GET (or other safe) request tried to change data."""


def read_safe_requests_without_transaction(app: Flask, db: Any) -> None:
    """On PostgreSQL, GET/HEAD/OPTIONS requests read in autocommit mode.

    A safe request only reads, and PostgreSQL's default (READ COMMITTED)
    gives every statement its own snapshot anyway, so the transaction around
    it bought nothing but two round trips (``BEGIN`` and ``ROLLBACK``) on the
    busiest routes. Such a request must not write either: in autocommit mode
    its statements would not be atomic, so a flush in one is refused
    (``ReadOnlyRequest``) instead of being committed piecemeal.
    """

    @app.before_request
    def _autocommit_reads() -> None:
        if request.method in SAFE_METHODS:
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            db.session.info[READ_ONLY] = True


def write_in_safe_request(session: Any) -> None:
    """Let this GET request write after all, in a transaction of its own.

    For the rare GET that must create what it shows (a paper consent form
    needs a working link to print). Ends the autocommit read on PostgreSQL
    and takes the write lock on SQLite; the view then commits as a POST does.
    """
    if isinstance(session, scoped_session):
        session = session()
    session.info.pop(READ_ONLY, None)
    if session.in_transaction():
        session.commit()  # hands back the autocommit connection (isolation level reset)
    begin_write(session)


@event.listens_for(Session, "before_flush")
def _refuse_writes_in_read_only_requests(session: Any, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlyRequest("a GET, HEAD or OPTIONS request tried to change data")


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block (for query-count checks)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def referenced_row_exists(session: Any, column: sa.ColumnElement[Any], value: Any) -> bool:
    """Whether the row the foreign key ``column`` points to with ``value`` exists.

    A room checks an id of a room above it this way (a booking's workshop
    session) without importing that room's models.
    """
    (key,) = column.foreign_keys
    target = key.column
    return session.scalar(sa.select(target).where(target == value)) is not None


def is_postgres(session: Any) -> bool:
    """True on PostgreSQL (row locks, the exclusion constraint), False on SQLite."""
    return bool(session.get_bind().dialect.name == "postgresql")


@contextmanager
def planned_for_their_values(session: Any) -> Iterator[None]:
    """On PostgreSQL, statements run inside are planned for their parameter values every time.

    ``session``: a Session, or a Connection of its own.

    psycopg prepares a statement on the server after its fifth execution on a
    connection; PostgreSQL then plans it generically (for any parameters) after
    five more if that plan looks cheaper. For a report's statements, whose
    parameters are the period's instants and month boundaries, the generic plan
    computes them row by row instead of once: a year's report took twice as long
    from the sixth request on a connection that never rolls back (the
    autocommit reads of GET requests). Only for a few heavy statements: planning
    a report's statement costs about a millisecond, and small, frequent queries
    keep their prepared statements.
    """
    connection = session if isinstance(session, sa.Connection) else session.connection()
    driver: Any = connection.connection.driver_connection
    if not hasattr(driver, "prepare_threshold"):  # SQLite
        yield
        return
    before = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = before


def read_beside(session: Any, stmt: Any) -> Callable[[], Sequence[Any]]:
    """Start reading ``stmt``; the returned call gives its rows (planned for their values).

    On PostgreSQL, when the session's transaction has written nothing (which
    another connection could not see yet; GET requests read in autocommit
    mode, so theirs never has), ``stmt`` runs at once on a connection of its
    own in a thread: beside a longer statement of the session it costs no
    time on a machine with a second core. A year's report reads its workshop
    figures (25 ms) this way while its bookings statement (220 ms) runs.
    Elsewhere, and after writes, it runs in the session when its rows are
    asked for. Each statement sees the data committed when it starts, as the
    session's own statements do in PostgreSQL's default isolation.
    """
    def in_session() -> Sequence[Any]:
        with planned_for_their_values(session):
            return session.execute(stmt).all()  # type: ignore[no-any-return]

    if not is_postgres(session) or session.scalar(
        sa.text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")
    ):
        return in_session
    engine = session.get_bind()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-beside")
    future = pool.submit(_rows_on_own_connection, engine, stmt)
    pool.shutdown(wait=False)  # the thread ends with the statement; the caller waits for it
    return future.result


def _rows_on_own_connection(engine: Engine, stmt: Any) -> Sequence[Any]:
    with engine.connect() as connection, planned_for_their_values(connection):
        return connection.execute(stmt).all()

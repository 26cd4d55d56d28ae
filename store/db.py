"""Engine, sessions and migrations.  Short transactions are owned by the code that runs a stage."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from config.errors import ConfigError

MIGRATIONS = Path(__file__).with_name("migrations")
# A commit copies nothing into the database file itself: a background thread does (`Checkpointer`). Should it
# fall behind or stop, SQLite checkpoints in the committing connection again once the WAL holds this many pages.
WAL_BACKSTOP_PAGES = 16_384
IDLE_SECONDS = 5.0
# A transaction that changed this many rows wakes the checkpointer (a batch of mail changes four or more per
# message); smaller ones (a poll's status, a cursor, a reminder) do only when it last ran CATCH_UP_SECONDS ago.
CHECKPOINT_ROWS = 20
CATCH_UP_SECONDS = 600.0
URL_SOURCE = "the database URL (database.url in the config, or $BUSAVVIK_DATABASE_URL)"
URL_EXAMPLE = "expected e.g. sqlite:///busavvik.db or postgresql://user@host/dbname"
log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """The engine for `url` (postgresql:// means psycopg 3); a URL that is not one gives a ConfigError."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    sqlite = url.startswith("sqlite")
    try:
        engine = create_engine(check_url(url), future=True, pool_pre_ping=not sqlite)  # a file never goes stale
    except (ArgumentError, ImportError, ValueError, TypeError) as exc:  # a driver missing, a bad query option
        raise ConfigError(f"{URL_SOURCE} cannot be used ({type(exc).__name__}); {URL_EXAMPLE}") from None
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def check_url(url: str) -> URL:
    """The parsed database URL.  Never echoed whole: it may hold a password."""
    try:
        parsed = make_url(url)
        port_ok = parsed.port is None or 0 < parsed.port < 65536
    except (ArgumentError, ValueError, TypeError):
        port_ok = False
    if not port_ok:
        raise ConfigError(f"{URL_SOURCE} is not a database URL; {URL_EXAMPLE}")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"{URL_SOURCE}: {parsed.get_backend_name()!r} is not supported; {URL_EXAMPLE}")
    return parsed


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
    cur.close()


class Checkpointer:
    """SQLite WAL checkpoints off the committing thread.

    With the default autocheckpoint, the commit that pushes the WAL past 1,000 pages copies the whole WAL
    into the database file and syncs it before it returns: ~25 ms for a batch of 200 mails of 50 kB, on the
    path every batch waits for. Here a commit only wakes this thread, which runs a PASSIVE checkpoint on a
    connection of its own (it never blocks a writer; SQLite releases the GIL meanwhile). Crash safety is
    SQLite's own either way: a checkpoint interrupted at any point is redone from the WAL. Commits of
    CHECKPOINT_ROWS changed rows or more wake it; smaller ones (an idle poll's status row) only once it has
    slept CATCH_UP_SECONDS, so a quiet store's WAL stays small too.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._wrote = threading.local()     # .rows: rows changed by this thread's commits, for after_session
        self._listens = engine              # where the listeners sit (close() removes them there)
        event.listen(engine, "begin", self._on_begin)
        event.listen(engine, "commit", self._on_commit)
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_poke = float("-inf")     # a process's first commit that changed rows wakes the thread

    @staticmethod
    def _changes(conn: Connection) -> int | None:
        """SQLite's running count of rows changed through this connection."""
        return getattr(conn.connection.dbapi_connection, "total_changes", None)

    def _on_begin(self, conn: Connection) -> None:
        conn.connection.info["changes_at_begin"] = self._changes(conn)

    def _on_commit(self, conn: Connection) -> None:
        """Before a COMMIT: count the rows the transaction changed, for `after_session`."""
        before, after = conn.connection.info.get("changes_at_begin"), self._changes(conn)
        if before is not None and after is not None:
            self._wrote.rows = getattr(self._wrote, "rows", 0) + after - before

    def after_session(self) -> None:
        """After this thread's session committed: wake the thread if the rows it changed are worth it."""
        rows, self._wrote.rows = getattr(self._wrote, "rows", 0), 0
        if rows >= CHECKPOINT_ROWS or (rows and time.monotonic() - self._last_poke >= CATCH_UP_SECONDS):
            self.poke()

    def poke(self) -> None:
        self._last_poke = time.monotonic()
        with self._lock:
            if self._stop:
                return
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        """Checkpoint after each poke; after IDLE_SECONDS without one the thread ends (and lets go of the
        engine: a Database nobody disposes is still collected)."""
        while True:
            if not self._wake.wait(IDLE_SECONDS):
                with self._lock:
                    if not self._wake.is_set():
                        self._thread = None
                        return
            self._wake.clear()
            if self._stop:
                return
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # noqa: BLE001 - the backstop autocheckpoint takes over
                log.warning("background WAL checkpoint failed", exc_info=True)

    def close(self) -> None:
        for name, listener in (("begin", self._on_begin), ("commit", self._on_commit)):
            if event.contains(self._listens, name, listener):
                event.remove(self._listens, name, listener)
        with self._lock:
            self._stop, thread = True, self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=30)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


class Database:
    """One engine and a session factory; `session()` is a transaction that commits or rolls back."""

    def __init__(self, url: str, *, auto_migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if auto_migrate:
            migrate(self.engine)
        self.factory = sessionmaker(self.engine, expire_on_commit=False)
        from store import search  # the full-text index follows every change to a case

        search.install(self.factory)
        self.sqlite = self.engine.dialect.name == "sqlite"
        on_file = self.sqlite and self.engine.url.database not in (None, "", ":memory:")
        self.checkpointer = Checkpointer(self.engine) if on_file else None

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A transaction. `write=True` for one that must commit as a whole (a batch of mail and its cursor):
        on SQLite it then begins at once, holding the write lock. (pysqlite begins a transaction only before
        a write statement; begun by a SAVEPOINT instead, the transaction was committed by its RELEASE.)"""
        with self.factory() as session, session.begin():
            if write and self.sqlite:
                connection = session.connection()
                if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield session
        if self.checkpointer is not None:   # a read wakes nothing; an idle poll's status row rarely does
            self.checkpointer.after_session()

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        self.engine.dispose()

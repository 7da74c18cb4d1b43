"""Engine and session factory; one AsyncSession per unit of work."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker


def create_engine(database_url: str) -> AsyncEngine:
    """Create the async engine; for SQLite make the folder and turn on WAL and foreign keys.

    Statement parameters are hidden from SQLAlchemy's errors and logs: they hold what young
    people write, and an error's text ends up in a logged traceback."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, future=True, connect_args={"timeout": 30},
                                     hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)


def session_factory(engine: AsyncEngine) -> sessionmaker:
    """A factory of AsyncSessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, future=True)

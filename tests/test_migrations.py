"""The Alembic migrations build exactly the schema the models describe, up and down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine as create_sync_engine

from bot.store.migrate import downgrade, upgrade
from bot.store.models import Base


def schema_differences(path: str) -> list[object]:
    engine = create_sync_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        engine.dispose()


def test_migrations_match_the_models_and_go_down_and_up_again(tmp_path) -> None:
    path = tmp_path / "m.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    assert schema_differences(str(path)) == []
    downgrade(url, "base")
    upgrade(url)
    assert schema_differences(str(path)) == []

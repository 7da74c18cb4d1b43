"""Shared fixtures: settings, a migrated database, Rasa SDK fixtures, and the real stack."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from bot.config import REPO_ROOT, Settings, settings_from_mapping
from bot.runner import Stack, wait_until_ready
from bot.store.db import create_engine, session_factory
from bot.store.migrate import upgrade

MODEL = REPO_ROOT / "models" / "current.tar.gz"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(**overrides: str) -> Settings:
    """Settings from the defaults plus overrides (never from the developer's .env)."""
    values = {"DATABASE_URL": "sqlite+aiosqlite:///:memory:", **overrides}
    return settings_from_mapping(values)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite database with the schema of the latest migration."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'broekzak.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[sessionmaker]:
    """A session factory on the `db_url` database (for tests that store or look directly)."""
    engine = create_engine(db_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def botless_gateway(aiohttp_client, db_url):  # type: ignore[no-untyped-def]
    """The gateway on `db_url`, always open, with Rasa unreachable: a young person's message
    is stored and answered 503; handoffs come from tests.gateway_helpers.escalate."""
    from bot.app import init_app
    from tests.gateway_helpers import SECRET

    settings = make_settings(DATABASE_URL=db_url, HANDOFF_SECRET=SECRET,
                             RASA_URL=f"http://127.0.0.1:{free_port()}", RASA_TIMEOUT_S="1",
                             OPENING_HOURS="ma-zo 00:00-24:00")
    return await aiohttp_client(init_app(settings))


# --- Rasa SDK fixtures (tracker, dispatcher, domain) -------------------------------------


@pytest.fixture
def domain() -> dict[str, Any]:
    """The real domain.yml."""
    return yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A dispatcher collecting what an action sends."""
    return CollectingDispatcher()


def user_event(text: str, intent: str, message_id: str = "m1") -> dict[str, Any]:
    """A tracker 'user' event as Rasa sends it to the action server."""
    return {"event": "user", "text": text, "message_id": message_id,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "text": text}}


def action_event(name: str) -> dict[str, Any]:
    """A tracker 'action' event."""
    return {"event": "action", "name": name}


def bot_event(text: str) -> dict[str, Any]:
    """A tracker 'bot' event."""
    return {"event": "bot", "text": text}


def make_tracker(events: list[dict[str, Any]], slots: dict[str, Any] | None = None,
                 sender_id: str = "conv-1") -> Tracker:
    """A Tracker whose latest message is the last user event in `events`."""
    latest: dict[str, Any] = {}
    for event in events:
        if event["event"] == "user":
            latest = {"text": event["text"], "message_id": event.get("message_id"),
                      "intent": event["parse_data"]["intent"]}
    return Tracker(sender_id, slots or {}, latest, events, False, None, {}, "action_listen")


@pytest.fixture
def tracker() -> Tracker:
    """A tracker of a young person who just said hello."""
    return make_tracker([action_event("action_listen"), user_event("hoi", "greet")])


# --- The real stack: trained model, Rasa server, action server ----------------------------


class RealStack:
    """Ports and secrets of the Rasa server and action server started for the test session."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        # Everything Rasa and the action server wrote to stdout and stderr.
        self.log_path = log_path

    def gateway_settings(self, database_url: str, **overrides: str) -> Settings:
        """Settings for a gateway that talks to this stack."""
        s = self.settings
        values = {
            "DATABASE_URL": database_url,
            "GATEWAY_PORT": str(s.port),
            "RASA_URL": s.rasa_url,
            "RASA_TOKEN": s.rasa_token,
            "HANDOFF_SECRET": s.handoff_secret,
            "ACTIONS_TOKEN": s.actions_token,
            **overrides,
        }
        return settings_from_mapping(values)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealStack]:
    """The trained model served by a real Rasa server and the real action server; their
    output goes to `RealStack.log_path`, so tests can check what they log."""
    if not MODEL.is_file():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does)")
    gateway_port = free_port()
    settings = make_settings(
        GATEWAY_PORT=str(gateway_port),
        RASA_PORT=str(free_port()),
        ACTIONS_PORT=str(free_port()),
        RASA_TOKEN="test-rasa-token",
        ACTIONS_TOKEN="test-actions-token",
        HANDOFF_SECRET="test-handoff-secret",
        GATEWAY_URL=f"http://127.0.0.1:{gateway_port}",
        # As an admin might set it: the children must still log no message text
        # (tests/test_logs_privacy.py).
        LOG_LEVEL="DEBUG",
    )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # The action server's own clock-dependent texts (offers) stay stable in tests; who is
    # available is decided by the gateway under test and reported back on escalation.
    log_path = tmp_path_factory.mktemp("stack") / "children.log"
    with log_path.open("wb") as output:
        # Unbuffered, so the log file holds what the children wrote by the time a test reads it.
        real = Stack(settings, MODEL, output=output, extra_env={
            "OPENING_HOURS": "ma-zo 00:00-24:00", "PYTHONUNBUFFERED": "1"})
        real.start_children()
        try:
            if not asyncio.run(wait_until_ready(real)):
                pytest.fail("Rasa or the action server did not start:\n"
                            + log_path.read_text(errors="replace")[-3000:])
            yield RealStack(settings, log_path)
        finally:
            real.stop_children()


class LiveGateway:
    """A gateway on the port the action server escalates to, wired to the real stack."""

    def __init__(self, client: Any, settings: Settings, db_url: str) -> None:
        self.client = client
        self.settings = settings
        self.db_url = db_url

    @property
    def app(self) -> Any:
        """The running aiohttp application."""
        return self.client.server.app

    def url(self, path: str = "/") -> str:
        """Absolute URL of a path on this gateway (for a browser)."""
        return str(self.client.make_url(path))

    async def add_worker(self, name: str, role: str = "worker",
                         password: str | None = "wachtwoord-123") -> str:
        """Make an inbox account; returns its API token."""
        from bot.app import ACCOUNTS

        return (await self.app[ACCOUNTS].add(name, role, password)).api_token


@pytest.fixture
def make_live_gateway(aiohttp_client, stack, db_url):  # type: ignore[no-untyped-def]
    """Factory of a gateway listening where the action server sends escalations."""
    from bot.app import init_app

    async def make(**overrides: str) -> LiveGateway:
        values = {"OPENING_HOURS": "ma-zo 00:00-24:00", "WAITING_NOTICE_MINUTES": "60",
                  **overrides}
        settings = stack.gateway_settings(db_url, **values)
        client = await aiohttp_client(init_app(settings),
                                      server_kwargs={"port": stack.settings.port})
        return LiveGateway(client, settings, db_url)

    return make


@pytest.fixture
async def live_gateway(make_live_gateway):  # type: ignore[no-untyped-def]
    """The gateway listening where the action server sends escalations (always open)."""
    return await make_live_gateway()

"""Deleting young people's data: the retention period and erasure on request (bot/privacy.py).

Retention and the erasure service run on a real SQLite database (PostgreSQL: test_postgres.py);
the admin API and the command line through the real app and a real subprocess. The last
test checks, against the real Rasa, that erasure also empties the bot's memory.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.app import init_app
from bot.config import REPO_ROOT
from bot.privacy import ConversationInUse, Privacy
from bot.rasa.client import RasaClient
from bot.store import repository
from bot.store.db import create_engine, session_factory
from bot.store.models import (
    AuditEntry,
    Conversation,
    HandoffStatus,
    Notification,
    Role,
    Worker,
    utcnow,
)
from tests.conftest import free_port, make_settings
from tests.gateway_helpers import REST_WEBHOOK, escalate, say_over_rest, worker
from tests.privacy_seed import CONVERSATION_TABLES, rows_per_table, seed_conversation

RETENTION_DAYS = 90


@pytest.fixture
async def privacy(sessions: sessionmaker) -> AsyncIterator[Privacy]:
    """The privacy service with Rasa unreachable (its memory is checked in the last test)."""
    async with aiohttp.ClientSession() as http:
        yield Privacy(sessions, RasaClient(http, f"http://127.0.0.1:{free_port()}", "", 1))


async def test_retention_deletes_quiet_conversations_whole_and_keeps_open_and_active_ones(
        privacy: Privacy, sessions: sessionmaker) -> None:
    now = utcnow()
    long_ago = now - timedelta(days=RETENTION_DAYS + 1)
    quiet = await seed_conversation(sessions, "31600000001", long_ago)
    queued = await seed_conversation(sessions, "31600000002", long_ago, HandoffStatus.QUEUED)
    recent = await seed_conversation(sessions, "31600000003", now - timedelta(days=2))
    before = await rows_per_table(sessions)

    assert await privacy.purge_expired(RETENTION_DAYS, now=now) == 1

    after = await rows_per_table(sessions)
    # The quiet conversation's row in every table is gone; nobody else's. Notifications
    # go by their own age: the queued conversation's is as old.
    for model in CONVERSATION_TABLES:
        name = model.__tablename__
        per_conversation = before[name] // 3
        expected = 2 * per_conversation if model is Notification else per_conversation
        assert per_conversation > 0 and before[name] - after[name] == expected, name
    assert after["audit_log"] == before["audit_log"]
    async with sessions() as session:
        left = set((await session.execute(select(Conversation.id))).scalars())
    assert left == {queued, recent}
    assert quiet not in left
    # Nothing more to do on a second run.
    assert await privacy.purge_expired(RETENTION_DAYS, now=now) == 0


async def test_retention_counts_the_latest_message_not_when_the_conversation_began(
        privacy: Privacy, sessions: sessionmaker) -> None:
    now = utcnow()
    conversation_id = await seed_conversation(sessions, "31600000004",
                                              now - timedelta(days=400))
    # The young person wrote again yesterday.
    async with sessions() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        message, _ = await repository.add_inbound(session, conversation, "wamid.again",
                                                  "hoi ik ben er weer", None)
        message.created_at = now - timedelta(days=1)
    assert await privacy.purge_expired(RETENTION_DAYS, now=now) == 0
    assert await privacy.purge_expired(RETENTION_DAYS, now=now + timedelta(days=95)) == 1


async def test_erasure_refuses_an_open_conversation_and_deletes_a_closed_one(
        privacy: Privacy, sessions: sessionmaker) -> None:
    now = utcnow()
    open_one = await seed_conversation(sessions, "31600000005", now, HandoffStatus.ASSIGNED)
    closed = await seed_conversation(sessions, "31600000006", now)
    with pytest.raises(ConversationInUse):
        await privacy.erase(open_one, worker_id=None)
    assert await privacy.find("whatsapp", "31600000006") == closed
    before = await rows_per_table(sessions)

    erased = await privacy.erase(closed, worker_id=None)

    assert erased is not None and erased.conversation_id == closed
    assert erased.bot_memory_cleared is False  # Rasa is not running here
    after = await rows_per_table(sessions)
    for model in CONVERSATION_TABLES:  # one of the two conversations' rows, in every table
        name = model.__tablename__
        assert before[name] > 0 and before[name] - after[name] == before[name] // 2, name
    assert await privacy.find("whatsapp", "31600000006") is None
    assert await privacy.erase(closed, worker_id=None) is None
    async with sessions() as session:
        actions = list((await session.execute(select(AuditEntry.action).where(
            AuditEntry.conversation_id == closed))).scalars())
    assert sorted(actions) == ["erase", "read_transcript"]


async def test_the_running_gateway_deletes_expired_conversations_by_itself(
        aiohttp_client, db_url, sessions: sessionmaker, monkeypatch) -> None:
    monkeypatch.setattr("bot.app.RETENTION_INTERVAL_S", 0.05)  # hourly in production
    expired = await seed_conversation(sessions, "31600000007",
                                      utcnow() - timedelta(days=RETENTION_DAYS + 1))
    kept = await seed_conversation(sessions, "31600000008", utcnow())
    settings = make_settings(DATABASE_URL=db_url, RETENTION_DAYS=str(RETENTION_DAYS),
                             RASA_URL=f"http://127.0.0.1:{free_port()}", RASA_TIMEOUT_S="1")
    await aiohttp_client(init_app(settings))
    for _ in range(200):
        async with sessions() as session:
            left = set((await session.execute(select(Conversation.id))).scalars())
        if expired not in left:
            break
        await asyncio.sleep(0.05)
    assert left == {kept}


@pytest.fixture
def gateway(botless_gateway):  # type: ignore[no-untyped-def]
    return botless_gateway


async def conversation_of(db_url: str, sender: str) -> str | None:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return (await session.execute(select(Conversation.id).where(
                Conversation.channel_user_id == sender))).scalar_one_or_none()
    finally:
        await engine.dispose()


async def test_an_admin_erases_a_conversation_through_the_api(gateway, db_url) -> None:
    for sender in ("jongere-open", "jongere-klaar"):
        response = await gateway.post(REST_WEBHOOK, json={"sender": sender, "message": "hoi"})
        assert response.status == 503  # stored; the bot is down here
    open_id = await conversation_of(db_url, "jongere-open")
    done_id = await conversation_of(db_url, "jongere-klaar")
    assert open_id and done_id
    assert (await escalate(gateway, open_id)).status == 201
    admin, sam = await worker(gateway, "anna", "admin"), await worker(gateway, "sam")

    url = "/api/v1/admin/conversations/{}"
    assert (await gateway.delete(url.format(done_id), headers=sam)).status == 403
    assert (await gateway.delete(url.format(done_id))).status == 401
    in_queue = await gateway.delete(url.format(open_id), headers=admin)
    assert in_queue.status == 409 and "close it first" in (await in_queue.json())["error"]

    erased = await gateway.delete(url.format(done_id), headers=admin)
    assert erased.status == 200
    assert await erased.json() == {"conversation_id": done_id, "erased": True,
                                   "bot_memory_cleared": False}
    assert (await gateway.delete(url.format(done_id), headers=admin)).status == 404
    assert await conversation_of(db_url, "jongere-klaar") is None
    assert await conversation_of(db_url, "jongere-open") == open_id
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            who = (await session.execute(select(Worker.name, Worker.role).join(
                AuditEntry, AuditEntry.worker_id == Worker.id).where(
                AuditEntry.action == "erase"))).all()
    finally:
        await engine.dispose()
    assert who == [("anna", Role.ADMIN)]
    # Writing again starts afresh: nothing of before is linked to them.
    assert (await gateway.post(REST_WEBHOOK, json={"sender": "jongere-klaar",
                                                   "message": "hoi"})).status == 503
    assert await conversation_of(db_url, "jongere-klaar") not in (None, done_id)


def erase_cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "RASA_URL": f"http://127.0.0.1:{free_port()}",
           "RASA_TIMEOUT_S": "1"}
    return subprocess.run([sys.executable, "-m", "bot", "erase", *args], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


async def test_the_command_line_erases_by_phone_number_and_says_so_without_content(
        sessions: sessionmaker, db_url: str) -> None:
    conversation_id = await seed_conversation(sessions, "31612345678", utcnow())

    done = erase_cli(db_url, "--channel", "whatsapp", "--user", "31612345678")

    assert done.returncode == 0, done.stderr
    assert f"erased conversation {conversation_id}" in done.stdout
    output = done.stdout + done.stderr
    assert "31612345678" not in output and "naar huis" not in output
    again = erase_cli(db_url, "--conversation", conversation_id)
    assert again.returncode == 1 and "no conversation" in again.stderr
    assert erase_cli(db_url, "--user", "31612345678").returncode == 2


@pytest.mark.stack
async def test_erasure_empties_the_bots_memory_of_the_conversation(live_gateway) -> None:
    client, settings = live_gateway.client, live_gateway.settings
    await say_over_rest(client, "jongere-wis", "hoi, ik ben Zwaluwstaart")
    conversation_id = await conversation_of(live_gateway.db_url, "jongere-wis")
    tracker_url = f"{settings.rasa_url}/conversations/{conversation_id}/tracker"
    token = {"token": settings.rasa_token}
    async with aiohttp.ClientSession() as http:
        async with http.get(tracker_url, params=token) as response:
            assert "Zwaluwstaart" in await response.text()
        admin = await worker(client, "anna", "admin")

        erased = await client.delete(f"/api/v1/admin/conversations/{conversation_id}",
                                     headers=admin)

        assert (await erased.json())["bot_memory_cleared"] is True
        async with http.get(tracker_url, params=token) as response:
            assert response.status == 200
            assert "Zwaluwstaart" not in await response.text()

"""The scale setup's database: migrations, the claim race and the outboxes shared by several
gateway processes, on a real PostgreSQL.

PostgreSQL runs on the development and CI machines (127.0.0.1:5432, trust auth); each test
gets a database of its own, dropped afterwards. POSTGRES_ADMIN_URL overrides where.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import asyncpg
import pytest
from sqlalchemy import select

from bot.app import ACCOUNTS, init_app
from bot.privacy import Privacy
from bot.rasa.client import RasaClient
from bot.service_rules import LiveSettings, read_rules
from bot.signing import sign
from bot.store import repository
from bot.store.db import create_engine, session_factory
from bot.store.migrate import downgrade, upgrade
from bot.store.models import Message, Role, ServiceSetting, Worker, utcnow
from tests.conftest import free_port, make_settings
from tests.outbox_race import handoff_checks_taken, posts_per_notification, sends_per_request
from tests.privacy_seed import CONVERSATION_TABLES, rows_per_table, seed_conversation

ADMIN_DSN = os.environ.get("POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    name = f"broekzak_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_DSN, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield ADMIN_DSN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0] + \
            f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_migrations_run_up_down_and_up_on_postgresql(pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    await asyncio.to_thread(downgrade, pg_url, "base")
    await asyncio.to_thread(upgrade, pg_url)


async def test_two_concurrent_claims_on_postgresql_one_wins(pg_url: str, aiohttp_client) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    engine = create_engine(pg_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            conversation_id = (await repository.get_or_create_conversation(
                session, "rest", "j-1")).id
    finally:
        await engine.dispose()
    settings = make_settings(DATABASE_URL=pg_url, HANDOFF_SECRET="s",
                             RASA_URL=f"http://127.0.0.1:{free_port()}")
    client = await aiohttp_client(init_app(settings))
    body = (f'{{"escalation_id":"e1","conversation_id":"{conversation_id}",'
            '"reason":"request_human","priority":"normal","topic":null,"summary":""}').encode()
    response = await client.post("/webhooks/handoff", data=body,
                                 headers={"X-Broekzak-Signature": sign("s", body)})
    assert response.status == 201
    tokens = [(await client.app[ACCOUNTS].add(n, "worker", None)).api_token
              for n in ("sam", "kim", "lou")]
    url = f"/api/v1/conversations/{conversation_id}/claim"
    responses = await asyncio.gather(*(client.post(url, headers={"Authorization": f"Bearer {t}"})
                                       for t in tokens))
    assert sorted(r.status for r in responses) == [200, 409, 409]


async def test_outbox_requests_go_out_once_with_several_processes_on_postgresql(
        pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    assert await sends_per_request(pg_url) == {f"m{i}": 1 for i in range(6)}


async def test_worker_notifications_posted_once_with_several_processes_on_postgresql(
        pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    assert await posts_per_notification(pg_url) == {f"n{i}": 1 for i in range(4)}


async def test_waiting_notice_and_renotification_taken_once_with_several_processes_on_postgresql(
        pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    assert await handoff_checks_taken(pg_url) == (1, 1)


async def test_retention_and_erasure_delete_a_conversation_whole_on_postgresql(
        pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    now = utcnow()
    try:
        async with aiohttp.ClientSession() as http:
            privacy = Privacy(sessions, RasaClient(http, f"http://127.0.0.1:{free_port()}", "", 1))
            quiet = await seed_conversation(sessions, "31600000001", now - timedelta(days=91))
            asked = await seed_conversation(sessions, "31600000002", now)
            before = await rows_per_table(sessions)
            assert await privacy.purge_expired(90, now=now) == 1
            assert await privacy.erase(asked, worker_id=None) is not None
            after = await rows_per_table(sessions)
    finally:
        await engine.dispose()
    assert quiet != asked
    for model in CONVERSATION_TABLES:  # the database's cascades took every row of both
        assert before[model.__tablename__] > 0 and after[model.__tablename__] == 0
    assert after["audit_log"] == before["audit_log"] + 1  # the erasure's own entry


async def test_retention_keeps_a_conversation_whose_young_person_writes_during_the_run(
        pg_url: str, monkeypatch) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    now = utcnow()
    delete_selected = Privacy._delete

    async def young_person_writes_first(session, conversation_ids, condition=None):  # type: ignore[no-untyped-def]
        # Between retention's selection and its delete, in another transaction.
        async with sessions() as other, other.begin():
            conversation = await repository.get_or_create_conversation(
                other, "whatsapp", "31600000009")
            await repository.add_inbound(other, conversation, "wamid.now", "ben er weer", None)
        await delete_selected(session, conversation_ids, condition)

    monkeypatch.setattr(Privacy, "_delete", staticmethod(young_person_writes_first))
    try:
        conversation_id = await seed_conversation(sessions, "31600000009",
                                                  now - timedelta(days=91))
        async with aiohttp.ClientSession() as http:
            privacy = Privacy(sessions, RasaClient(http, f"http://127.0.0.1:{free_port()}", "", 1))
            # Nothing deleted, so nothing to forget in Rasa either.
            assert await privacy.purge_expired(90, now=now) == 0
        async with sessions() as session:
            texts = list((await session.execute(select(Message.text).where(
                Message.conversation_id == conversation_id))).scalars())
    finally:
        await engine.dispose()
    assert "ben er weer" in texts and len(texts) == 3


async def test_admins_saving_service_rules_at_once_in_two_processes_both_succeed_on_postgresql(
        pg_url: str) -> None:
    await asyncio.to_thread(upgrade, pg_url)
    engines = [create_engine(pg_url) for _ in range(2)]
    try:
        sessions = [session_factory(engine) for engine in engines]
        async with sessions[0]() as session, session.begin():
            admin = Worker(name="anna", role=Role.ADMIN, api_token_hash="h")
            session.add(admin)
        processes = [LiveSettings(make_settings(), factory) for factory in sessions]
        rules = [read_rules({"opening_hours": hours, "holidays": "", "oncall_webhook_url": "",
                             "retention_days": 30}) for hours in ("ma 09:00-17:00",
                                                                   "di 09:00-17:00")]
        await asyncio.gather(*(process.save(rule, admin)
                               for process, rule in zip(processes, rules, strict=True)))
        await processes[0].refresh()
        async with sessions[0]() as session:
            stored = (await session.execute(select(ServiceSetting))).scalars().all()
    finally:
        for engine in engines:
            await engine.dispose()
    assert len(stored) == 4  # one row per rule, whoever saved last
    assert processes[0].current.opening_hours_spec in ("ma 09:00-17:00", "di 09:00-17:00")

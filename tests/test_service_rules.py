"""Admins set the service rules in Beheer (bot/service_rules.py, bot/inbox/service_api.py):
opening hours, holidays, the on-call webhook and the retention period win over .env in
every gateway process, and the action server tells young people the hours in force. Through
the real app on a real database; the action server's code against that running gateway."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from actions.hours import HOURS_PATH, RETRY_AFTER_S, GatewayHours
from actions.info import ActionOpeningHours
from bot.app import LIVE, NOTIFIER, purge_expired
from bot.hours import describe_week, local_now
from bot.service_rules import InvalidRule, LiveSettings, ServiceRules, read_rules
from bot.store.models import AuditEntry, Conversation, ServiceSetting, Worker, utcnow
from tests.conftest import make_settings
from tests.gateway_helpers import REST_WEBHOOK, escalate, worker
from tests.privacy_seed import seed_conversation

SERVICE = "/api/v1/admin/service"
HOURS = "/api/v1/hours"
ALWAYS_OPEN = "ma-zo 00:00-24:00"  # the botless gateway's .env hours
RULES = {"opening_hours": "ma-zo 09:00-17:00", "holidays": "",
         "oncall_webhook_url": "https://piket.example.org/spoed", "retention_days": 30}


@pytest.fixture
def gateway(botless_gateway):  # type: ignore[no-untyped-def]
    return botless_gateway


def today() -> str:
    return local_now("Europe/Amsterdam").date().isoformat()


@pytest.mark.parametrize(("change", "field"), [
    ({"opening_hours": "maandag 9-5"}, "opening_hours"),
    ({"opening_hours": "ma-vr 22:00-14:00"}, "opening_hours"),
    ({"holidays": "25 december"}, "holidays"),
    ({"holidays": "2026-12-31 17:00-14:00"}, "holidays"),
    ({"oncall_webhook_url": "ftp://piket.example.org"}, "oncall_webhook_url"),
    ({"oncall_webhook_url": "piket.example.org/spoed"}, "oncall_webhook_url"),
    ({"retention_days": -1}, "retention_days"),
    ({"retention_days": 4000}, "retention_days"),
    ({"retention_days": "een maand"}, "retention_days"),
    ({"retention_days": True}, "retention_days"),
    ({"opening_hours": 9}, "opening_hours"),
    ({"kleur": "blauw"}, "kleur"),
])
def test_a_rule_that_cannot_be_used_is_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRule) as raised:
        read_rules({**RULES, **change})
    assert raised.value.field == field


def test_every_rule_is_required_and_good_ones_are_read_as_written() -> None:
    for name in RULES:
        with pytest.raises(InvalidRule) as raised:
            read_rules({k: v for k, v in RULES.items() if k != name})
        assert raised.value.field == name
    rules = read_rules({**RULES, "holidays": " 2026-12-25; 2026-12-31 14:00-17:00 ",
                        "retention_days": "7,5", "oncall_webhook_url": ""})
    assert rules == ServiceRules("ma-zo 09:00-17:00", "2026-12-25; 2026-12-31 14:00-17:00", "",
                                 7.5)
    assert describe_week(rules.hours())[6] == "zondag: 09:00–17:00"


async def test_only_admins_see_and_change_the_rules(gateway: TestClient) -> None:
    sam = await worker(gateway, "sam")
    assert (await gateway.get(SERVICE, headers=sam)).status == 403
    assert (await gateway.put(SERVICE, json=RULES, headers=sam)).status == 403
    assert (await gateway.get(SERVICE)).status == 401


async def test_saved_rules_win_over_env_in_the_queue_and_the_public_hours(
        gateway: TestClient, sessions: sessionmaker) -> None:
    admin = await worker(gateway, "anna", "admin")
    before = await (await gateway.get(SERVICE, headers=admin)).json()
    env_rules = {"opening_hours": ALWAYS_OPEN, "holidays": "", "oncall_webhook_url": "",
                 "retention_days": 90.0}
    assert before == {"rules": env_rules, "defaults": env_rules, "updated_at": None,
                      "updated_by": None}
    assert (await (await gateway.get(HOURS)).json())["open_now"] is True

    # Closed today (a holiday), open from 09:00 every other day.
    closed_today = {**RULES, "holidays": today()}
    saved = await gateway.put(SERVICE, json=closed_today, headers=admin)

    assert saved.status == 200, await saved.text()
    state = await saved.json()
    assert state["rules"] == {**closed_today, "retention_days": 30.0}
    assert state["defaults"] == env_rules and state["updated_by"] == "anna"
    hours = await (await gateway.get(HOURS)).json()
    assert hours["open_now"] is False and hours["holidays"] == today()
    assert hours["week"][0] == "maandag: 09:00–17:00"
    # The queue tells a young person escalating now when we are back.
    await gateway.post(REST_WEBHOOK, json={"sender": "jongere-1", "message": "hoi"})
    async with sessions() as session:
        conversation_id = (await session.execute(select(Conversation.id))).scalar_one()
        audit = (await session.execute(select(AuditEntry.action, Worker.name).join(
            Worker, Worker.id == AuditEntry.worker_id))).all()
    queued = await (await escalate(gateway, conversation_id)).json()
    assert queued["someone_available"] is False and queued["back_at"] == "morgen om 09:00"
    assert [tuple(row) for row in audit] == [("service_rules", "anna")]
    assert gateway.app[NOTIFIER].targets("urgent") == [RULES["oncall_webhook_url"]]
    assert gateway.app[NOTIFIER].targets("normal") == []


async def test_a_rule_that_cannot_be_used_saves_nothing(gateway: TestClient,
                                                        sessions: sessionmaker) -> None:
    admin = await worker(gateway, "anna", "admin")
    refused = await gateway.put(SERVICE, json={**RULES, "holidays": "kerst"}, headers=admin)

    assert refused.status == 400
    body = await refused.json()
    assert body["field"] == "holidays" and "kerst" in body["error"]
    async with sessions() as session:
        assert (await session.execute(select(ServiceSetting))).first() is None
    rules = (await (await gateway.get(SERVICE, headers=admin)).json())["rules"]
    assert rules["opening_hours"] == ALWAYS_OPEN and rules["retention_days"] == 90.0
    assert (await gateway.put(SERVICE, data=b"{", headers=admin)).status == 400


async def admin_row(sessions: sessionmaker) -> Worker:
    async with sessions() as session, session.begin():
        admin = Worker(name="anna", role="admin", password_hash="x", api_token_hash="y")
        session.add(admin)
    return admin


async def test_another_process_takes_the_rules_over_when_it_reads_them_again(
        sessions: sessionmaker) -> None:
    settings = make_settings(OPENING_HOURS=ALWAYS_OPEN, RETENTION_DAYS="90")
    saving, other = LiveSettings(settings, sessions), LiveSettings(settings, sessions)
    await other.refresh()
    await saving.save(read_rules(RULES), await admin_row(sessions))

    assert other.current.opening_hours_spec == ALWAYS_OPEN  # until it reads them again
    await other.refresh()
    assert ServiceRules.of(other.current) == read_rules(RULES)
    assert other.last_change.by == "anna"

    # A stored rule that no longer reads gives way to .env's; the others still apply.
    async with sessions() as session, session.begin():
        await session.execute(update(ServiceSetting).where(
            ServiceSetting.name == "opening_hours").values(value="elke dag"))
    await other.refresh()
    assert other.current.opening_hours_spec == ALWAYS_OPEN
    assert other.current.retention_days == 30.0


async def test_the_retention_period_in_force_decides_what_is_deleted(
        gateway: TestClient, sessions: sessionmaker) -> None:
    admin = await worker(gateway, "anna", "admin")
    quiet = await seed_conversation(sessions, "31600000009", utcnow() - timedelta(days=40))

    async def remaining(retention_days: float) -> bool:
        saved = await gateway.put(SERVICE, json={**RULES, "retention_days": retention_days},
                                  headers=admin)
        assert saved.status == 200
        await purge_expired(gateway.app)
        async with sessions() as session:
            return await session.get(Conversation, quiet) is not None

    assert await remaining(0) is True  # 0: kept until erased
    assert await remaining(60) is True
    assert await remaining(30) is False
    assert gateway.app[LIVE].current.retention_days == 30.0


async def test_the_action_server_tells_the_hours_the_gateway_has_in_force(
        gateway: TestClient, dispatcher: CollectingDispatcher, tracker: Tracker,
        monkeypatch: pytest.MonkeyPatch) -> None:
    admin = await worker(gateway, "anna", "admin")
    settings = make_settings(OPENING_HOURS=ALWAYS_OPEN,
                             GATEWAY_URL=str(gateway.make_url("")).rstrip("/"))
    monkeypatch.setattr("actions.info.get_settings", lambda: settings)
    assert (await gateway.put(SERVICE, json={**RULES, "opening_hours": "ma-vr 14:00-22:00",
                                             "holidays": today()}, headers=admin)).status == 200

    await ActionOpeningHours().run(dispatcher, tracker, {})

    text = dispatcher.messages[0]["text"]
    assert "maandag: 14:00–22:00" in text and "zaterdag: gesloten" in text
    assert "00:00–23:59" not in text  # not .env's hours


async def test_the_action_server_falls_back_to_env_hours_and_waits_out_a_hanging_gateway(
        aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    gateway = {"state": "starting"}

    async def hours(request: web.Request) -> web.Response:
        if gateway["state"] == "hanging":
            await asyncio.sleep(1)
        if gateway["state"] != "up":
            return web.json_response({"error": gateway["state"]}, status=503)
        return web.json_response({"opening_hours": "ma 10:00-11:00", "holidays": ""})

    app = web.Application()
    app.router.add_get(HOURS_PATH, hours)
    server = await aiohttp_server(app)
    moment = [0.0]
    settings = make_settings(OPENING_HOURS="za 10:00-12:00",
                             GATEWAY_URL=str(server.make_url("")).rstrip("/"))
    source = GatewayHours(settings, clock=lambda: moment[0], timeout_s=0.2)

    async def saturday() -> str:
        return describe_week(await source.current())[5]

    assert await saturday() == "zaterdag: 10:00–12:00"  # .env's while it answers 503
    gateway["state"] = "up"
    assert await saturday() == "zaterdag: gesloten"  # the gateway's, at once
    gateway["state"] = "hanging"
    assert await saturday() == "zaterdag: 10:00–12:00"  # timed out
    gateway["state"] = "up"
    moment[0] = RETRY_AFTER_S - 1  # not asked again so soon after a timeout
    assert await saturday() == "zaterdag: 10:00–12:00"
    moment[0] = RETRY_AFTER_S + 1
    assert await saturday() == "zaterdag: gesloten"

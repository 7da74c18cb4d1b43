"""Admins manage inbox accounts (bot/inbox/workers_api.py): add someone, and deactivate
someone who left — their password, token and open sessions stop working at once, and the
conversations they held go back to the queue. Through the real app on a real database."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.store.models import AuditEntry, Conversation, Handoff, HandoffStatus
from tests.gateway_helpers import REST_WEBHOOK, escalate, stored_messages, worker

WORKERS = "/api/v1/admin/workers"
PASSWORD = "wachtwoord-123"


@pytest.fixture
def gateway(botless_gateway):  # type: ignore[no-untyped-def]
    return botless_gateway


async def claimed_conversation(gateway: TestClient, sessions: sessionmaker, sender: str,
                               headers: dict[str, str]) -> str:
    """A young person's conversation, escalated and claimed with `headers`."""
    first = await gateway.post(REST_WEBHOOK, json={"sender": sender, "message": "mag ik iemand"})
    assert first.status == 503  # stored; no bot runs here
    async with sessions() as session:
        conversation_id = str((await session.execute(select(Conversation.id).where(
            Conversation.channel_user_id == sender))).scalar_one())
    assert (await escalate(gateway, conversation_id, escalation_id=sender)).status == 201
    claim = await gateway.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
    assert claim.status == 200
    return conversation_id


async def log_in(gateway: TestClient, name: str) -> Any:
    return await gateway.post("/inbox/login", json={"name": name, "password": PASSWORD})


async def test_an_admin_adds_an_account_that_can_log_in_and_use_its_token(gateway) -> None:
    admin, sam = await worker(gateway, "anna", "admin"), await worker(gateway, "sam")
    new = {"name": "kim", "role": "worker", "team": "nacht", "password": PASSWORD}
    assert (await gateway.post(WORKERS, json=new, headers=sam)).status == 403
    assert (await gateway.get(WORKERS, headers=sam)).status == 403

    made = await gateway.post(WORKERS, json=new, headers=admin)

    assert made.status == 201
    account = await made.json()
    assert account["name"] == "kim" and account["api_token"].startswith("bzk_")
    token = {"Authorization": f"Bearer {account['api_token']}"}
    assert (await (await gateway.get("/api/v1/me", headers=token)).json())["name"] == "kim"
    assert (await log_in(gateway, "kim")).status == 200
    listed = (await (await gateway.get(WORKERS, headers=admin)).json())["workers"]
    assert [(w["name"], w["role"], w["team"], w["active"]) for w in listed] == [
        ("anna", "admin", None, True), ("kim", "worker", "nacht", True),
        ("sam", "worker", None, True)]
    assert all("api_token" not in w and "password_hash" not in w for w in listed)
    taken = await gateway.post(WORKERS, json=new, headers=admin)
    assert taken.status == 409
    for bad in ({**new, "name": "lou", "password": "kort"}, {**new, "name": "lou", "role": "baas"},
                {"name": "lou", "role": "worker"}, {**new, "name": ""}):
        response = await gateway.post(WORKERS, json=bad, headers=admin)
        assert response.status == 400, bad
        assert (await response.json())["error"]


async def test_deactivation_locks_out_at_once_and_requeues_what_they_held(
        gateway, sessions: sessionmaker, db_url: str) -> None:
    admin = await worker(gateway, "anna", "admin")
    made = await (await gateway.post(WORKERS, headers=admin, json={
        "name": "kim", "role": "worker", "password": PASSWORD})).json()
    kim = {"Authorization": f"Bearer {made['api_token']}"}
    held = await claimed_conversation(gateway, sessions, "jongere-kim", kim)
    login = await log_in(gateway, "kim")
    assert login.status == 200
    cookie = login.cookies["bz_session"].value
    sam = await worker(gateway, "sam")

    gone = await gateway.post(f"{WORKERS}/{made['id']}/deactivate", headers=admin)

    assert gone.status == 200
    assert (await gone.json())["active"] is False and (await gone.json())["released"] == 1
    assert (await gateway.get("/api/v1/me", headers=kim)).status == 401
    gateway.session.cookie_jar.clear()
    stale = await gateway.get("/api/v1/me", cookies={"bz_session": cookie})
    assert stale.status == 401
    assert (await log_in(gateway, "kim")).status == 401
    # What kim held waits for a colleague again, who can claim it; the young person is told.
    notices = [m.text for m in await stored_messages(db_url) if m.sender == "system"]
    assert notices[-1].startswith("Je gesprek gaat naar een collega")
    queue = await (await gateway.get("/api/v1/queue", headers=sam)).json()
    assert [(q["conversation_id"], q["status"]) for q in queue["queue"]] == [(held, "queued")]
    assert (await gateway.post(f"/api/v1/conversations/{held}/claim",
                               headers=sam)).status == 200
    # Nobody hands a conversation to someone who left.
    moved = await gateway.post(f"/api/v1/conversations/{held}/transfer", headers=sam,
                               json={"worker": "kim"})
    assert moved.status == 404
    async with sessions() as session:
        handoff = (await session.execute(select(Handoff))).scalar_one()
        released = list((await session.execute(select(AuditEntry.worker_id).where(
            AuditEntry.action == "release"))).scalars())
    assert handoff.status == HandoffStatus.ASSIGNED and handoff.worker_id != made["id"]
    assert len(released) == 1

    back = await gateway.post(f"{WORKERS}/{made['id']}/activate", headers=admin)
    assert back.status == 200 and (await back.json())["active"] is True
    assert (await gateway.get("/api/v1/me", headers=kim)).status == 200


async def test_an_admin_cannot_lock_themselves_out_and_unknown_accounts_are_404(gateway) -> None:
    admin = await worker(gateway, "anna", "admin")
    (me,) = (await (await gateway.get(WORKERS, headers=admin)).json())["workers"]
    own = await gateway.post(f"{WORKERS}/{me['id']}/deactivate", headers=admin)
    assert own.status == 409
    assert (await gateway.get("/api/v1/me", headers=admin)).status == 200
    for path in ("999/deactivate", "999/activate", "abc/deactivate"):
        assert (await gateway.post(f"{WORKERS}/{path}", headers=admin)).status == 404, path


async def test_an_admin_gives_a_new_password_and_a_new_token(gateway) -> None:
    admin = await worker(gateway, "anna", "admin")
    made = await (await gateway.post(WORKERS, headers=admin, json={
        "name": "kim", "role": "worker", "password": PASSWORD})).json()
    old_token = {"Authorization": f"Bearer {made['api_token']}"}
    login = await log_in(gateway, "kim")
    cookie = login.cookies["bz_session"].value
    gateway.session.cookie_jar.clear()
    url = f"{WORKERS}/{made['id']}"

    assert (await gateway.post(url + "/password", headers=admin,
                               json={"password": "kort"})).status == 400
    renewed = await gateway.post(url + "/password", headers=admin,
                                 json={"password": "een-nieuw-wachtwoord"})

    assert renewed.status == 200
    assert (await log_in(gateway, "kim")).status == 401  # the old password
    gateway.session.cookie_jar.clear()
    assert (await gateway.get("/api/v1/me", cookies={"bz_session": cookie})).status == 401
    assert (await gateway.post("/inbox/login", json={
        "name": "kim", "password": "een-nieuw-wachtwoord"})).status == 200
    gateway.session.cookie_jar.clear()
    assert (await gateway.get("/api/v1/me", headers=old_token)).status == 200  # untouched

    replaced = await gateway.post(url + "/token", headers=admin)

    new_token = {"Authorization": f"Bearer {(await replaced.json())['api_token']}"}
    assert (await gateway.get("/api/v1/me", headers=old_token)).status == 401
    assert (await (await gateway.get("/api/v1/me", headers=new_token)).json())["name"] == "kim"
    sam = await worker(gateway, "sam")
    assert (await gateway.post(url + "/token", headers=sam)).status == 403
    for path in ("999/password", "999/token"):
        response = await gateway.post(f"{WORKERS}/{path}", headers=admin,
                                      json={"password": "een-nieuw-wachtwoord"})
        assert response.status == 404, path


async def test_an_admin_changes_someones_role_and_team_but_not_their_own_role(
        gateway, sessions: sessionmaker) -> None:
    admin, sam = await worker(gateway, "anna", "admin"), await worker(gateway, "sam")
    listed = (await (await gateway.get(WORKERS, headers=admin)).json())["workers"]
    ids = {w["name"]: w["id"] for w in listed}
    assert (await gateway.get(WORKERS, headers=sam)).status == 403

    made_admin = await gateway.post(f"{WORKERS}/{ids['sam']}/role", headers=admin,
                                    json={"role": "admin", "team": " nacht "})

    assert made_admin.status == 200
    assert (await made_admin.json())["role"] == "admin"
    assert (await made_admin.json())["team"] == "nacht"
    assert (await gateway.get(WORKERS, headers=sam)).status == 200  # at once
    back = await gateway.post(f"{WORKERS}/{ids['sam']}/role", headers=admin,
                              json={"role": "worker", "team": None})
    assert (await back.json())["team"] is None
    assert (await gateway.get(WORKERS, headers=sam)).status == 403
    own = await gateway.post(f"{WORKERS}/{ids['anna']}/role", headers=admin,
                             json={"role": "worker", "team": None})
    assert own.status == 409
    for bad in ({"role": "baas", "team": None}, {"role": "worker"},
                {"role": "worker", "team": "x" * 65}):
        response = await gateway.post(f"{WORKERS}/{ids['sam']}/role", headers=admin, json=bad)
        assert response.status == 400, bad
    assert (await gateway.post(f"{WORKERS}/999/role", headers=admin,
                               json={"role": "worker", "team": None})).status == 404
    async with sessions() as session:
        changes = (await session.execute(select(AuditEntry.target_worker_id).where(
            AuditEntry.action == "change_account"))).scalars().all()
    assert changes == [ids["sam"], ids["sam"]]

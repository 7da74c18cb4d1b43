"""Admins read the audit log (bot/inbox/audit_api.py): who read or acted on a conversation,
who changed which account — narrowed to one conversation or one worker, a page at a time,
never with a message's text. Through the real app on a real database."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.inbox.audit_api import PAGE
from bot.store.models import AuditEntry, Conversation
from tests.gateway_helpers import REST_WEBHOOK, escalate, worker

AUDIT = "/api/v1/admin/audit"
WORKERS = "/api/v1/admin/workers"
SECRET_TEXT = "mijn geheim: ik woon bij mijn oom"


async def entries(gateway: TestClient, headers: dict[str, str], **query: str) -> dict:
    response = await gateway.get(AUDIT, params=query, headers=headers)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert SECRET_TEXT not in await response.text()
    return body


async def test_an_admin_sees_who_read_and_did_what_with_one_conversation(
        botless_gateway: TestClient, sessions: sessionmaker) -> None:
    gateway = botless_gateway
    admin, sam = await worker(gateway, "anna", "admin"), await worker(gateway, "sam")
    for sender in ("jongere-1", "jongere-2"):
        await gateway.post(REST_WEBHOOK, json={"sender": sender, "message": SECRET_TEXT})
    async with sessions() as session:
        first, second = (await session.execute(select(Conversation.id).order_by(
            Conversation.created_at, Conversation.id))).scalars().all()
    for number, conversation_id in enumerate((first, second)):
        assert (await escalate(gateway, conversation_id, escalation_id=f"e{number}")).status == 201
    for conversation_id in (first, second):
        assert (await gateway.post(f"/api/v1/conversations/{conversation_id}/claim",
                                   headers=sam)).status == 200
    assert (await gateway.get(f"/api/v1/conversations/{first}", headers=sam)).status == 200
    assert (await gateway.get(f"/api/v1/conversations/{first}", headers=admin)).status == 200

    assert (await gateway.get(AUDIT, headers=sam)).status == 403
    one = (await entries(gateway, admin, conversation=first))["entries"]

    assert [(e["by"], e["action"]) for e in one] == [
        ("anna", "read_transcript"), ("sam", "read_transcript"), ("sam", "claim")]
    assert {e["conversation_id"] for e in one} == {first}
    assert all(e["at"] and e["account"] is None for e in one)
    everything = await entries(gateway, admin)
    assert len(everything["entries"]) == 4 and everything["more"] is False
    assert [e["action"] for e in (await entries(gateway, admin, worker="anna"))["entries"]] \
        == ["read_transcript"]


async def test_every_change_to_an_account_is_in_the_log_under_that_account(
        botless_gateway: TestClient) -> None:
    gateway = botless_gateway
    admin = await worker(gateway, "anna", "admin")
    made = await (await gateway.post(WORKERS, headers=admin, json={
        "name": "kim", "role": "worker", "password": "wachtwoord-123"})).json()
    base = f"{WORKERS}/{made['id']}"
    for step, body in (("password", {"password": "een-nieuw-wachtwoord"}), ("token", {}),
                       ("deactivate", {}), ("activate", {})):
        assert (await gateway.post(f"{base}/{step}", json=body, headers=admin)).status == 200

    kim = (await entries(gateway, admin, worker="kim"))["entries"]

    assert [(e["by"], e["action"], e["account"]) for e in kim] == [
        ("anna", "activate_account", "kim"), ("anna", "deactivate_account", "kim"),
        ("anna", "new_api_token", "kim"), ("anna", "new_password", "kim"),
        ("anna", "add_account", "kim")]
    refused = await gateway.post(f"{base}/password", json={"password": "kort"}, headers=admin)
    assert refused.status == 400  # refused: nothing changed, nothing logged
    assert len((await entries(gateway, admin, worker="kim"))["entries"]) == 5


async def test_the_log_comes_a_page_at_a_time_and_bad_filters_are_refused(
        botless_gateway: TestClient, sessions: sessionmaker) -> None:
    gateway = botless_gateway
    admin = await worker(gateway, "anna", "admin")
    async with sessions() as session, session.begin():
        session.add_all(AuditEntry(action="erase", conversation_id=f"c{i}")
                        for i in range(PAGE + 5))

    first = await entries(gateway, admin)
    rest = await entries(gateway, admin, before=str(first["entries"][-1]["id"]))

    assert len(first["entries"]) == PAGE and first["more"] is True
    assert len(rest["entries"]) == 5 and rest["more"] is False
    ids = [e["id"] for e in first["entries"] + rest["entries"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == PAGE + 5
    assert first["entries"][0]["by"] is None  # the command line
    for bad in ({"before": "gisteren"}, {"conversation": "x" * 65}):
        response = await gateway.get(AUDIT, params=bad, headers=admin)
        assert response.status == 400 and (await response.json())["error"]

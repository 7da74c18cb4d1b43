"""Escalation webhook, worker API, login/CSRF and notifications through the real app.

Rasa is not needed here: a young person's conversation exists as soon as their first
message is stored (the bot being down does not lose it), and the action server's
escalation is played by a signed POST exactly as actions/gateway_client.py sends it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.app import HTTP, NOTIFIER, SETTINGS, init_app
from bot.config import REPO_ROOT
from bot.signing import sign, verify
from bot.store.db import create_engine, session_factory
from bot.store.models import AuditEntry, Conversation, Handoff, Notification
from tests.conftest import free_port, make_settings
from tests.gateway_helpers import REST_WEBHOOK, SECRET, escalate, stored_messages, worker

NOTIFY_SECRET = "notify-secret"


@pytest.fixture
async def receiver(aiohttp_server):  # type: ignore[no-untyped-def]
    """A local notification receiver that fails the first delivery with 500."""
    received: list[tuple[bytes, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers.get("X-Broekzak-Signature", "")))
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/hook")), received


@pytest.fixture
async def gateway(aiohttp_client, db_url, receiver):  # type: ignore[no-untyped-def]
    url, _ = receiver
    settings = make_settings(DATABASE_URL=db_url, HANDOFF_SECRET=SECRET,
                             RASA_URL=f"http://127.0.0.1:{free_port()}", RASA_TIMEOUT_S="1",
                             NOTIFY_WEBHOOK_URLS=url, NOTIFY_SECRET=NOTIFY_SECRET,
                             OPENING_HOURS="ma-zo 00:00-24:00")
    return await aiohttp_client(init_app(settings))


async def start_conversation(client, sender: str = "jongere-1") -> str:  # type: ignore[no-untyped-def]
    """A young person's first message: stored (503 because no bot runs here)."""
    response = await client.post(REST_WEBHOOK,
                                 json={"sender": sender, "message": "ik wil iemand spreken"})
    assert response.status == 503
    engine = create_engine(client.app[SETTINGS].database_url)
    try:
        async with session_factory(engine)() as session:
            return str((await session.execute(select(Conversation.id).where(
                Conversation.channel_user_id == sender))).scalar_one())
    finally:
        await engine.dispose()


async def count(db_url: str, model) -> int:  # type: ignore[no-untyped-def]
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return int((await session.execute(
                select(func.count()).select_from(model))).scalar_one())
    finally:
        await engine.dispose()


async def test_escalation_needs_a_valid_signature(gateway, db_url) -> None:
    conversation_id = await start_conversation(gateway)
    assert (await escalate(gateway, conversation_id, secret="wrong")).status == 401
    response = await gateway.post("/webhooks/handoff", data=b"{}")
    assert response.status == 401
    assert await count(db_url, Handoff) == 0


async def test_retried_escalation_creates_one_handoff(gateway, db_url) -> None:
    conversation_id = await start_conversation(gateway)
    first = await escalate(gateway, conversation_id)
    assert first.status == 201
    body = await first.json()
    assert body["queue_position"] == 1 and body["someone_available"] is False
    retried = await asyncio.gather(*(escalate(gateway, conversation_id) for _ in range(3)))
    assert [r.status for r in retried] == [200, 200, 200]
    assert await count(db_url, Handoff) == 1


async def test_unknown_conversation_and_bad_fields_are_4xx(gateway) -> None:
    assert (await escalate(gateway, "no-such-conversation")).status == 404
    body = b'{"escalation_id": "x", "conversation_id": "y", "priority": "loud"}'
    response = await gateway.post("/webhooks/handoff", data=body,
                                  headers={"X-Broekzak-Signature": sign(SECRET, body)})
    assert response.status == 400


async def test_two_concurrent_claims_one_wins(gateway) -> None:
    conversation_id = await start_conversation(gateway)
    await escalate(gateway, conversation_id)
    sam, kim = await worker(gateway, "sam"), await worker(gateway, "kim")
    url = f"/api/v1/conversations/{conversation_id}/claim"
    responses = await asyncio.gather(gateway.post(url, headers=sam), gateway.post(url, headers=kim))
    assert sorted(r.status for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status == 409)
    assert "someone else" in (await loser.json())["error"]


async def test_transfer_to_a_team_queues_again_and_tells_the_young_person(gateway, db_url) -> None:
    conversation_id = await start_conversation(gateway)
    await escalate(gateway, conversation_id)
    sam = await worker(gateway, "sam")
    base = f"/api/v1/conversations/{conversation_id}"
    assert (await gateway.post(base + "/claim", headers=sam)).status == 200
    moved = await gateway.post(base + "/transfer", json={"team": "nacht"}, headers=sam)
    assert moved.status == 200
    queue = await (await gateway.get("/api/v1/queue", headers=sam)).json()
    assert [q["conversation_id"] for q in queue["queue"]] == [conversation_id]
    notices = [m.text for m in await stored_messages(db_url) if m.sender == "system"]
    assert notices[0].startswith("Je praat nu met sam")
    assert notices[1].startswith("Je gesprek gaat naar een collega")
    # A transfer to nobody, or to a worker who does not exist, tells the young person nothing.
    assert (await gateway.post(base + "/claim", headers=sam)).status == 200
    assert (await gateway.post(base + "/transfer", json={}, headers=sam)).status == 400
    assert (await gateway.post(base + "/transfer", json={"worker": "niemand"},
                               headers=sam)).status == 404
    assert len([m for m in await stored_messages(db_url) if m.sender == "system"]) == 3


async def test_worker_flow_reply_note_transfer_close(gateway, db_url) -> None:
    conversation_id = await start_conversation(gateway)
    await escalate(gateway, conversation_id)
    sam, kim = await worker(gateway, "sam"), await worker(gateway, "kim")
    base = f"/api/v1/conversations/{conversation_id}"
    queue = await (await gateway.get("/api/v1/queue", headers=sam)).json()
    assert [q["conversation_id"] for q in queue["queue"]] == [conversation_id]
    # Replying before claiming, or with nothing to say, is refused.
    assert (await gateway.post(base + "/messages", json={"text": "hoi"}, headers=sam)).status == 409
    assert (await gateway.post(base + "/claim", headers=sam)).status == 200
    assert (await gateway.post(base + "/messages", json={"text": "  "}, headers=sam)).status == 400
    assert (await gateway.post(base + "/messages", json={}, headers=sam)).status == 400
    reply = await gateway.post(base + "/messages", json={"text": "Hoi, ik ben Sam."}, headers=sam)
    assert reply.status == 201
    assert (await gateway.post(base + "/notes", json={"text": "lijkt somber"},
                               headers=sam)).status == 201
    # Kim cannot write in Sam's conversation; Sam transfers it to Kim.
    assert (await gateway.post(base + "/messages", json={"text": "x"}, headers=kim)).status == 409
    assert (await gateway.post(base + "/transfer", json={"worker": "kim"},
                               headers=sam)).status == 200
    detail = await (await gateway.get(base, headers=kim)).json()
    assert detail["handoff"]["worker"] == "kim"
    assert detail["notes"][0]["text"] == "lijkt somber"
    # The young person was told who took over, and who has it after the transfer.
    assert [m["sender"] for m in detail["messages"]] == ["user", "system", "worker", "system"]
    assert [m["text"].split(",")[0] for m in detail["messages"] if m["sender"] == "system"] \
        == ["Je praat nu met sam", "Je praat nu met kim"]
    closed = await gateway.post(base + "/close", json={"outcome": "afgerond"}, headers=kim)
    assert closed.status == 200
    # Closed: no more replies; the conversation is the bot's again.
    again = await gateway.post(base + "/messages", json={"text": "nog iets"}, headers=kim)
    assert again.status == 409
    assert (await gateway.post(base + "/close", headers=kim)).status == 409
    assert [m.sender for m in await stored_messages(db_url)] == \
        ["user", "system", "worker", "system"]
    assert await count(db_url, AuditEntry) >= 4


async def test_api_needs_authentication(gateway) -> None:
    assert (await gateway.get("/api/v1/queue")).status == 401
    bad = {"Authorization": "Bearer nope"}
    assert (await gateway.get("/api/v1/queue", headers=bad)).status == 401
    missing = await gateway.get("/api/v1/conversations/x", headers=await worker(gateway))
    assert missing.status == 404


async def test_workers_read_only_conversations_handed_to_a_human_admins_all(gateway) -> None:
    bot_only = await start_conversation(gateway, "jongere-alleen-bot")
    handed = await start_conversation(gateway, "jongere-wil-iemand")
    assert (await escalate(gateway, handed)).status == 201
    sam, anna = await worker(gateway, "sam"), await worker(gateway, "anna", "admin")
    url = "/api/v1/conversations/{}"
    hidden = await gateway.get(url.format(bot_only), headers=sam)
    assert hidden.status == 404 and (await hidden.json())["error"] == "unknown conversation"
    assert (await gateway.get(url.format(handed), headers=sam)).status == 200
    assert (await gateway.get(url.format(bot_only), headers=anna)).status == 200


async def test_login_session_and_csrf(gateway) -> None:
    await worker(gateway, "sam")
    wrong = await gateway.post("/inbox/login", json={"name": "sam", "password": "fout-fout-fout"})
    assert wrong.status == 401
    login = await gateway.post("/inbox/login", json={"name": "sam", "password": "wachtwoord-123"})
    assert login.status == 200
    cookie = login.cookies["bz_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    csrf = (await login.json())["csrf_token"]
    assert (await gateway.get("/api/v1/me")).status == 200
    assert (await gateway.post("/api/v1/presence", json={"online": True})).status == 403
    ok = await gateway.post("/api/v1/presence", json={"online": True},
                            headers={"X-CSRF-Token": csrf})
    assert ok.status == 200
    assert (await gateway.post("/inbox/logout", headers={"X-CSRF-Token": csrf})).status == 200
    assert (await gateway.get("/api/v1/me")).status == 401


async def test_notifications_are_signed_retried_and_hold_no_user_text(
    gateway, receiver, db_url
) -> None:
    _, received = receiver
    conversation_id = await start_conversation(gateway)
    await escalate(gateway, conversation_id, priority="urgent")
    notifier = gateway.app[NOTIFIER]
    engine = create_engine(db_url)
    try:
        for _ in range(3):
            await notifier.deliver_due(gateway.app[HTTP])
            async with session_factory(engine)() as session:
                pending = (await session.execute(select(Notification))).scalar_one()
                pending.next_attempt_at = pending.created_at  # due now: skip the back-off
                await session.commit()
    finally:
        await engine.dispose()
    assert len(received) == 2  # 500 first, then delivered once
    body, signature = received[-1]
    assert verify(NOTIFY_SECRET, body, signature)
    payload = json.loads(body)
    assert payload["priority"] == "urgent" and payload["conversation_id"] == conversation_id
    assert "spreken" not in body.decode()  # the young person's words never leave


def test_openapi_document_lists_every_api_route_with_its_method() -> None:
    from bot.inbox.openapi import OPENAPI

    app = init_app(make_settings())
    routes = {(r.resource.canonical, r.method.lower()) for r in app.router.routes()
              if r.resource is not None and r.resource.canonical.startswith("/api/v1/")
              and r.method != "HEAD"}
    # Not operations to describe: the document itself and the live websocket.
    routes -= {("/api/v1/openapi.json", "get"), ("/api/v1/live", "get")}
    documented = {(path, method) for path, operations in OPENAPI["paths"].items()
                  for method in operations}
    assert routes == documented
    assert "409" in OPENAPI["paths"]["/api/v1/conversations/{id}/claim"]["post"]["responses"]


async def test_openapi_is_served(gateway) -> None:
    response = await gateway.get("/api/v1/openapi.json")
    assert (await response.json())["openapi"].startswith("3.")


def test_worker_add_prints_the_token_last(tmp_path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-m", "bot", "worker", "add", "sam", "--role",
                             "admin"], input="wachtwoord-123\n", capture_output=True, text=True,
                            env=env, cwd=REPO_ROOT, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("bzk_")


async def test_live_socket_refuses_other_origins(gateway) -> None:
    headers = {**(await worker(gateway)), "Origin": "https://evil.example"}
    response = await gateway.get("/api/v1/live", headers=headers)
    assert response.status == 403


@pytest.fixture
async def impatient(aiohttp_client, db_url, receiver):  # type: ignore[no-untyped-def]
    """A gateway whose waiting notice and urgent re-notification are due at once."""
    url, _ = receiver
    settings = make_settings(DATABASE_URL=db_url, HANDOFF_SECRET=SECRET,
                             RASA_URL=f"http://127.0.0.1:{free_port()}", RASA_TIMEOUT_S="1",
                             NOTIFY_WEBHOOK_URLS=url, NOTIFY_SECRET=NOTIFY_SECRET,
                             WAITING_NOTICE_MINUTES="0", URGENT_RENOTIFY_MINUTES="0")
    return await aiohttp_client(init_app(settings))


async def test_waiting_notice_once_and_unclaimed_urgent_notified_again(impatient, db_url) -> None:
    from bot.app import _handoff_checks

    conversation_id = await start_conversation(impatient)
    await escalate(impatient, conversation_id, priority="urgent")
    before = await count(db_url, Notification)
    await asyncio.sleep(0.05)
    await _handoff_checks(impatient.app)
    await _handoff_checks(impatient.app)
    notices = [m for m in await stored_messages(db_url) if m.sender == "system"]
    assert [m.text.startswith("We hebben je bericht") for m in notices] == [True]
    assert await count(db_url, Notification) >= before + 1
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            bodies = [json.loads(n.body) for n in (await session.execute(
                select(Notification))).scalars()]
    finally:
        await engine.dispose()
    assert "handoff.unclaimed" in {b["event"] for b in bodies}

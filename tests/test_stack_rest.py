"""The REST channel through the real stack: trained model, Rasa server, action server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import SERVICE, init_app
from bot.conversations.service import Inbound
from tests.gateway_helpers import REST_WEBHOOK, count_rows, stored_messages

pytestmark = pytest.mark.stack


@pytest.fixture
async def client(aiohttp_client, stack, db_url):  # type: ignore[no-untyped-def]
    """The gateway wired to the real Rasa server."""
    return await aiohttp_client(init_app(stack.gateway_settings(db_url)))


async def say(client, sender: str, text: str, message_id: str | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    body = {"sender": sender, "message": text}
    if message_id:
        body["message_id"] = message_id
    response = await client.post(REST_WEBHOOK, json=body)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_hoi_gets_a_dutch_greeting_with_buttons_and_both_sides_are_stored(
    client, db_url
) -> None:
    replies = await say(client, "jongere-1", "hoi")
    assert replies, "the bot said nothing"
    assert all(r["recipient_id"] == "jongere-1" for r in replies)
    text = " ".join(r["text"] for r in replies).lower()
    assert "chatbot" in text or "bot" in text
    buttons = [b for r in replies for b in r.get("buttons", [])]
    assert {b["payload"] for b in buttons} >= {"/request_human", "/ask_how_it_works"}
    stored = await stored_messages(db_url)
    assert [(m.direction, m.sender) for m in stored][:2] == [("in", "user"), ("out", "bot")]
    assert stored[0].text == "hoi"
    assert stored[1].text == replies[0]["text"]


async def test_a_pressed_button_is_followed_and_a_retry_is_answered_once(client, db_url) -> None:
    await say(client, "jongere-2", "hallo")
    first = await say(client, "jongere-2", "/ask_how_it_works", message_id="btn-1")
    assert first and "hulpverlener" in " ".join(r["text"] for r in first).lower()
    _, before = await count_rows(db_url)
    again = await say(client, "jongere-2", "/ask_how_it_works", message_id="btn-1")
    assert again == first
    assert (await count_rows(db_url))[1] == before


async def test_concurrent_redeliveries_are_answered_once(client, db_url) -> None:
    results = await asyncio.gather(*(say(client, "jongere-3", "is dit anoniem", "dup-1")
                                     for _ in range(4)))
    assert all(r == results[0] for r in results)
    outbound = [m for m in await stored_messages(db_url) if m.direction == "out"]
    assert len(outbound) == len(results[0])


async def test_typed_intent_commands_are_not_force_parsed(client) -> None:
    # The feedback payload was never offered here: typed, it must go through NLU as plain
    # text — and NLU never predicts give_feedback (it has no examples) — instead of
    # forcing the intent with Rasa's "/intent{entities}" syntax.
    replies = await say(client, "jongere-4", '/give_feedback{"rating": "goed"}')
    assert replies
    assert "Daar leren we van" not in " ".join(r["text"] for r in replies)


@pytest.mark.parametrize("text", ["😀😀😀", "مرحبا كيف حالك", "hé hoe gaat ’t? ¿ ß ŷ"])
async def test_emoji_and_rtl_text_are_answered_and_stored_intact(client, db_url, text) -> None:
    replies = await say(client, "jongere-5", text)
    assert replies
    assert (await stored_messages(db_url))[0].text == text


async def test_the_bot_tells_the_opening_hours_in_force_also_right_after_an_admin_changes_them(
        make_live_gateway) -> None:
    # The test stack's action server has .env's "ma-zo 00:00-24:00"; it asks the gateway.
    gateway = await make_live_gateway(OPENING_HOURS="ma-vr 09:00-17:00")
    first = " ".join(r["text"] for r in await say(gateway.client, "jongere-6",
                                                   "wanneer zijn jullie online"))
    assert "maandag: 09:00–17:00" in first and "zondag: gesloten" in first

    admin = {"Authorization": f"Bearer {await gateway.add_worker('anna', 'admin')}"}
    saved = await gateway.client.put("/api/v1/admin/service", headers=admin, json={
        "opening_hours": "za 10:00-12:00", "holidays": "", "oncall_webhook_url": "",
        "retention_days": 90})
    assert saved.status == 200
    second = " ".join(r["text"] for r in await say(gateway.client, "jongere-7",
                                                    "wanneer zijn jullie online"))
    assert "zaterdag: 10:00–12:00" in second and "maandag: gesloten" in second


async def test_redeliveries_to_two_gateway_processes_are_answered_once(
        aiohttp_client, stack, db_url) -> None:
    # Two gateways on one database, as behind a load balancer: a platform's re-delivery
    # may reach the other process while the first is still waiting for Rasa.
    first = await aiohttp_client(init_app(stack.gateway_settings(db_url)))
    second = await aiohttp_client(init_app(stack.gateway_settings(db_url)))
    results = await asyncio.gather(*(say(gateway, "jongere-4", "is dit anoniem", "dup-2")
                                     for gateway in (first, second, first, second)))
    assert results[0], "the bot said nothing"
    assert all(r == results[0] for r in results)
    outbound = [m for m in await stored_messages(db_url) if m.direction == "out"]
    assert len(outbound) == len(results[0])


async def test_a_message_being_answered_is_not_retried_by_another_process(
        aiohttp_client, stack, db_url) -> None:
    first = (await aiohttp_client(init_app(stack.gateway_settings(db_url)))).server.app[SERVICE]
    second = (await aiohttp_client(init_app(stack.gateway_settings(db_url)))).server.app[SERVICE]
    received = await first.receive(Inbound("rest", "jongere-5", "r-1", "wat kost het"))
    answer, retried = await asyncio.gather(
        first.process(received.conversation_id, received.message_id),
        second.retry_unanswered(older_than=timedelta(0)))
    assert answer.replies, "the bot said nothing"
    outbound = [m for m in await stored_messages(db_url) if m.direction == "out"]
    assert len(outbound) == len(answer.replies)
    # Whichever process got there first, the message was answered once, and is done.
    assert await second.retry_unanswered(older_than=timedelta(0)) == 0
    assert retried in (0, 1)

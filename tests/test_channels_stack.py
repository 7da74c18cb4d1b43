"""WhatsApp and Telegram through the real stack, against faithful fakes of the platforms.

The fakes (tests/fakes/) answer as Meta's Graph API and Telegram's Bot API do and play
their webhooks at the gateway, signed as the platforms sign them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from playwright.async_api import expect
from sqlalchemy import select

from bot.store.db import create_engine, session_factory
from bot.store.models import ChannelOutbox, Conversation, Handoff, Message, OutboxStatus
from tests.browser import launch_chromium
from tests.fakes import telegram_api as tg
from tests.fakes import whatsapp_api as wa
from tests.inbox_page import DESKTOP, PASSWORD, open_inbox

pytestmark = pytest.mark.stack
APP_SECRET = "test_app_secret"
WA_TOKEN = "wa-access-token"
TG_TOKEN = "123456789:AAtest-token"
TG_SECRET = "tg-secret_123"


async def eventually(condition: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    """Poll until condition() is truthy (the channel answers in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the channel")
        await asyncio.sleep(0.1)


async def stored(db_url: str, model: Any) -> list[Any]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(model))).scalars())
    finally:
        await engine.dispose()


@pytest.fixture
async def platforms(aiohttp_server, make_live_gateway):  # type: ignore[no-untyped-def]
    wa_app, wa_fake = wa.create_whatsapp_fake(APP_SECRET, WA_TOKEN)
    tg_app, tg_fake = tg.create_telegram_fake(TG_TOKEN)
    wa_server = await aiohttp_server(wa_app)
    tg_server = await aiohttp_server(tg_app)
    gateway = await make_live_gateway(
        WHATSAPP_API_URL=str(wa_server.make_url("")).rstrip("/"),
        WHATSAPP_ACCESS_TOKEN=WA_TOKEN, WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_VERIFY_TOKEN="verify-me", WHATSAPP_PHONE_NUMBER_ID=wa.DEFAULT_PHONE_NUMBER_ID,
        TELEGRAM_API_URL=str(tg_server.make_url("")).rstrip("/"),
        TELEGRAM_BOT_TOKEN=TG_TOKEN, TELEGRAM_SECRET_TOKEN=TG_SECRET)
    async with aiohttp.ClientSession() as http:
        yield gateway, wa_fake, tg_fake, http


def wa_texts(fake: wa.FakeWhatsApp) -> list[str]:
    out = []
    for body in fake.messages:
        if body.get("type") == "text":
            out.append(body["text"]["body"])
        elif body.get("type") == "interactive":
            out.append(body["interactive"]["body"]["text"])
    return out


async def test_whatsapp_conversation_greeting_button_question_and_a_worker(platforms) -> None:
    gateway, fake, _, http = platforms
    url = gateway.url("/webhooks/whatsapp/webhook")
    # Meta's verification handshake.
    ok = await http.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "verify-me",
                                     "hub.challenge": "1158201444"})
    assert ok.status == 200 and await ok.text() == "1158201444"
    bad = await http.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                      "hub.challenge": "1"})
    assert bad.status == 403

    greeting = wa.envelope(messages=[wa.text_message("hoi")])
    response = await wa.deliver(http, url, greeting, APP_SECRET)
    assert response.status == 200
    buttons_msg = await eventually(lambda: next(
        (b for b in fake.messages if b.get("type") == "interactive"), None))
    buttons = buttons_msg["interactive"]["action"]["buttons"]
    assert 1 <= len(buttons) <= 3 and all(len(b["reply"]["title"]) <= 20 for b in buttons)
    assert any(b.get("status") == "read" for b in fake.messages)  # inbound marked read
    # The same webhook again (Meta re-delivers): not answered twice.
    assert (await wa.deliver(http, url, greeting, APP_SECRET)).status == 200

    how = next(b for b in buttons if "werkt" in b["reply"]["title"].lower())
    before = len(wa_texts(fake))
    press = wa.envelope(messages=[wa.button_reply(how["reply"]["id"], how["reply"]["title"])])
    await wa.deliver(http, url, press, APP_SECRET)
    await eventually(lambda: len(wa_texts(fake)) > before)
    assert "hulpverlener" in " ".join(wa_texts(fake)[before:]).lower()

    await wa.deliver(http, url, wa.envelope(messages=[wa.text_message("ik wil met iemand praten")]),
                     APP_SECRET)
    [handoff] = await eventually_async(lambda: stored(gateway.db_url, Handoff))
    token = await gateway.add_worker("sam")
    auth = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/conversations/{handoff.conversation_id}"
    assert (await gateway.client.post(base + "/claim", headers=auth)).status == 200
    sent = await gateway.client.post(base + "/messages", json={"text": "Hoi, ik ben Sam."},
                                     headers=auth)
    assert sent.status == 201
    await eventually(lambda: "Hoi, ik ben Sam." in wa_texts(fake))
    messages = await stored(gateway.db_url, Message)
    user_texts = [m.text for m in messages if m.sender == "user"]
    assert user_texts.count("hoi") == 1  # the re-delivery was not stored again


async def eventually_async(make: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    """Like eventually, for an async condition."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await make()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.2)


async def test_whatsapp_bad_input_is_refused_and_nothing_is_stored(platforms) -> None:
    gateway, _, _, http = platforms
    url = gateway.url("/webhooks/whatsapp/webhook")
    body = wa.serialise(wa.envelope(messages=[wa.text_message("hoi")]))
    assert (await wa.deliver_raw(http, url, body, None)).status == 403
    assert (await wa.deliver_raw(http, url, body, None, signature="sha256=00")).status == 403
    assert (await wa.deliver_raw(http, url, wa.truncate(body), APP_SECRET)).status == 400
    assert (await wa.deliver_raw(http, url, b'{"object":"page"}', APP_SECRET)).status == 400
    assert await stored(gateway.db_url, Message) == []


async def test_whatsapp_media_unknown_types_and_a_300_kb_body(platforms) -> None:
    gateway, fake, _, http = platforms
    url = gateway.url("/webhooks/whatsapp/webhook")
    voice = wa.media_message("audio", voice=True)
    await wa.deliver(http, url, wa.envelope(messages=[voice, wa.unsupported_message()]), APP_SECRET)
    await eventually(lambda: sum("alleen tekst" in t for t in wa_texts(fake)) >= 2)
    big = wa.envelope(messages=[wa.text_message("x" * 300_000)])
    response = await wa.deliver(http, url, big, APP_SECRET)
    assert response.status == 200
    messages = await stored(gateway.db_url, Message)
    kept = [m for m in messages if m.direction == "in"]
    assert len(kept) == 3 and all(m.media for m in kept)  # kept for a worker, once each


async def test_whatsapp_rate_limit_is_retried_and_window_closed_is_shown(platforms) -> None:
    gateway, fake, _, http = platforms
    url = gateway.url("/webhooks/whatsapp/webhook")
    fake.fail_next(130429, http_status=400)
    await wa.deliver(http, url, wa.envelope(messages=[wa.text_message("is het gratis")]),
                     APP_SECRET)
    sent = await eventually_async(lambda: _sent_messages(gateway.db_url), timeout_s=60)
    assert [t for t in wa_texts(fake) if "gratis" in t.lower()]
    bodies = [json.dumps(b, sort_keys=True) for b in fake.messages]
    assert len(bodies) > len(set(bodies))  # the request refused with 130429 went out again
    status = wa.envelope(statuses=[wa.status_update(sent[-1].platform_message_id, "failed",
                                                    error_code=131047)])
    assert (await wa.deliver(http, url, status, APP_SECRET)).status == 200
    [conversation] = await stored(gateway.db_url, Conversation)
    assert conversation.delivery_problem == "window_closed"


async def _sent_messages(db_url: str) -> list[Any]:
    return [m for m in await stored(db_url, Message) if m.platform_message_id]


def tg_texts(fake: tg.FakeTelegram) -> list[str]:
    return [b["text"] for b in fake.bodies("sendMessage")]


async def test_telegram_conversation_buttons_duplicates_and_rate_limits(platforms) -> None:
    gateway, _, fake, http = platforms
    url = gateway.url("/webhooks/telegram/webhook")
    hello = tg.text_update("hoi")
    assert (await tg.deliver(http, url, hello, "wrong")).status == 403
    assert (await tg.deliver(http, url, hello, None)).status == 403
    assert (await tg.deliver(http, url, hello, TG_SECRET)).status == 200
    assert (await tg.deliver(http, url, hello, TG_SECRET)).status == 200  # re-delivered
    with_keyboard = await eventually(lambda: next(
        (b for b in fake.bodies("sendMessage") if "reply_markup" in b), None))
    keyboard = [row[0] for row in with_keyboard["reply_markup"]["inline_keyboard"]]
    assert all(len(k["callback_data"].encode()) <= 64 for k in keyboard)
    how = next(k for k in keyboard if "werkt" in k["text"].lower())
    before = len(tg_texts(fake))
    fake.fail_next(429, retry_after=1)
    await tg.deliver(http, url, tg.callback_update(how["callback_data"]), TG_SECRET)
    await eventually(lambda: fake.bodies("answerCallbackQuery"))
    await eventually(lambda: len(tg_texts(fake)) > before)
    assert "hulpverlener" in " ".join(tg_texts(fake)[before:]).lower()
    messages = await stored(gateway.db_url, Message)
    assert [m.text for m in messages if m.sender == "user"].count("hoi") == 1


async def test_telegram_blocked_user_is_recorded(platforms) -> None:
    gateway, _, fake, http = platforms
    fake.fail_next(403, times=3)
    url = gateway.url("/webhooks/telegram/webhook")
    await tg.deliver(http, url, tg.text_update("hallo", user_id=222), TG_SECRET)
    conversation = await eventually_async(lambda: _blocked(gateway.db_url))
    assert conversation.delivery_problem == "blocked"


async def _blocked(db_url: str) -> Any:
    return next((c for c in await stored(db_url, Conversation) if c.delivery_problem), None)


@pytest.mark.browser
async def test_worker_sees_in_the_inbox_that_whatsapp_refused_the_reply(platforms) -> None:
    """WhatsApp refuses a worker's reply (the 24-hour window closed): the worker is told
    at once and by the message itself, and the refused send is not retried."""
    gateway, fake, _, http = platforms
    await gateway.add_worker("sam", "worker", PASSWORD)
    async with launch_chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        await open_inbox(page, gateway, "sam")
        url = gateway.url("/webhooks/whatsapp/webhook")
        ask = wa.envelope(messages=[wa.text_message("ik wil met iemand praten")])
        assert (await wa.deliver(http, url, ask, APP_SECRET)).status == 200
        item = page.get_by_test_id("inbox-queue-item")
        await expect(item).to_have_count(1, timeout=30_000)
        await item.first.click()
        await page.get_by_test_id("inbox-claim").click()
        # Everything before the reply must be out first, so that the refusal hits the
        # worker's reply: the bot's answers and the claim's notice, which the click only
        # starts (an empty outbox right after the click proves nothing).
        await eventually(lambda: any(t.startswith("Je praat nu met sam") for t in wa_texts(fake)))
        await eventually_async(lambda: _outbox_drained(gateway.db_url))

        fake.fail_next(131047)  # "Re-engagement message": outside the 24-hour window
        reply = page.get_by_test_id("inbox-reply")
        await reply.fill("Hoi, ik ben Sam.")
        await reply.press("Enter")
        problem = "Niet afgeleverd: de jongere heeft 24 uur niets gestuurd"
        await expect(page.get_by_test_id("inbox-error")).to_contain_text(problem)
        undelivered = page.get_by_test_id("inbox-undelivered")
        await expect(undelivered).to_have_count(1)
        await expect(undelivered).to_contain_text(problem)

    assert wa_texts(fake).count("Hoi, ik ben Sam.") == 1  # refused for good: not sent again
    [conversation] = await stored(gateway.db_url, Conversation)
    assert conversation.delivery_problem == "window_closed"


async def _outbox_drained(db_url: str) -> bool:
    items = await stored(db_url, ChannelOutbox)
    return bool(items) and all(i.status != OutboxStatus.PENDING for i in items)

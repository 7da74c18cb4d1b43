"""Crisis through the real stack: numbers in the same turn, urgent escalation, every state."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.store.db import create_engine, session_factory
from bot.store.models import Handoff, SafetyDetection
from tests.gateway_helpers import say_over_rest

pytestmark = pytest.mark.stack


async def rows(db_url: str, model: Any) -> list[Any]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(model))).scalars())
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("text", "expected", "not_expected"),
    [
        ("ik wil niet meer leven", ["0800-0113", "112"], ["Veilig Thuis"]),
        ("iedereen is beter af zonder mij", ["0800-0113"], ["Veilig Thuis"]),
        ("mijn vader slaat me als hij dronken is", ["0800-2000", "112"], ["0800-0113"]),
        ("hij dreigt mijn naaktfotos te verspreiden", ["Helpwanted", "112"], []),
        ("ikwilnietmeerleven!!! 😭", ["0800-0113"], []),
        ("mn vriend heeft te veel ket genomen en reageert nie meer", ["112", "ambulance"],
         ["Veilig Thuis"]),
    ],
)
async def test_each_crisis_kind_gets_its_numbers_in_the_same_turn_and_escalates_urgently(
    live_gateway, text: str, expected: list[str], not_expected: list[str]
) -> None:
    answer = await say_over_rest(live_gateway.client, f"j-{uuid.uuid4()}", text)
    for number in expected:
        assert number in answer
    for number in not_expected:
        assert number not in answer
    handoffs = await rows(live_gateway.db_url, Handoff)
    assert [h.priority for h in handoffs] == ["urgent"]
    assert await rows(live_gateway.db_url, SafetyDetection)


@pytest.mark.parametrize("text", ["ik ga dood van het lachen", "mijn telefoon is dood",
                                  "ik schaam me dood", "die toets was killing"])
async def test_idioms_raise_no_alarm(live_gateway, text: str) -> None:
    answer = await say_over_rest(live_gateway.client, f"j-{uuid.uuid4()}", text)
    assert "0800-0113" not in answer and "112" not in answer
    assert await rows(live_gateway.db_url, Handoff) == []
    assert await rows(live_gateway.db_url, SafetyDetection) == []


async def test_out_of_hours_a_crisis_still_reaches_on_call(make_live_gateway,
                                                          aiohttp_server) -> None:
    received: list[dict[str, Any]] = []

    async def on_call(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/oncall", on_call)
    server = await aiohttp_server(app)
    gateway = await make_live_gateway(OPENING_HOURS="", ONCALL_WEBHOOK_URL=str(
        server.make_url("/oncall")), NOTIFY_SECRET="s")
    answer = await say_over_rest(gateway.client, "j-night",
                                 "ik heb pillen gespaard en wil er een eind aan maken")
    assert "0800-0113" in answer
    assert "dienst" in answer  # "onze collega met dienst gewaarschuwd"
    for _ in range(50):
        if received:
            break
        await asyncio.sleep(0.2)
    assert received and received[0]["priority"] == "urgent"
    assert received[0]["in_opening_hours"] is False


async def test_while_waiting_the_numbers_come_at_once_and_the_handoff_turns_urgent(
    live_gateway,
) -> None:
    client = live_gateway.client
    await say_over_rest(client, "j-wait", "ik wil met iemand praten")
    [handoff] = await rows(live_gateway.db_url, Handoff)
    assert handoff.priority == "normal"
    answer = await say_over_rest(client, "j-wait", "ik zie het niet meer zitten, ik wil dood")
    assert "0800-0113" in answer
    [handoff] = await rows(live_gateway.db_url, Handoff)
    assert handoff.priority == "urgent"


async def test_with_a_worker_the_worker_is_alerted_and_the_bot_stays_silent(live_gateway) -> None:
    client = live_gateway.client
    token = await live_gateway.add_worker("sam")
    auth = {"Authorization": f"Bearer {token}"}
    await say_over_rest(client, "j-chat", "ik wil met iemand praten")
    [handoff] = await rows(live_gateway.db_url, Handoff)
    base = f"/api/v1/conversations/{handoff.conversation_id}"
    assert (await client.post(base + "/claim", headers=auth)).status == 200
    live = await client.ws_connect("/api/v1/live", headers=auth)
    answer = await say_over_rest(client, "j-chat", "mijn stiefvader slaat me elke avond")
    assert answer == ""  # the worker talks, not the bot
    while (event := await asyncio.wait_for(live.receive_json(), 20))["type"] != "crisis_alert":
        pass
    assert event["kind"] == "unsafe"
    assert event["handoff"]["priority"] == "urgent"
    await live.close()


async def test_crisis_over_the_web_widget_socket(live_gateway) -> None:
    ws = await live_gateway.client.ws_connect("/webhooks/webchat/ws")
    await ws.send_json({"type": "hello", "session_id": f"s-{uuid.uuid4()}"})
    assert (await ws.receive_json())["type"] == "history"
    await ws.send_json({"type": "message", "id": f"m-{uuid.uuid4()}",
                        "text": "ik snij mezelf elke avond"})
    texts = []
    while not any("0800-0113" in t for t in texts):
        frame = await asyncio.wait_for(ws.receive_json(), 20)
        if frame["type"] == "message":
            texts.append(frame["message"]["text"])
    await ws.close()

"""The whole handoff loop through the real stack: model, Rasa, action server, gateway, SQLite.

The young person chats over the web widget's socket; the worker uses the JSON API and
the inbox's live socket.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from bot.store.db import create_engine, session_factory
from bot.store.models import Handoff
from tests.live_sockets import YoungPerson, next_event

pytestmark = pytest.mark.stack


async def test_young_person_to_worker_and_back_to_the_bot(live_gateway) -> None:
    client = live_gateway.client
    token = await live_gateway.add_worker("sam")
    auth = {"Authorization": f"Bearer {token}"}
    online = await client.post("/api/v1/presence", json={"online": True}, headers=auth)
    assert online.status == 200
    live = await client.ws_connect("/api/v1/live", headers=auth)

    ws = await client.ws_connect("/webhooks/webchat/ws")
    young = YoungPerson(ws)
    await ws.send_json({"type": "hello", "session_id": f"s-{uuid.uuid4()}"})
    assert (await ws.receive_json())["type"] == "history"
    await young.say("ik wil met iemand praten")
    queued = await young.next_message("bot")
    assert "hulpverlener" in queued["text"] and "nummer 1" in queued["text"]

    new = await next_event(live, "handoff_new")
    conversation_id = new["handoff"]["conversation_id"]
    assert new["handoff"]["priority"] == "normal"
    assert "ik wil met iemand praten" in new["handoff"]["summary"]

    # While queued the bot is silent: the message goes to the inbox only.
    await young.say("hallo is daar iemand")
    while (event := await next_event(live, "message"))["message"]["sender"] != "user":
        pass
    assert event["message"]["text"] == "hallo is daar iemand"
    assert await young.quiet_for(2) == []

    base = f"/api/v1/conversations/{conversation_id}"
    claimed = await client.post(base + "/claim", headers=auth)
    assert claimed.status == 200 and (await claimed.json())["new"] is True
    # The young person is told that a human took over, by name, once.
    notice = await young.next_message()
    assert notice["sender"] == "system"
    assert notice["text"].startswith("Je praat nu met sam") and "geen bot" in notice["text"]
    again = await client.post(base + "/claim", headers=auth)
    assert again.status == 200 and (await again.json())["new"] is False
    sent = await client.post(base + "/messages", json={"text": "Hoi, ik ben Sam."}, headers=auth)
    assert sent.status == 201
    assert (await young.next_message())["text"] == "Hoi, ik ben Sam."

    await young.say("fijn dat je er bent")
    while (event := await next_event(live, "message"))["message"]["sender"] != "user":
        pass
    assert event["message"]["text"] == "fijn dat je er bent"
    assert await young.quiet_for(2) == []

    assert (await client.post(base + "/close", json={"outcome": "afgerond"},
                              headers=auth)).status == 200
    goodbye = [await young.next_message("bot")]
    while not goodbye[-1]["buttons"]:
        goodbye.append(await young.next_message("bot"))
    feedback = goodbye[-1]["buttons"][0]
    assert feedback["payload"].startswith("/give_feedback")
    await young.press(feedback["title"], feedback["payload"])
    thanks = await young.next_message("bot")
    assert thanks["text"]

    engine = create_engine(live_gateway.db_url)
    try:
        async with session_factory(engine)() as session:
            handoff = (await session.execute(select(Handoff))).scalar_one()
    finally:
        await engine.dispose()
    assert handoff.status == "closed" and handoff.outcome == "afgerond"
    assert handoff.feedback is not None
    detail = await (await client.get(base, headers=auth)).json()
    senders = [m["sender"] for m in detail["messages"]]
    assert senders[:2] == ["user", "bot"] and "worker" in senders
    await ws.close()
    await live.close()

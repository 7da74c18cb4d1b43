"""Live updates across gateway processes, through a real Redis (bot/realtime_redis.py).

Two gateway applications share one database and one Redis, as two processes behind a load
balancer would. Rasa is not needed: a young person's message is stored while the bot is
down, and the action server's escalation is played by a signed POST. Each test starts its
own redis-server on a free port, so stopping it harms nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import init_app
from bot.store.db import create_engine, session_factory
from bot.store.models import Conversation
from tests.conftest import free_port, make_settings
from tests.gateway_helpers import SECRET, escalate, worker
from tests.live_sockets import YoungPerson, next_event

START_TIMEOUT_S = 10.0
RECONNECT_TIMEOUT_S = 20.0


class RedisServer:
    """A private redis-server that keeps nothing on disk; can be stopped and started."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is missing: `make test` installs it"
        self._binary = binary
        self._workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self._workdir),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        while not await self._answers_ping():
            assert self._process.returncode is None, "redis-server exited at start"
            assert asyncio.get_running_loop().time() < deadline, "redis-server did not start"
            await asyncio.sleep(0.05)

    async def _answers_ping(self) -> bool:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        try:
            writer.write(b"PING\r\n")
            await writer.drain()
            return await asyncio.wait_for(reader.readline(), 1.0) == b"+PONG\r\n"
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            await asyncio.wait_for(self._process.wait(), START_TIMEOUT_S)
            self._process = None


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def gateways(redis_server, aiohttp_client, db_url):  # type: ignore[no-untyped-def]
    """Two gateway processes' applications on one database and one Redis (which is
    asked for first so that it stops after the applications)."""
    settings = make_settings(DATABASE_URL=db_url, HANDOFF_SECRET=SECRET,
                             RASA_URL=f"http://127.0.0.1:{free_port()}", RASA_TIMEOUT_S="1",
                             OPENING_HOURS="ma-zo 00:00-24:00", REDIS_URL=redis_server.url,
                             REDIS_CHANNEL=f"broekzak-test:{uuid.uuid4().hex}")
    first = await aiohttp_client(init_app(settings))
    second = await aiohttp_client(init_app(settings))
    return first, second


async def widget_on(client: Any, db_url: str) -> tuple[YoungPerson, str]:
    """A young person on the widget of this gateway, with a stored message (the bot is
    down); their conversation id."""
    session_id = f"s-{uuid.uuid4()}"
    ws = await client.ws_connect("/webhooks/webchat/ws")
    await ws.send_json({"type": "hello", "session_id": session_id})
    assert (await ws.receive_json())["type"] == "history"
    young = YoungPerson(ws)
    await young.say("ik wil iemand spreken")
    while (await asyncio.wait_for(ws.receive_json(), START_TIMEOUT_S))["type"] != "ack":
        pass  # stored once acknowledged
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            conversation_id = (await session.execute(select(Conversation.id).where(
                Conversation.channel_user_id == session_id))).scalar_one()
    finally:
        await engine.dispose()
    return young, str(conversation_id)


async def reply(client: Any, conversation_id: str, auth: dict[str, str], text: str) -> None:
    response = await client.post(f"/api/v1/conversations/{conversation_id}/messages",
                                 json={"text": text}, headers=auth)
    assert response.status == 201, await response.text()


async def relay_state(client: Any, state: str) -> None:
    """Wait until the gateway's health reports the relay in this state."""
    deadline = asyncio.get_running_loop().time() + RECONNECT_TIMEOUT_S
    while (await (await client.get("/healthz")).json())["live_relay"] != state:
        assert asyncio.get_running_loop().time() < deadline, f"the relay is not {state}"
        await asyncio.sleep(0.1)


async def test_a_reply_sent_through_either_gateway_reaches_the_widget_once(gateways,
                                                                           db_url) -> None:
    first, second = gateways
    young, conversation_id = await widget_on(first, db_url)
    sam = await worker(second, "sam")
    live = await first.ws_connect("/api/v1/live", headers=sam)

    # The escalation reaches the other process; the inbox open on this one shows it live.
    assert (await escalate(second, conversation_id)).status == 201
    new = await next_event(live, "handoff_new")
    assert new["handoff"]["conversation_id"] == conversation_id

    claimed = await second.post(f"/api/v1/conversations/{conversation_id}/claim", headers=sam)
    assert claimed.status == 200
    assert (await young.next_message("system"))["text"].startswith("Je praat nu met sam")
    # One reply through the widget's own gateway, one through the other: Redis hands the
    # first back to its own process too, which must not show it a second time.
    await reply(first, conversation_id, sam, "Hoi, ik ben Sam.")
    await reply(second, conversation_id, sam, "Waar wil je het over hebben?")
    received = [await young.next_message("worker"), await young.next_message("worker")]
    assert [m["text"] for m in received] == ["Hoi, ik ben Sam.", "Waar wil je het over hebben?"]
    assert await young.quiet_for(1) == []
    assert (await (await first.get("/healthz")).json())["live_relay"] == "connected"


async def test_without_redis_the_gateway_still_answers_and_relays_again_when_it_is_back(
        gateways, db_url, redis_server, caplog) -> None:
    first, second = gateways
    young, conversation_id = await widget_on(first, db_url)
    sam = await worker(first, "sam")
    assert (await escalate(first, conversation_id)).status == 201
    assert (await first.post(f"/api/v1/conversations/{conversation_id}/claim",
                             headers=sam)).status == 200
    await young.next_message("system")

    await redis_server.stop()
    caplog.set_level(logging.WARNING, logger="bot.realtime_redis")
    # The widget's own gateway still delivers at once, and nothing fails for the worker.
    await reply(first, conversation_id, sam, "Ben je er nog?")
    assert (await young.next_message("worker"))["text"] == "Ben je er nog?"
    await relay_state(first, "unavailable")
    assert "Redis unreachable" in caplog.text
    assert "Ben je er nog?" not in caplog.text

    await redis_server.start()
    await relay_state(first, "connected")
    await reply(second, conversation_id, sam, "Fijn dat je er weer bent.")
    assert (await young.next_message("worker"))["text"] == "Fijn dat je er weer bent."

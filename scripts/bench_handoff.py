"""Benchmark of the handoff path over the real stack (make bench).

Measures, over N handoffs (default 100):
- escalation latency: from the young person's "ik wil met iemand praten" leaving the widget
  socket to the handoff appearing on an open inbox's live socket (real model, real action
  server, real escalation webhook, SQLite);
- reply latency: from a worker's POST of a reply to the message arriving on the young
  person's socket.
Prints p50/p95/max of each. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.app import ACCOUNTS, init_app
from bot.config import REPO_ROOT, settings_from_mapping
from bot.runner import Stack, wait_until_ready
from bot.store.migrate import upgrade


def free_port() -> int:
    """A free TCP port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


async def one_handoff(
    http: aiohttp.ClientSession,
    base: str,
    live: aiohttp.ClientWebSocketResponse,
    auth: dict[str, str],
) -> tuple[float, float]:
    """Escalate one new young person, claim, reply, close; returns (escalation s, reply s)."""
    ws = await http.ws_connect(f"{base}/webhooks/webchat/ws")
    await ws.send_json({"type": "hello", "session_id": f"bench-{uuid.uuid4()}"})
    await ws.receive_json()
    started = time.perf_counter()
    await ws.send_json(
        {"type": "message", "id": f"m-{uuid.uuid4()}", "text": "ik wil met iemand praten"}
    )
    while True:
        event = await asyncio.wait_for(live.receive_json(), 60)
        if event["type"] == "handoff_new":
            break
    escalation_s = time.perf_counter() - started
    conversation = f"{base}/api/v1/conversations/{event['handoff']['conversation_id']}"
    async with http.post(conversation + "/claim", headers=auth) as response:
        assert response.status == 200, await response.text()
    started = time.perf_counter()
    async with http.post(
        conversation + "/messages", json={"text": "Hoi!"}, headers=auth
    ) as response:
        assert response.status == 201
    while True:
        frame = await asyncio.wait_for(ws.receive_json(), 30)
        if frame["type"] == "message" and frame["message"]["sender"] == "worker":
            break
    reply_s = time.perf_counter() - started
    async with http.post(
        conversation + "/close", json={"outcome": "bench"}, headers=auth
    ) as response:
        assert response.status == 200
    await ws.close()
    return escalation_s, reply_s


async def run(count: int, model: Path) -> None:
    """Start the stack and gateway, run `count` handoffs, print the figures."""
    gateway_port = free_port()
    database = Path(tempfile.mkdtemp()) / "bench.db"
    values = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "GATEWAY_PORT": str(gateway_port),
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "RASA_TOKEN": "bench",
        "ACTIONS_TOKEN": "bench",
        "HANDOFF_SECRET": "bench",
        "OPENING_HOURS": "ma-zo 00:00-24:00",
        "LOG_LEVEL": "WARNING",
    }
    settings = settings_from_mapping(values)
    await asyncio.to_thread(upgrade, settings.database_url)
    stack = Stack(
        settings,
        model,
        extra_env={"OPENING_HOURS": values["OPENING_HOURS"], "LOG_LEVEL": "WARNING"},
    )
    stack.start_children()
    runner = web.AppRunner(init_app(settings), access_log=None)
    try:
        if not await wait_until_ready(stack):
            sys.exit("the stack did not start")
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", gateway_port).start()
        token = (await runner.app[ACCOUNTS].add("bench", "worker", None)).api_token
        auth = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{gateway_port}"
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/api/v1/presence", json={"online": True}, headers=auth):
                pass
            live = await http.ws_connect(f"{base}/api/v1/live", headers=auth)
            await one_handoff(http, base, live, auth)  # warm-up, not counted
            results = [await one_handoff(http, base, live, auth) for _ in range(count)]
    finally:
        await runner.cleanup()
        await asyncio.to_thread(stack.stop_children)
    for name, index in (
        ("escalating message → handoff in open inbox", 0),
        ("worker reply → young person's channel", 1),
    ):
        series = [r[index] * 1000 for r in results]
        print(
            f"{name} (n={len(series)}): p50 {statistics.median(series):.0f} ms, "
            f"p95 {percentile(series, 0.95):.0f} ms, max {max(series):.0f} ms"
        )


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "models" / "current.tar.gz")
    args = parser.parse_args()
    asyncio.run(run(args.count, args.model))


if __name__ == "__main__":
    main()

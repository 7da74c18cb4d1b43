"""Both ends of the gateway's live sockets: the widget's (a young person) and the inbox's."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

TIMEOUT_S = 30


class YoungPerson:
    """The widget's side of the socket protocol (docs/webchat-protocol.md)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.inbox: list[dict[str, Any]] = []

    async def say(self, text: str) -> None:
        await self.ws.send_json({"type": "message", "id": f"m-{uuid.uuid4()}", "text": text})

    async def press(self, title: str, payload: str) -> None:
        await self.ws.send_json({"type": "button", "id": f"b-{uuid.uuid4()}",
                                 "title": title, "payload": payload})

    async def next_message(self, sender: str | None = None) -> dict[str, Any]:
        """The next message frame (skipping acks), optionally from one sender."""
        while True:
            frame = await asyncio.wait_for(self.ws.receive_json(), TIMEOUT_S)
            if frame["type"] == "message" and (
                    sender is None or frame["message"]["sender"] == sender):
                return frame["message"]

    async def quiet_for(self, seconds: float) -> list[dict[str, Any]]:
        """Messages received within `seconds` (acks ignored)."""
        got = []
        try:
            while True:
                frame = await asyncio.wait_for(self.ws.receive_json(), seconds)
                if frame["type"] == "message":
                    got.append(frame["message"])
        except asyncio.TimeoutError:
            return got


async def next_event(live: Any, kind: str) -> dict[str, Any]:
    while True:
        event = await asyncio.wait_for(live.receive_json(), TIMEOUT_S)
        if event["type"] == kind:
            return event

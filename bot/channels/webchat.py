"""Web chat widget channel: one websocket per open widget (docs/webchat-protocol.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from aiohttp import WSMsgType, web

from bot.conversations.delivery import conversation_topic
from bot.conversations.service import ConversationService, Inbound
from bot.conversations.text import InvalidText, validate_text
from bot.rasa.client import RasaUnavailable
from bot.realtime import Hub

log = logging.getLogger(__name__)

CHANNEL = "webchat"
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
BOT_DOWN_TEXT = ("Ik kan even niet antwoorden, maar je bericht is bewaard. "
                 "Je krijgt zo antwoord.")


class WebchatChannel:
    """The websocket endpoint of the widget."""

    def __init__(self, service: ConversationService, hub: Hub, max_chars: int,
                 allowed_origins: tuple[str, ...]) -> None:
        self._service = service
        self._hub = hub
        self._max_chars = max_chars
        self._allowed_origins = allowed_origins
        self._tasks: set[asyncio.Task[None]] = set()

    def origin_allowed(self, request: web.Request) -> bool:
        """Same-origin pages, and the organisation sites in WEBCHAT_ALLOWED_ORIGINS."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser: no cross-site risk
        origin = origin.rstrip("/")
        own = f"{request.scheme}://{request.host}"
        return origin == own or origin in self._allowed_origins

    async def socket(self, request: web.Request) -> web.StreamResponse:
        """Serve one widget connection until it closes."""
        if not self.origin_allowed(request):
            return web.json_response({"error": "origin not allowed"}, status=403)
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64 * 1024)
        await ws.prepare(request)
        session_id: str | None = None
        topic: str | None = None
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    if frame.type == WSMsgType.BINARY:
                        await _send_error(ws, None, "Alleen tekst kan hier.")
                    continue
                event = _parse_frame(frame.data)
                if event is None:
                    await _send_error(ws, None, "Dat bericht kon ik niet lezen.")
                    continue
                if event.get("type") == "hello":
                    new_session = event.get("session_id")
                    if not isinstance(new_session, str) or not _ID.match(new_session):
                        await _send_error(ws, None, "Ongeldige sessie.")
                        continue
                    if topic is not None:
                        self._hub.unsubscribe(topic, ws)
                    session_id = new_session
                    conversation_id, history = await self._service.history(CHANNEL, session_id)
                    await ws.send_json({"type": "history", "messages": history})
                    if conversation_id is not None:
                        topic = conversation_topic(conversation_id)
                        self._hub.subscribe(topic, ws)
                    continue
                if session_id is None:
                    await _send_error(ws, event.get("id"), "Stuur eerst hello.")
                    continue
                topic = await self._on_user_event(ws, session_id, event, topic)
        finally:
            if topic is not None:
                self._hub.unsubscribe(topic, ws)
        return ws

    async def _on_user_event(self, ws: web.WebSocketResponse, session_id: str,
                             event: dict[str, Any], topic: str | None) -> str | None:
        client_id = event.get("id")
        if not isinstance(client_id, str) or not _ID.match(client_id):
            await _send_error(ws, None, "Bericht zonder geldige id.")
            return topic
        kind = event.get("type")
        payload: str | None = None
        if kind == "message":
            raw_text = event.get("text")
        elif kind == "button":
            payload = event.get("payload") if isinstance(event.get("payload"), str) else None
            raw_text = event.get("title") or payload
        else:
            await _send_error(ws, client_id, "Onbekend soort bericht.")
            return topic
        if not isinstance(raw_text, str):
            await _send_error(ws, client_id, "Bericht zonder tekst.")
            return topic
        try:
            text = validate_text(raw_text, self._max_chars)
        except InvalidText:
            await _send_error(ws, client_id, f"Je bericht is leeg of te lang "
                                             f"(maximaal {self._max_chars} tekens).")
            return topic
        received = await self._service.receive(
            Inbound(CHANNEL, session_id, client_id, text, payload=payload))
        new_topic = conversation_topic(received.conversation_id)
        if topic != new_topic:
            self._hub.subscribe(new_topic, ws)
        await ws.send_json({"type": "ack", "id": client_id})
        # Answer outside the receive loop so a slow bot never blocks acks; replies reach
        # the socket through the hub, like a worker's message would.
        task = asyncio.create_task(self._answer(ws, received.conversation_id,
                                                received.message_id, client_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return new_topic

    async def _answer(self, ws: web.WebSocketResponse, conversation_id: str, message_id: int,
                      client_id: str) -> None:
        try:
            await self._service.process(conversation_id, message_id, {"channel": CHANNEL})
        except RasaUnavailable:
            if not ws.closed:
                await _send_error(ws, client_id, BOT_DOWN_TEXT)
        except Exception:
            log.exception("answering a webchat message failed")

    async def close(self) -> None:
        """Wait for answers still being produced (shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _parse_frame(data: str) -> dict[str, Any] | None:
    try:
        event = json.loads(data)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


async def _send_error(ws: web.WebSocketResponse, client_id: Any, text: str) -> None:
    await ws.send_json({"type": "error", "id": client_id if isinstance(client_id, str) else None,
                        "error": text})

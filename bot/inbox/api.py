"""The worker JSON API (/api/v1): what the inbox uses, and what integrations can use."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import WSMsgType, web

from bot.channels.errors import bad_request, json_error, read_json_object
from bot.conversations.delivery import Delivery
from bot.conversations.service import HANDOFF_CLOSED_INTENT, ConversationService
from bot.conversations.text import InvalidText, validate_text
from bot.handoff import events
from bot.handoff.service import HandoffError, HandoffService
from bot.inbox.accounts import Accounts
from bot.inbox.auth import authenticate
from bot.inbox.openapi import OPENAPI
from bot.rasa.client import RasaUnavailable
from bot.realtime import Hub

log = logging.getLogger(__name__)

NOTE_MAX_CHARS = 4000
# Sent to the young person when a worker takes their conversation: on WhatsApp or Telegram
# the worker writes from the bot's own account, so without it nobody can tell that a human
# now reads along.
CLAIMED_NOTICE = ("Je praat nu met {name}, een hulpverlener: een mens, geen bot. "
                  "{name} leest je berichten en antwoordt hier in deze chat.")
# Sent when a worker hands the conversation to a team: it waits in the queue again.
TRANSFERRED_NOTICE = ("Je gesprek gaat naar een collega. Even geduld: je krijgt antwoord "
                      "hier in deze chat.")


class WorkerApi:
    """Handlers of /api/v1."""

    def __init__(self, accounts: Accounts, handoffs: HandoffService,
                 conversations: ConversationService, delivery: Delivery, hub: Hub,
                 max_chars: int) -> None:
        self._accounts = accounts
        self._handoffs = handoffs
        self._conversations = conversations
        self._delivery = delivery
        self._hub = hub
        self._max_chars = max_chars

    async def openapi(self, _request: web.Request) -> web.Response:
        """The OpenAPI document of this API."""
        return web.json_response(OPENAPI)

    async def me(self, request: web.Request) -> web.Response:
        """Who am I (and the CSRF token for a cookie session)."""
        worker, csrf = await authenticate(request, self._accounts)
        return web.json_response({"name": worker.name, "role": worker.role,
                                  "team": worker.team, "online": worker.online,
                                  "csrf_token": csrf})

    async def presence(self, request: web.Request) -> web.Response:
        """Go online or offline: {"online": true|false}."""
        worker, _ = await authenticate(request, self._accounts)
        body = await read_json_object(request)
        online = body.get("online")
        if not isinstance(online, bool):
            return json_error(400, "field 'online' must be true or false")
        await self._handoffs.set_presence(worker, online)
        return web.json_response({"online": online})

    async def queue(self, request: web.Request) -> web.Response:
        """Open handoffs, urgent first, then longest waiting."""
        await authenticate(request, self._accounts)
        return web.json_response({"queue": await self._handoffs.queue()})

    async def conversation(self, request: web.Request) -> web.Response:
        """The transcript and handoff of one conversation."""
        worker, _ = await authenticate(request, self._accounts)
        return await self._call(self._handoffs.conversation(request.match_info["id"], worker))

    async def claim(self, request: web.Request) -> web.Response:
        """Claim; 409 when someone else has it. The young person is told a human took over."""
        worker, _ = await authenticate(request, self._accounts)
        conversation_id = request.match_info["id"]
        try:
            result = await self._handoffs.claim(conversation_id, worker)
        except HandoffError as error:
            return json_error(error.status, str(error))
        if result["new"]:
            await self._conversations.send_system(conversation_id,
                                                  CLAIMED_NOTICE.format(name=worker.name))
        return web.json_response(result)

    async def message(self, request: web.Request) -> web.Response:
        """Reply to the young person: {"text": ...}; delivered to their channel."""
        worker, _ = await authenticate(request, self._accounts)
        text = await self._text(request, self._max_chars)
        conversation_id = request.match_info["id"]
        try:
            data = await self._handoffs.reply(conversation_id, worker, text)
        except HandoffError as error:
            return json_error(error.status, str(error))
        await self._delivery.deliver(conversation_id, data)
        return web.json_response(data, status=201)

    async def note(self, request: web.Request) -> web.Response:
        """Internal note: {"text": ...}; never sent to the young person."""
        worker, _ = await authenticate(request, self._accounts)
        text = await self._text(request, NOTE_MAX_CHARS)
        return await self._call(self._handoffs.add_note(request.match_info["id"], worker, text),
                                status=201)

    async def transfer(self, request: web.Request) -> web.Response:
        """Transfer to {"worker": name} or {"team": name}."""
        worker, _ = await authenticate(request, self._accounts)
        body = await read_json_object(request)
        to_worker = str(body["worker"]) if isinstance(body.get("worker"), str) else None
        to_team = str(body["team"]) if isinstance(body.get("team"), str) else None
        conversation_id = request.match_info["id"]
        try:
            result = await self._handoffs.transfer(conversation_id, worker, to_worker, to_team)
        except HandoffError as error:
            return json_error(error.status, str(error))
        notice = CLAIMED_NOTICE.format(name=to_worker) if to_worker else TRANSFERRED_NOTICE
        await self._conversations.send_system(conversation_id, notice)
        return web.json_response(result)

    async def close(self, request: web.Request) -> web.Response:
        """Close with {"outcome": ...}; the bot says goodbye and asks for feedback."""
        worker, _ = await authenticate(request, self._accounts)
        body = await read_json_object(request) if request.can_read_body else {}
        outcome = body.get("outcome") if isinstance(body.get("outcome"), str) else ""
        conversation_id = request.match_info["id"]
        try:
            result = await self._handoffs.close(conversation_id, worker, str(outcome))
        except HandoffError as error:
            return json_error(error.status, str(error))
        try:
            await self._conversations.bot_turn(conversation_id, HANDOFF_CLOSED_INTENT)
        except RasaUnavailable:
            log.warning("closed a handoff but the bot could not say goodbye")
            result["bot_goodbye"] = False
        return web.json_response(result)

    async def live(self, request: web.Request) -> web.StreamResponse:
        """Websocket of live inbox events (new handoffs, updates, messages)."""
        origin = request.headers.get("Origin")
        if origin is not None and origin.rstrip("/") != f"{request.scheme}://{request.host}":
            return json_error(403, "origin not allowed")
        await authenticate(request, self._accounts)
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        self._hub.subscribe(events.INBOX_TOPIC, ws)
        try:
            async for frame in ws:
                if frame.type == WSMsgType.ERROR:
                    break
        finally:
            self._hub.unsubscribe(events.INBOX_TOPIC, ws)
        return ws

    @staticmethod
    async def _text(request: web.Request, max_chars: int) -> str:
        body = await read_json_object(request)
        text = body.get("text")
        if not isinstance(text, str):
            raise bad_request("field 'text' must be a string")
        try:
            return validate_text(text, max_chars)
        except InvalidText as error:
            raise bad_request(str(error)) from error

    @staticmethod
    async def _call(awaitable: Any, status: int = 200) -> web.Response:
        try:
            return web.json_response(await awaitable, status=status)
        except HandoffError as error:
            return json_error(error.status, str(error))

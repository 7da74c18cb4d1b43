"""WhatsApp Business Cloud API channel: verify, de-duplicate, persist, acknowledge, answer.

Meta delivers at least once and re-delivers on a slow or non-200 answer, so the webhook
only checks the signature on the raw body, stores every message (de-duplicated on the
wamid) and answers 200 at once; the bot's answers are produced in the background and sent
through the channel outbox.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.channels.errors import json_error
from bot.channels.outbox import ChannelOutboxService, Outcome
from bot.channels.platform_common import BackgroundAnswers, media_label
from bot.channels.whatsapp_protocol import (
    SendOutcome,
    WaInbound,
    WaParseError,
    WaStatus,
    WhatsAppClient,
    build_outbound,
    mark_read_body,
    parse_webhook,
    payload_for_reply,
    verify_challenge,
    verify_signature,
)
from bot.config import WhatsAppSettings
from bot.conversations.service import ConversationService, Inbound, Received
from bot.conversations.text import InvalidText, validate_text
from bot.handoff import events
from bot.realtime import Hub
from bot.store.models import Conversation, Message

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WINDOW_CLOSED = 131047


def outcome_of(result: SendOutcome) -> Outcome:
    """The outbox's view of a Graph API answer."""
    return Outcome(ok=result.ok, platform_id=result.wamid, retryable=result.retryable,
                   permanent=result.permanent, retry_after=result.retry_after, code=result.code)


class WhatsAppChannel:
    """Handlers of /webhooks/whatsapp/webhook and the sender of the outbox."""

    def __init__(self, settings: WhatsAppSettings, service: ConversationService,
                 outbox: ChannelOutboxService, sessions: sessionmaker, hub: Hub,
                 http: aiohttp.ClientSession, max_chars: int, timeout_s: float) -> None:
        self._settings = settings
        self._service = service
        self._outbox = outbox
        self._sessions = sessions
        self._hub = hub
        self._max_chars = max_chars
        self._client = WhatsAppClient(http, settings.api_url, settings.access_token,
                                      settings.phone_number_id, timeout_s)
        self.answers = BackgroundAnswers(service, CHANNEL)

    async def send(self, method: str, body: dict[str, Any]) -> Outcome:
        """Outbox sender: message bodies and read receipts go to the same Graph endpoint."""
        return outcome_of(await self._client.send(body))

    @staticmethod
    def bodies(to: str, text: str, buttons: Any) -> list[dict[str, Any]]:
        """Graph API bodies for one outbound message."""
        return build_outbound(to, text, list(buttons))

    async def verify(self, request: web.Request) -> web.Response:
        """Meta's subscription handshake: echo hub.challenge when the verify token matches."""
        challenge = verify_challenge(request.query, self._settings.verify_token)
        if challenge is None:
            return web.Response(status=403, text="verification failed")
        return web.Response(text=challenge, content_type="text/plain")

    async def webhook(self, request: web.Request) -> web.Response:
        """Check the signature on the raw body, store, acknowledge; answer in the background."""
        raw = await request.read()
        if not verify_signature(self._settings.app_secret, raw,
                                request.headers.get("X-Hub-Signature-256")):
            return json_error(403, "missing or wrong X-Hub-Signature-256")
        try:
            messages, statuses = parse_webhook(json.loads(raw))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return json_error(400, "body is not valid JSON")
        except WaParseError as error:
            return json_error(400, str(error))
        received: list[Received] = []
        for message in messages:
            stored = await self._store(message)
            if stored is not None and stored.created:
                received.append(stored)
        for status in statuses:
            await self._record_status(status)
        self._outbox.wake()
        self.answers.answer(received)
        return web.json_response({"status": "ok"})

    async def _store(self, message: WaInbound) -> Received | None:
        if message.kind == "reaction":
            return None  # an emoji on an earlier message: nothing to answer or keep
        payload = None
        media = None
        if message.kind in ("button_reply", "list_reply") and message.reply_id:
            offered = await self._service.offered_buttons(CHANNEL, message.user_id)
            payload = payload_for_reply(message.reply_id, offered)
            text = message.text or ""
        elif message.kind in ("text", "template_button"):
            text = message.text or ""
        else:
            media = dict(message.media or {"type": message.kind})
            text = media_label(media, message.kind)
        try:
            text = validate_text(text, self._max_chars)
        except InvalidText:
            # Empty or over-long text: keep it for a worker as unreadable content.
            media = media or {"type": "unsupported", "reason": "text empty or too long"}
            text = media_label(media)
        stored = await self._service.receive(Inbound(
            CHANNEL, message.user_id, message.wamid, text, payload=payload, media=media))
        if stored.created:
            async with self._sessions() as session, session.begin():
                self._outbox.enqueue(session, stored.conversation_id, CHANNEL, "mark_read",
                                     [mark_read_body(message.wamid)])
        return stored

    async def _record_status(self, status: WaStatus) -> None:
        alert: dict[str, Any] | None = None
        async with self._sessions() as session, session.begin():
            message = (await session.execute(select(Message).where(
                Message.platform_message_id == status.wamid))).scalar_one_or_none()
            if message is None:
                return
            message.delivery_status = status.status
            if status.status == "failed":
                reason = "window_closed" if WINDOW_CLOSED in status.error_codes else "failed"
                message.delivery_error = reason
                conversation = await session.get(Conversation, message.conversation_id)
                if conversation is not None:
                    conversation.delivery_problem = reason
                alert = {"type": events.DELIVERY_FAILED,
                         "conversation_id": message.conversation_id,
                         "message_id": message.public_id, "reason": reason}
        if alert is not None:
            await self._hub.publish(events.INBOX_TOPIC, alert)

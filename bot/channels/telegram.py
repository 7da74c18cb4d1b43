"""Telegram Bot API channel: secret token, de-duplication on update_id, buttons, outbox."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.orm import sessionmaker

from bot.channels.errors import json_error
from bot.channels.outbox import ChannelOutboxService, Outcome
from bot.channels.platform_common import BackgroundAnswers, media_label
from bot.channels.telegram_protocol import (
    TelegramClient,
    TgInbound,
    TgParseError,
    TgSendOutcome,
    build_outbound,
    parse_update,
    payload_for_callback,
    verify_secret_token,
)
from bot.config import TelegramSettings
from bot.conversations.service import ConversationService, Inbound, Received
from bot.conversations.text import InvalidText, validate_text

log = logging.getLogger(__name__)

CHANNEL = "telegram"


def outcome_of(result: TgSendOutcome) -> Outcome:
    """The outbox's view of a Bot API answer."""
    return Outcome(ok=result.ok, platform_id=str(result.message_id) if result.message_id else None,
                   retryable=result.retryable, permanent=result.permanent,
                   retry_after=result.retry_after, code=result.code)


class TelegramChannel:
    """Handlers of /webhooks/telegram/webhook and the sender of the outbox."""

    def __init__(self, settings: TelegramSettings, service: ConversationService,
                 outbox: ChannelOutboxService, sessions: sessionmaker,
                 http: aiohttp.ClientSession, max_chars: int, timeout_s: float) -> None:
        self._settings = settings
        self._service = service
        self._outbox = outbox
        self._sessions = sessions
        self._max_chars = max_chars
        self.client = TelegramClient(http, settings.api_url, settings.bot_token, timeout_s)
        self.answers = BackgroundAnswers(service, CHANNEL)

    async def send(self, method: str, body: dict[str, Any]) -> Outcome:
        """Outbox sender: sendMessage, or answerCallbackQuery to stop the button's spinner."""
        if method == "answer_callback":
            return outcome_of(await self.client.answer_callback_query(body["callback_query_id"]))
        return outcome_of(await self.client.send_message(body))

    @staticmethod
    def bodies(to: str, text: str, buttons: Any) -> list[dict[str, Any]]:
        """sendMessage bodies for one outbound message."""
        return build_outbound(int(to), text, list(buttons))

    async def webhook(self, request: web.Request) -> web.Response:
        """Check the secret token, store once per update_id, acknowledge, answer later."""
        if not verify_secret_token(self._settings.secret_token,
                                   request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
            return json_error(403, "missing or wrong secret token")
        try:
            update = parse_update(json.loads(await request.read()))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return json_error(400, "body is not valid JSON")
        except TgParseError as error:
            return json_error(400, str(error))
        if update is not None:
            stored = await self._store(update)
            if stored is not None and stored.created:
                self._outbox.wake()
                self.answers.answer([stored])
        return web.json_response({"status": "ok"})

    async def _store(self, update: TgInbound) -> Received | None:
        user = str(update.chat_id)
        payload = None
        media = None
        if update.kind == "callback" and update.callback_data:
            offered = await self._service.offered_buttons(CHANNEL, user)
            payload = payload_for_callback(update.callback_data, offered)
            title = next((b.get("title") for b in offered if b.get("payload") == payload), None)
            text = title or update.callback_data
        elif update.kind == "text":
            text = update.text or ""
        else:
            media = dict(update.media or {"type": "unsupported"})
            text = media_label(media)
        try:
            text = validate_text(text, self._max_chars)
        except InvalidText:
            media = media or {"type": "unsupported", "reason": "text empty or too long"}
            text = media_label(media)
        stored = await self._service.receive(Inbound(
            CHANNEL, user, f"update-{update.update_id}", text, payload=payload, media=media))
        if stored.created and update.callback_query_id:
            async with self._sessions() as session, session.begin():
                self._outbox.enqueue(session, stored.conversation_id, CHANNEL, "answer_callback",
                                     [{"callback_query_id": update.callback_query_id}])
        return stored

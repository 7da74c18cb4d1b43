"""REST channel compatible with Rasa's: POST {"sender","message","metadata"} → bot replies.

Extension: an optional "message_id" (top level or in metadata) makes the call
idempotent — a retry with the same id gets the stored answer instead of a second one.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from aiohttp import web

from bot.channels.errors import json_error, read_json_object
from bot.conversations.service import ConversationService, Inbound
from bot.conversations.text import InvalidText, validate_text
from bot.rasa.client import RasaUnavailable

CHANNEL = "rest"
MAX_ID_CHARS = 128


class RestChannel:
    """Handlers of the REST channel."""

    def __init__(self, service: ConversationService, max_chars: int, token: str) -> None:
        self._service = service
        self._max_chars = max_chars
        self._token = token

    async def health(self, _request: web.Request) -> web.Response:
        """Rasa-compatible health route of the channel."""
        return web.json_response({"status": "ok"})

    async def webhook(self, request: web.Request) -> web.Response:
        """Receive one message, answer with the bot's replies in Rasa's REST format."""
        if self._token and not _bearer_matches(request, self._token):
            return json_error(401, "missing or wrong bearer token")
        body = await read_json_object(request)
        try:
            inbound = self._parse(body)
        except InvalidText as error:
            status = 413 if "too long" in str(error) else 400
            return json_error(status, str(error))
        try:
            answer = await self._service.handle(inbound)
        except RasaUnavailable:
            return json_error(503, "the bot is unavailable right now; the message is stored, "
                                   "retry with the same message_id")
        return web.json_response([_to_rasa_format(inbound.channel_user_id, r)
                                  for r in answer.replies])

    def _parse(self, body: dict[str, Any]) -> Inbound:
        sender = body.get("sender")
        if not isinstance(sender, str) or not sender.strip():
            raise InvalidText("field 'sender' must be a non-empty string")
        if len(sender) > MAX_ID_CHARS:
            raise InvalidText(f"field 'sender' is longer than {MAX_ID_CHARS} characters")
        message = body.get("message")
        if not isinstance(message, str):
            raise InvalidText("field 'message' must be a string")
        metadata = body.get("metadata")
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise InvalidText("field 'metadata' must be an object")
        message_id = body.get("message_id", metadata.get("message_id"))
        if message_id is None:
            message_id = str(uuid.uuid4())
        if not isinstance(message_id, (str, int)) or not str(message_id).strip():
            raise InvalidText("field 'message_id' must be a non-empty string")
        if len(str(message_id)) > MAX_ID_CHARS:
            raise InvalidText(f"field 'message_id' is longer than {MAX_ID_CHARS} characters")
        text = validate_text(message, self._max_chars)
        return Inbound(channel=CHANNEL, channel_user_id=sender.strip(),
                       external_id=str(message_id), text=text)


def _bearer_matches(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    given = header[7:] if header.startswith("Bearer ") else ""
    return hmac.compare_digest(given.encode(), token.encode())


def _to_rasa_format(recipient_id: str, reply: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"recipient_id": recipient_id, "text": reply["text"]}
    if reply.get("buttons"):
        item["buttons"] = reply["buttons"]
    return item

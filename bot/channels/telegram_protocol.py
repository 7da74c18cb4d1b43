"""Telegram Bot API: webhook secret check, update parsing, reply building, sending.

Pure functions for everything that can be pure; TelegramClient is the only I/O. It follows
the protocol facts of the channels spec (channels.md, "Telegram Bot API").
"""

from __future__ import annotations

import asyncio
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

import aiohttp

from bot.channels.button_keys import hashed_key, payload_for_key, usable_buttons
from bot.channels.textsplit import split_text, utf16_len

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, no secret
ALLOWED_UPDATES = ("message", "callback_query")
MAX_TEXT = 4096  # UTF-16 code units, the way Telegram counts
MAX_CALLBACK_BYTES = 64
MAX_BUTTONS = 100
MAX_RETRY_AFTER_S = 3600.0
# The text of a message with buttons must not be empty.
DEFAULT_PROMPT = "Kies een optie:"
MEDIA_KEYS = ("photo", "voice", "audio", "video", "video_note", "document", "sticker",
              "animation")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

TgKind = Literal["text", "callback", "media", "unsupported"]


class TgParseError(ValueError):
    """The update is not one we can read; the text says why."""


@dataclass(frozen=True)
class TgInbound:
    """One message or button press of a user in a private chat with the bot."""

    update_id: int
    chat_id: int
    user_id: int | None
    first_name: str | None
    kind: TgKind
    text: str | None
    callback_data: str | None
    callback_query_id: str | None
    message_id: int | None
    media: dict[str, Any] | None


@dataclass(frozen=True)
class TgSendOutcome:
    """What became of one Bot API call: done, worth retrying, or permanently refused."""

    ok: bool
    message_id: int | None
    code: int | None
    retryable: bool
    permanent: str | None
    retry_after: float | None = None
    detail: str | None = None


# --- Inbound -----------------------------------------------------------------------------


def verify_secret_token(expected: str, header: str | None) -> bool:
    """True if X-Telegram-Bot-Api-Secret-Token carries the secret given to setWebhook."""
    if not expected or header is None:
        return False
    return hmac.compare_digest(header.encode("utf-8", "replace"), expected.encode("utf-8"))


def valid_secret_token(secret: str) -> bool:
    """True if Telegram accepts the secret for setWebhook (1–256 of A-Z a-z 0-9 _ -)."""
    return _SECRET_TOKEN.fullmatch(secret) is not None


def parse_update(payload: Any) -> TgInbound | None:
    """The user's message or button press in an update; None for updates we ignore.

    Ignored: other update types (edited_message, my_chat_member, ...) and anything from
    groups or channels — a young person's conversation belongs in a private chat.
    Raises TgParseError for a malformed update.
    """
    if not isinstance(payload, dict):
        raise TgParseError("update must be a JSON object")
    update_id = payload.get("update_id")
    if not _is_int(update_id):
        raise TgParseError("field 'update_id' must be an integer")
    if "message" in payload:
        return _parse_message(update_id, payload["message"])
    if "callback_query" in payload:
        return _parse_callback(update_id, payload["callback_query"])
    return None


def _parse_message(update_id: int, message: Any) -> TgInbound | None:
    if not isinstance(message, dict):
        raise TgParseError("field 'message' must be an object")
    chat_id, private = _chat(message, "message")
    message_id = message.get("message_id")
    if not _is_int(message_id):
        raise TgParseError("message.message_id must be an integer")
    if not private:
        return None
    user_id, first_name = _sender(message.get("from"))
    kind: TgKind = "unsupported"
    text = _str(message.get("text"))
    media = None
    if text is not None:
        kind = "text"
    else:
        media = _media(message)
        if media is not None:
            kind = "media"
            text = media.get("caption")
    return TgInbound(update_id=update_id, chat_id=chat_id, user_id=user_id,
                     first_name=first_name, kind=kind, text=text, callback_data=None,
                     callback_query_id=None, message_id=message_id, media=media)


def _parse_callback(update_id: int, query: Any) -> TgInbound | None:
    if not isinstance(query, dict):
        raise TgParseError("field 'callback_query' must be an object")
    query_id = _str(query.get("id"))
    if query_id is None:
        raise TgParseError("callback_query.id must be a non-empty string")
    user_id, first_name = _sender(query.get("from"))
    if user_id is None:
        raise TgParseError("callback_query.from.id must be an integer")
    message = query.get("message")
    message_id: int | None = None
    chat_id = user_id  # in a private chat the chat id is the user's id
    if isinstance(message, dict):
        chat_id, private = _chat(message, "callback_query.message")
        if not private:
            return None
        raw_id = message.get("message_id")
        message_id = raw_id if _is_int(raw_id) else None
    data = _str(query.get("data"))
    return TgInbound(update_id=update_id, chat_id=chat_id, user_id=user_id,
                     first_name=first_name, kind="callback" if data else "unsupported",
                     text=None, callback_data=data, callback_query_id=query_id,
                     message_id=message_id, media=None)


def _chat(message: dict[str, Any], where: str) -> tuple[int, bool]:
    """(chat id, whether the chat is private); raises TgParseError without a chat id."""
    chat = message.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    if not isinstance(chat, dict) or not _is_int(chat_id):
        raise TgParseError(f"{where}.chat.id must be an integer")
    return chat_id, chat.get("type") == "private"


def _sender(sender: Any) -> tuple[int | None, str | None]:
    if not isinstance(sender, dict):
        return None, None
    user_id = sender.get("id")
    return (user_id if _is_int(user_id) else None), _str(sender.get("first_name"))


def _media(message: dict[str, Any]) -> dict[str, Any] | None:
    for key in MEDIA_KEYS:
        data = message.get(key)
        if key == "photo" and isinstance(data, list):  # sizes, smallest first
            sizes = [size for size in data if isinstance(size, dict)]
            data = sizes[-1] if sizes else None
        if not isinstance(data, dict):
            continue
        file_id = _str(data.get("file_id"))
        if file_id is None:
            continue
        media: dict[str, Any] = {"type": key, "file_id": file_id}
        mime_type = _str(data.get("mime_type"))
        if mime_type is not None:
            media["mime_type"] = mime_type
        caption = _str(message.get("caption"))
        if caption is not None:
            media["caption"] = caption
        return media
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Outbound ----------------------------------------------------------------------------


def callback_key(payload: str) -> str:
    """The callback_data standing for a payload: itself if ≤ 64 UTF-8 bytes, else a hash key."""
    return payload if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES else hashed_key(payload)


def payload_for_callback(data: str, offered_buttons: Sequence[Mapping[str, str]]) -> str | None:
    """The payload of the offered button whose callback_data is `data`, or None."""
    return payload_for_key(data, offered_buttons, callback_key)


def build_outbound(
    chat_id: int | str, text: str, buttons: Sequence[Mapping[str, str]]
) -> list[dict[str, Any]]:
    """sendMessage bodies for one bot reply, in order; the buttons go on the last one.

    Text is sent as plain text (no parse_mode), so nothing in it is taken as markup.
    """
    options = _options(buttons)
    text = text.strip()
    if options and not text:
        text = DEFAULT_PROMPT
    bodies: list[dict[str, Any]] = [{"chat_id": chat_id, "text": chunk}
                                    for chunk in split_text(text, MAX_TEXT, utf16_len)]
    if options:
        keyboard = [[{"text": title, "callback_data": callback_key(payload)}]
                    for title, payload in options]
        bodies[-1]["reply_markup"] = {"inline_keyboard": keyboard}
    return bodies


def _options(buttons: Sequence[Mapping[str, str]]) -> list[tuple[str, str]]:
    """(title, payload) of the usable buttons, titles on one line and never blank."""
    return [(" ".join(title.split()) or f"Optie {number}", payload)
            for number, (title, payload) in enumerate(usable_buttons(buttons, MAX_BUTTONS), 1)]


# --- Sending -----------------------------------------------------------------------------


def classify_error(status: int, body: Any) -> TgSendOutcome:
    """Turn a Bot API answer into a TgSendOutcome: ok, retryable (with retry_after) or permanent."""
    data = body if isinstance(body, dict) else {}
    if 200 <= status < 300 and data.get("ok") is True:
        result = data.get("result")
        raw_id = result.get("message_id") if isinstance(result, dict) else None
        return TgSendOutcome(ok=True, message_id=raw_id if _is_int(raw_id) else None,
                             code=None, retryable=False, permanent=None)
    code = data.get("error_code") if _is_int(data.get("error_code")) else status
    detail = _str(data.get("description")) or f"HTTP {status}"
    if status == 429:
        parameters = data.get("parameters")
        after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        retry_after = float(after) if _is_int(after) or isinstance(after, float) else None
        if retry_after is not None and not 0 <= retry_after <= MAX_RETRY_AFTER_S:
            retry_after = None  # nonsense (negative, NaN, days): let the caller back off
        return TgSendOutcome(ok=False, message_id=None, code=code, retryable=True,
                             permanent=None, retry_after=retry_after, detail=detail)
    if status >= 500:
        return TgSendOutcome(ok=False, message_id=None, code=code, retryable=True,
                             permanent=None, detail=detail)
    reason = {403: "blocked", 401: "token_invalid"}.get(status, "rejected")
    return TgSendOutcome(ok=False, message_id=None, code=code, retryable=False,
                         permanent=reason, detail=detail)


class TelegramClient:
    """Calls Bot API methods for one bot."""

    def __init__(self, session: aiohttp.ClientSession, api_url: str, bot_token: str,
                 timeout_s: float) -> None:
        self._session = session
        self._base_url = f"{api_url.rstrip('/')}/bot{bot_token}"
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send_message(self, body: dict[str, Any]) -> TgSendOutcome:
        """sendMessage with a body from build_outbound."""
        return await self._call("sendMessage", body)

    async def answer_callback_query(self, callback_query_id: str,
                                    text: str | None = None) -> TgSendOutcome:
        """Stop the spinner on the button the user pressed (optionally with a short notice)."""
        body: dict[str, Any] = {"callback_query_id": callback_query_id}
        if text:
            body["text"] = text
        return await self._call("answerCallbackQuery", body)

    async def set_webhook(self, url: str, secret_token: str,
                          allowed_updates: Sequence[str] = ALLOWED_UPDATES,
                          drop_pending_updates: bool = False) -> TgSendOutcome:
        """Point Telegram at our webhook; every update then carries the secret token."""
        body = {"url": url, "secret_token": secret_token,
                "allowed_updates": list(allowed_updates),
                "drop_pending_updates": drop_pending_updates}
        return await self._call("setWebhook", body)

    async def _call(self, method: str, body: dict[str, Any]) -> TgSendOutcome:
        try:
            async with self._session.post(f"{self._base_url}/{method}", json=body,
                                          timeout=self._timeout) as response:
                status = response.status
                try:
                    data = await response.json(content_type=None)
                except ValueError:  # not JSON (e.g. a proxy's HTML error page)
                    data = {}
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            # Only the type: the URL holds the bot token and must not reach the logs.
            return TgSendOutcome(ok=False, message_id=None, code=None, retryable=True,
                                 permanent=None, detail=f"network error: {type(error).__name__}")
        return classify_error(status, data)

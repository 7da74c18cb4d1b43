"""A local fake of the Telegram Bot API, and a player of Telegram's webhook updates.

The fake answers like Telegram as described in channels.md: `{"ok":true,"result":...}`
or `{"ok":false,"error_code":N,"description":"..."}`, validates what Telegram validates
(text 1–4096 characters, callback_data 1–64 bytes, an HTTPS webhook URL, the secret
token's alphabet) and lets tests script failures (429 with retry_after, 403, 400).
"""

from __future__ import annotations

import hmac
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

DEFAULT_USER_ID = 111
BOT_USERNAME = "broekzak_bot"
MAX_TEXT = 4096  # UTF-16 code units
MAX_CALLBACK_BYTES = 64
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
}


@dataclass
class Call:
    """One Bot API call the fake received."""

    method: str
    http_method: str
    headers: dict[str, str]
    json: Any


@dataclass
class FakeTelegram:
    """State of the fake Bot API: calls received, scripted failures, the webhook set."""

    bot_token: str
    calls: list[Call] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    _failures: deque[tuple[int, str, int | None]] = field(default_factory=deque)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, http_status: int, description: str | None = None,
                  retry_after: int | None = None, times: int = 1) -> None:
        """Answer the next `times` calls (any method but getMe) with this error."""
        if http_status == 429 and retry_after is None:
            retry_after = 3
        text = description or DEFAULT_DESCRIPTIONS.get(http_status, "Bad Request")
        for _ in range(times):
            self._failures.append((http_status, text.format(retry_after=retry_after),
                                   retry_after))

    def bodies(self, method: str) -> list[Any]:
        """The JSON bodies of every call of one method, in order."""
        return [call.json for call in self.calls if call.method == method]

    @property
    def bot_id(self) -> int:
        """The bot's user id: the number before the colon of its token."""
        head = self.bot_token.split(":", 1)[0]
        return int(head) if head.isdigit() else 123456789


def create_telegram_fake(bot_token: str) -> tuple[web.Application, FakeTelegram]:
    """The fake Bot API as an aiohttp app, and its inspectable state."""
    fake = FakeTelegram(bot_token)

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        body: Any = {}
        if request.can_read_body:
            try:
                body = json.loads(await request.read())
            except ValueError:
                body = None
        fake.calls.append(Call(name, request.method, dict(request.headers), body))
        if not hmac.compare_digest(request.match_info["token"].encode(), fake.bot_token.encode()):
            return error(401, "Unauthorized")
        handler = HANDLERS.get(name)
        if handler is None:
            return error(404, "Not Found")
        if not isinstance(body, dict):
            return error(400, "Bad Request: invalid JSON body")
        if name != "getMe" and fake._failures:
            status, description, retry_after = fake._failures.popleft()
            return error(status, description, retry_after)
        return handler(fake, body)

    app = web.Application()
    app.router.add_route("*", r"/bot{token}/{method}", method)
    return app, fake


def ok(result: Any) -> web.Response:
    """A successful Bot API answer."""
    return web.json_response({"ok": True, "result": result})


def error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    """A Bot API error answer, shaped like Telegram's."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


def _send_message(fake: FakeTelegram, body: dict[str, Any]) -> web.Response:
    chat_id = body.get("chat_id")
    if chat_id is None or chat_id == "":
        return error(400, "Bad Request: chat_id is empty")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return error(400, "Bad Request: message text is empty")
    if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
        return error(400, "Bad Request: message is too long")
    markup = body.get("reply_markup")
    if markup is not None:
        problem = _keyboard_problem(markup)
        if problem is not None:
            return error(400, problem)
    message: dict[str, Any] = {
        "message_id": next(fake._message_ids),
        "from": {"id": fake.bot_id, "is_bot": True, "first_name": "Broekzak",
                 "username": BOT_USERNAME},
        "chat": {"id": chat_id, "type": "private"},
        "date": int(time.time()),
        "text": text,
    }
    if markup is not None:
        message["reply_markup"] = markup
    return ok(message)


def _keyboard_problem(markup: Any) -> str | None:
    keyboard = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        return "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array"
    for row in keyboard:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str) \
                    or not button["text"].strip():
                return "Bad Request: can't parse inline keyboard button: Text is empty"
            data = button.get("callback_data")
            if data is None:
                return ("Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard")
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES:
                return "Bad Request: BUTTON_DATA_INVALID"
    return None


def _answer_callback_query(_fake: FakeTelegram, body: dict[str, Any]) -> web.Response:
    query_id = body.get("callback_query_id")
    if not isinstance(query_id, str) or not query_id:
        return error(400, 'Bad Request: parameter "callback_query_id" is required')
    text = body.get("text")
    if text is not None and (not isinstance(text, str) or len(text) > 200):
        return error(400, "Bad Request: MESSAGE_TOO_LONG")
    return ok(True)


def _set_webhook(fake: FakeTelegram, body: dict[str, Any]) -> web.Response:
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith("https://"):
        return error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    secret = body.get("secret_token")
    if secret is not None and (not isinstance(secret, str)
                               or not _SECRET_TOKEN.fullmatch(secret)):
        return error(400, "Bad Request: secret token contains unallowed characters")
    allowed = body.get("allowed_updates")
    if allowed is not None and (not isinstance(allowed, list)
                                or not all(isinstance(a, str) for a in allowed)):
        return error(400, "Bad Request: can't parse allowed updates")
    fake.webhook = dict(body)
    return web.json_response({"ok": True, "result": True, "description": "Webhook was set"})


def _get_me(fake: FakeTelegram, _body: dict[str, Any]) -> web.Response:
    return ok({"id": fake.bot_id, "is_bot": True, "first_name": "Broekzak",
               "username": BOT_USERNAME, "can_join_groups": False,
               "can_read_all_group_messages": False, "supports_inline_queries": False})


HANDLERS = {
    "sendMessage": _send_message,
    "answerCallbackQuery": _answer_callback_query,
    "setWebhook": _set_webhook,
    "getMe": _get_me,
}


# --- Update player -----------------------------------------------------------------------


async def deliver(session: aiohttp.ClientSession, gateway_url: str, update: dict[str, Any],
                  secret_token: str | None) -> aiohttp.ClientResponse:
    """POST an update at the gateway like Telegram (no header if secret_token is None)."""
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    raw = json.dumps(update, ensure_ascii=False).encode("utf-8")
    async with session.post(gateway_url, data=raw, headers=headers) as response:
        await response.read()  # cached: the caller can still await .text() or .json()
    return response


# --- Builders of realistic updates --------------------------------------------------------

_update_ids = itertools.count(600_000_001)
_message_ids = itertools.count(1001)


def user(user_id: int = DEFAULT_USER_ID, first_name: str = "Sam") -> dict[str, Any]:
    """A Telegram user (the sender)."""
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "nl"}


def _message(user_id: int, first_name: str, chat_type: str, **content: Any) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": user_id, "type": chat_type, "first_name": first_name}
    if chat_type != "private":
        chat = {"id": -100 - user_id, "type": chat_type, "title": "Een groep"}
    return {"message_id": next(_message_ids), "from": user(user_id, first_name), "chat": chat,
            "date": int(time.time()), **content}


def text_update(text: str, user_id: int = DEFAULT_USER_ID, first_name: str = "Sam",
                update_id: int | None = None, chat_type: str = "private") -> dict[str, Any]:
    """A user's text message."""
    return {"update_id": update_id or next(_update_ids),
            "message": _message(user_id, first_name, chat_type, text=text)}


def callback_update(data: str, user_id: int = DEFAULT_USER_ID, first_name: str = "Sam",
                    update_id: int | None = None, query_id: str | None = None,
                    message_text: str = "Wil je praten met een jongerenwerker?") -> dict[str, Any]:
    """A press on an inline button of one of the bot's messages."""
    bot_message = _message(user_id, first_name, "private", text=message_text)
    bot_message["from"] = {"id": 123456789, "is_bot": True, "first_name": "Broekzak",
                           "username": BOT_USERNAME}
    update_id = update_id or next(_update_ids)
    return {"update_id": update_id, "callback_query": {
        "id": query_id or str(4_382_000_000_000_000_000 + update_id),
        "from": user(user_id, first_name), "message": bot_message,
        "chat_instance": "-5293854726281718452", "data": data}}


def photo_update(file_id: str = "AgACAgQAAxkBAAIBZ2Zphoto", caption: str | None = None,
                 user_id: int = DEFAULT_USER_ID, update_id: int | None = None) -> dict[str, Any]:
    """A photo (a list of sizes, smallest first), optionally with a caption."""
    sizes = [{"file_id": f"{file_id}-{width}", "file_unique_id": f"u{width}", "width": width,
              "height": width * 3 // 4, "file_size": width * 40} for width in (90, 320, 1280)]
    sizes[-1]["file_id"] = file_id
    content: dict[str, Any] = {"photo": sizes}
    if caption is not None:
        content["caption"] = caption
    return {"update_id": update_id or next(_update_ids),
            "message": _message(user_id, "Sam", "private", **content)}


def voice_update(file_id: str = "AwACAgQAAxkBAAIBvoice", user_id: int = DEFAULT_USER_ID,
                 update_id: int | None = None) -> dict[str, Any]:
    """A voice note."""
    voice = {"file_id": file_id, "file_unique_id": "uvoice", "duration": 3,
             "mime_type": "audio/ogg", "file_size": 9000}
    return {"update_id": update_id or next(_update_ids),
            "message": _message(user_id, "Sam", "private", voice=voice)}

"""WhatsApp Business Cloud API: webhook checks and parsing, reply building, sending.

Pure functions for everything that can be pure; WhatsAppClient is the only I/O. It follows
the protocol facts of the channels spec (channels.md, "WhatsApp Business Cloud API").
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

import aiohttp

from bot.channels.button_keys import hashed_key, payload_for_key, usable_buttons
from bot.channels.textsplit import split_tail, split_text, utf16_len

WA_OBJECT = "whatsapp_business_account"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_TEXT = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_LIST_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200  # reply-button ids may be 256; one key scheme for both keeps it simple
LIST_BUTTON_LABEL = "Kies"
LIST_SECTION_TITLE = "Opties"
# The body of a message with buttons must not be empty.
DEFAULT_PROMPT = "Kies een optie:"
MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})

InboundKind = Literal[
    "text", "button_reply", "list_reply", "template_button", "media", "location", "reaction",
    "unsupported",
]

# Error codes (error.code) that a later attempt can cure, with a sensible first back-off
# in seconds. 131056 is the per-user pair limit (about one message per 6 s); 131048 is the
# spam limit, lifted only after a long pause; 1, 2 and 131000 are Meta's transient errors.
RETRYABLE_CODES: dict[int, float] = {
    130429: 10.0, 131056: 6.0, 4: 60.0, 80007: 60.0, 131048: 3600.0,
    1: 30.0, 2: 30.0, 131000: 30.0,
}
PERMANENT_CODES: dict[int, str] = {
    131047: "window_closed",
    131008: "blocked",
    131026: "undeliverable",
    190: "token_expired",
}


class WaParseError(ValueError):
    """The webhook body is not a WhatsApp envelope we can read; the text says why."""


@dataclass(frozen=True)
class WaInbound:
    """One message a user sent to the business number."""

    wamid: str
    user_id: str
    profile_name: str | None
    kind: InboundKind
    text: str | None
    reply_id: str | None
    media: dict[str, Any] | None
    context_id: str | None
    timestamp: int | None
    phone_number_id: str | None


@dataclass(frozen=True)
class WaStatus:
    """A delivery status of a message the business sent (sent, delivered, read, failed)."""

    wamid: str
    status: str
    recipient_id: str | None
    timestamp: int | None
    error_codes: tuple[int, ...]


@dataclass(frozen=True)
class SendOutcome:
    """What became of one Graph API call: sent, worth retrying, or permanently refused."""

    ok: bool
    wamid: str | None
    code: int | None
    retryable: bool
    permanent: str | None
    retry_after: float | None = None
    detail: str | None = None


# --- Inbound -----------------------------------------------------------------------------


def verify_signature(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """True if X-Hub-Signature-256 is the HMAC-SHA256 of the exact raw body under app_secret."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    given = header[len("sha256="):].strip().lower()
    if not given.isascii():
        return False
    expected = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


def verify_challenge(query: Mapping[str, str], verify_token: str) -> str | None:
    """The hub.challenge to echo for Meta's subscription check, or None (answer 403)."""
    if not verify_token or query.get("hub.mode") != "subscribe":
        return None
    given = query.get("hub.verify_token", "")
    if not hmac.compare_digest(given.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    return query.get("hub.challenge") or None


def parse_webhook(payload: Any) -> tuple[list[WaInbound], list[WaStatus]]:
    """All messages and statuses of a (batched) webhook body; raises WaParseError.

    Changes of other fields than "messages" are ignored; message types we cannot read
    become kind "unsupported" instead of failing the whole batch.
    """
    if not isinstance(payload, dict):
        raise WaParseError("body must be a JSON object")
    if payload.get("object") != WA_OBJECT:
        raise WaParseError(f"field 'object' must be {WA_OBJECT!r}")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise WaParseError("field 'entry' must be a list")
    messages: list[WaInbound] = []
    statuses: list[WaStatus] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise WaParseError(f"entry[{i}] must be an object")
        changes = entry.get("changes")
        if not isinstance(changes, list):
            raise WaParseError(f"entry[{i}].changes must be a list")
        for j, change in enumerate(changes):
            where = f"entry[{i}].changes[{j}]"
            if not isinstance(change, dict):
                raise WaParseError(f"{where} must be an object")
            if change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                raise WaParseError(f"{where}.value must be an object")
            _parse_value(value, f"{where}.value", messages, statuses)
    return messages, statuses


def _parse_value(value: dict[str, Any], where: str, messages: list[WaInbound],
                 statuses: list[WaStatus]) -> None:
    metadata = value.get("metadata")
    phone_number_id = _str(metadata.get("phone_number_id")) if isinstance(metadata, dict) else None
    names: dict[str, str] = {}
    for contact in _list(value, "contacts", where):
        profile = contact.get("profile") if isinstance(contact, dict) else None
        name = _str(profile.get("name")) if isinstance(profile, dict) else None
        if name is None or not isinstance(contact, dict):
            continue
        for key in ("wa_id", "user_id"):
            contact_id = _str(contact.get(key))
            if contact_id is not None:
                names[contact_id] = name
    for k, message in enumerate(_list(value, "messages", where)):
        messages.append(_parse_message(message, f"{where}.messages[{k}]", names, phone_number_id))
    for k, status in enumerate(_list(value, "statuses", where)):
        statuses.append(_parse_status(status, f"{where}.statuses[{k}]"))


def _parse_message(message: Any, where: str, names: dict[str, str],
                   phone_number_id: str | None) -> WaInbound:
    if not isinstance(message, dict):
        raise WaParseError(f"{where} must be an object")
    wamid = _str(message.get("id"))
    if wamid is None:
        raise WaParseError(f"{where}.id must be a non-empty string")
    user_id = _str(message.get("from")) or _str(message.get("from_user_id"))
    if user_id is None:
        raise WaParseError(f"{where} has neither 'from' nor 'from_user_id'")
    kind, text, reply_id, media = _content(message)
    context = message.get("context")
    context_id = _str(context.get("id")) if isinstance(context, dict) else None
    if kind == "reaction":
        context_id = _str(_obj(message, "reaction").get("message_id")) or context_id
    return WaInbound(
        wamid=wamid, user_id=user_id, profile_name=names.get(user_id), kind=kind, text=text,
        reply_id=reply_id, media=media, context_id=context_id,
        timestamp=_timestamp(message.get("timestamp")), phone_number_id=phone_number_id,
    )


def _content(
    message: dict[str, Any],
) -> tuple[InboundKind, str | None, str | None, dict[str, Any] | None]:
    """(kind, text, reply_id, media) of a message; "unsupported" for anything unreadable."""
    kind = message.get("type")
    if kind == "text":
        body = _obj(message, "text").get("body")
        if isinstance(body, str):
            return "text", body, None, None
    elif kind == "interactive":
        interactive = _obj(message, "interactive")
        reply_kind = interactive.get("type")
        if reply_kind == "button_reply" or reply_kind == "list_reply":
            reply = _obj(interactive, reply_kind)
            reply_id = _str(reply.get("id"))
            if reply_id is not None:
                return reply_kind, _str(reply.get("title")), reply_id, None
    elif kind == "button":
        button = _obj(message, "button")
        payload = _str(button.get("payload"))
        if payload is not None:
            return "template_button", _str(button.get("text")), payload, None
    elif isinstance(kind, str) and kind in MEDIA_TYPES:
        data = _obj(message, kind)
        media_id = _str(data.get("id"))
        if media_id is not None:
            media: dict[str, Any] = {"type": kind, "id": media_id,
                                     "mime_type": _str(data.get("mime_type")) or ""}
            caption = _str(data.get("caption"))
            if caption is not None:
                media["caption"] = caption
            if data.get("voice") is True:
                media["voice"] = True
            return "media", caption, None, media
    elif kind == "location":
        return "location", None, None, None
    elif kind == "reaction":
        return "reaction", _str(_obj(message, "reaction").get("emoji")), None, None
    return "unsupported", None, None, None


def _parse_status(status: Any, where: str) -> WaStatus:
    if not isinstance(status, dict):
        raise WaParseError(f"{where} must be an object")
    wamid = _str(status.get("id"))
    state = _str(status.get("status"))
    if wamid is None or state is None:
        raise WaParseError(f"{where} needs string fields 'id' and 'status'")
    errors = status.get("errors")
    codes = tuple(
        error["code"] for error in (errors if isinstance(errors, list) else [])
        if isinstance(error, dict) and _is_int(error.get("code"))
    )
    recipient = _str(status.get("recipient_id")) or _str(status.get("recipient_user_id"))
    return WaStatus(wamid=wamid, status=state, recipient_id=recipient,
                    timestamp=_timestamp(status.get("timestamp")), error_codes=codes)


def _list(value: dict[str, Any], key: str, where: str) -> list[Any]:
    items = value.get(key, [])
    if not isinstance(items, list):
        raise WaParseError(f"{where}.{key} must be a list")
    return items


def _obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _timestamp(value: Any) -> int | None:
    if _is_int(value):
        return int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    return None


# --- Outbound ----------------------------------------------------------------------------


def button_key(payload: str) -> str:
    """The reply/row id standing for a payload: the payload itself if short, else a hash key."""
    return payload if utf16_len(payload) <= MAX_ROW_ID else hashed_key(payload)


def payload_for_reply(reply_id: str, offered_buttons: Sequence[Mapping[str, str]]) -> str | None:
    """The payload of the offered button whose reply/row id is reply_id, or None."""
    return payload_for_key(reply_id, offered_buttons, button_key)


def build_outbound(
    to: str, text: str, buttons: Sequence[Mapping[str, str]]
) -> list[dict[str, Any]]:
    """Graph API bodies for one bot reply, in sending order, all within the platform's limits.

    Long text becomes several text messages. With 1–3 buttons the last message is a
    reply-button message, with 4–10 a list (more are cut to 10); its body is the last
    paragraph (else line, sentence, word) of the text that fits in 1024, so a closing
    question stays with its buttons. Lengths are counted in UTF-16 code units, never
    fewer than characters, so the limits hold however Meta counts.
    """
    options = usable_buttons(buttons, MAX_LIST_ROWS)
    text = text.strip()
    if not options:
        return [text_body(to, chunk) for chunk in split_text(text, MAX_TEXT, utf16_len)]
    head, body = _split_for_interactive(text or DEFAULT_PROMPT)
    bodies = [text_body(to, chunk) for chunk in head]
    if len(options) <= MAX_REPLY_BUTTONS:
        bodies.append(_buttons_body(to, body, options))
    else:
        bodies.append(_list_body(to, body, options))
    return bodies


def text_body(to: str, text: str) -> dict[str, Any]:
    """A plain text message (the caller keeps it within MAX_TEXT)."""
    return {**_envelope(to), "type": "text", "text": {"preview_url": False, "body": text}}


def template_body(to: str, name: str, language: str = "nl",
                  components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An approved template message: the only kind allowed outside the 24-hour window."""
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    return {**_envelope(to), "type": "template", "template": template}


def mark_read_body(wamid: str, typing: bool = True) -> dict[str, Any]:
    """Mark a user's message as read and, by default, show the typing indicator."""
    body: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read",
                            "message_id": wamid}
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body


def _envelope(to: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}


def _split_for_interactive(text: str) -> tuple[list[str], str]:
    """(plain text chunks to send first, the last part ≤ 1024 that carries the buttons)."""
    head, tail = split_tail(text, MAX_INTERACTIVE_BODY, utf16_len)
    return split_text(head, MAX_TEXT, utf16_len), tail


def _buttons_body(to: str, body: str, options: list[tuple[str, str]]) -> dict[str, Any]:
    titles = unique_titles([title for title, _ in options], MAX_BUTTON_TITLE)
    buttons = [{"type": "reply", "reply": {"id": button_key(payload), "title": title}}
               for title, (_, payload) in zip(titles, options, strict=True)]
    return {**_envelope(to), "type": "interactive", "interactive": {
        "type": "button", "body": {"text": body}, "action": {"buttons": buttons}}}


def _list_body(to: str, body: str, options: list[tuple[str, str]]) -> dict[str, Any]:
    titles = unique_titles([title for title, _ in options], MAX_ROW_TITLE)
    rows: list[dict[str, str]] = []
    for short, (full, payload) in zip(titles, options, strict=True):
        row = {"id": button_key(payload), "title": short}
        full = " ".join(full.split())
        if full and short != full:
            # A shortened title is shown in full (or as much as fits) under the row.
            row["description"] = shorten(full, MAX_ROW_DESCRIPTION)
        rows.append(row)
    return {**_envelope(to), "type": "interactive", "interactive": {
        "type": "list", "body": {"text": body},
        "action": {"button": LIST_BUTTON_LABEL,
                   "sections": [{"title": LIST_SECTION_TITLE, "rows": rows}]}}}


def shorten(text: str, limit: int) -> str:
    """The text, or its longest prefix plus '…' that fits in limit UTF-16 code units."""
    if utf16_len(text) <= limit:
        return text
    cut = min(len(text), limit - 1)
    while cut > 0 and utf16_len(text[:cut].rstrip() + "…") > limit:
        cut -= 1
    return text[:cut].rstrip() + "…"


def unique_titles(titles: Sequence[str], limit: int) -> list[str]:
    """Titles on one line, non-empty, ≤ limit and unique (ignoring case); numbered if needed."""
    seen: set[str] = set()
    result: list[str] = []
    for number, raw in enumerate(titles, start=1):
        base = " ".join(raw.split()) or f"Optie {number}"
        title = shorten(base, limit)
        copy = 2
        while title.casefold() in seen:
            suffix = f" ({copy})"
            title = shorten(base, limit - len(suffix)) + suffix
            copy += 1
        seen.add(title.casefold())
        result.append(title)
    return result


# --- Sending -----------------------------------------------------------------------------


def classify_error(status: int, body: Any) -> SendOutcome:
    """Turn a Graph API answer into a SendOutcome: ok, retryable (with back-off) or permanent."""
    data = body if isinstance(body, dict) else {}
    if 200 <= status < 300:
        messages = data.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else None
        wamid = _str(first.get("id")) if isinstance(first, dict) else None
        return SendOutcome(ok=True, wamid=wamid, code=None, retryable=False, permanent=None)
    error = _obj(data, "error")
    code = error.get("code") if _is_int(error.get("code")) else None
    error_data = _obj(error, "error_data")
    detail = " — ".join(str(part) for part in (error.get("message"), error_data.get("details"))
                        if part) or f"HTTP {status}"
    if code in PERMANENT_CODES:
        return SendOutcome(ok=False, wamid=None, code=code, retryable=False,
                           permanent=PERMANENT_CODES[code], detail=detail)
    if code in RETRYABLE_CODES:
        return SendOutcome(ok=False, wamid=None, code=code, retryable=True, permanent=None,
                           retry_after=RETRYABLE_CODES[code], detail=detail)
    if status >= 500 or status == 429:
        return SendOutcome(ok=False, wamid=None, code=code, retryable=True, permanent=None,
                           detail=detail)
    reason = "token_expired" if status == 401 else "rejected"
    return SendOutcome(ok=False, wamid=None, code=code, retryable=False, permanent=reason,
                       detail=detail)


class WhatsAppClient:
    """Sends messages and read receipts through the Graph API for one business number."""

    def __init__(self, session: aiohttp.ClientSession, api_url: str, access_token: str,
                 phone_number_id: str, timeout_s: float) -> None:
        self._session = session
        self._messages_url = f"{api_url.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send(self, body: dict[str, Any]) -> SendOutcome:
        """POST one message body; never raises for HTTP or network trouble."""
        try:
            async with self._session.post(self._messages_url, json=body, headers=self._headers,
                                          timeout=self._timeout) as response:
                status = response.status
                try:
                    data = await response.json(content_type=None)
                except ValueError:  # not JSON (e.g. a proxy's HTML error page)
                    data = {}
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            # The request may or may not have reached Meta: a retry can send it twice.
            return SendOutcome(ok=False, wamid=None, code=None, retryable=True, permanent=None,
                               detail=f"network error: {type(error).__name__}")
        return classify_error(status, data)

    async def mark_read(self, wamid: str) -> SendOutcome:
        """Mark the user's message read and show the typing indicator."""
        return await self.send(mark_read_body(wamid))

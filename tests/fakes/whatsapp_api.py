"""A local fake of the WhatsApp Cloud API (Graph API), and a player of Meta's webhooks.

The fake answers like the platform as described in channels.md: success bodies with
contacts and a fresh wamid, Graph error bodies, bearer-token checks (401, code 190) and
Meta's validation of message bodies (400, code 131009 "Parameter value is not valid",
or code 100 for a missing parameter). Tests script failures with `fail_next`.

The player signs and POSTs webhook bodies at the gateway exactly as Meta does: compact
JSON with non-ASCII escaped (\\u00e4), X-Hub-Signature-256 over those exact bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import aiohttp
from aiohttp import web

WA_OBJECT = "whatsapp_business_account"
DEFAULT_WA_ID = "447700900123"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DISPLAY_PHONE_NUMBER = "15550783881"
WABA_ID = "102290129340398"

# Titles and details of the codes tests script; "message" is "(#code) title" like Meta's.
ERRORS: dict[int, tuple[str, str]] = {
    1: ("API Unknown", "Invalid request or possible server error."),
    2: ("API Service", "Temporary due to downtime or due to being overloaded."),
    4: ("Application request limit reached", "Too many API calls."),
    100: ("Invalid parameter", "A required parameter is missing or invalid."),
    190: ("Invalid OAuth access token - Cannot parse access token", "Token is not valid."),
    80007: ("Rate limit issues", "The WhatsApp Business Account has reached its rate limit."),
    130429: ("Rate limit hit", "Cloud API message throughput has been reached."),
    131000: ("Something went wrong", "Message failed to send due to an unknown error."),
    131008: ("Required parameter is missing", "The request is missing a required parameter."),
    131009: ("Parameter value is not valid", "One or more parameter values are invalid."),
    131026: ("Message Undeliverable", "Unable to deliver message."),
    131047: ("Re-engagement message", "Message failed to send because more than 24 hours "
             "have passed since the customer last replied to this number."),
    131048: ("Spam rate limit hit", "Message failed to send because there are restrictions "
             "on how many messages can be sent from this phone number."),
    131056: ("(Business Account, Consumer Account) pair rate limit hit",
             "Message failed to send because there were too many messages sent from this "
             "phone number to the same phone number in a short period of time."),
}
INTERACTIVE_LIMITS = {"body": 1024, "button_title": 20, "reply_id": 256, "buttons": 3,
                      "list_button": 20, "rows": 10, "row_title": 24, "row_description": 72,
                      "row_id": 200, "section_title": 24}
MAX_TEXT = 4096


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class FakeWhatsApp:
    """State of the fake Graph API: what it received, scripted failures, stored media."""

    app_secret: str
    access_token: str
    phone_number_id: str
    sent: list[Recorded] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    _failures: deque[tuple[int, int, str | None]] = field(default_factory=deque)

    def fail_next(self, code: int, http_status: int = 400, times: int = 1,
                  details: str | None = None) -> None:
        """Answer the next `times` message sends with this Graph error, then recover."""
        for _ in range(times):
            self._failures.append((code, http_status, details))

    def add_media(self, media_id: str, content: bytes, mime_type: str) -> None:
        """Make a media object downloadable through GET /{media_id}."""
        self.media[media_id] = (content, mime_type)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Bodies POSTed to the messages endpoint (accepted or not), in order."""
        return [r.json for r in self.sent if r.method == "POST" and r.path.endswith("/messages")]


def create_whatsapp_fake(app_secret: str, access_token: str,
                         phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
                         ) -> tuple[web.Application, FakeWhatsApp]:
    """The fake Graph API as an aiohttp app, and its inspectable state."""
    fake = FakeWhatsApp(app_secret, access_token, phone_number_id)

    async def messages(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        _record(fake, request, body)
        if not _authorised(request, fake.access_token):
            return graph_error(190, 401)
        if request.match_info["phone_number_id"] != fake.phone_number_id:
            return graph_error(100, 400, "Unsupported post request. Object with ID "
                               f"'{request.match_info['phone_number_id']}' does not exist.")
        if not isinstance(body, dict):
            return graph_error(100, 400, "The request body is not a JSON object.")
        if fake._failures:
            code, status, details = fake._failures.popleft()
            return graph_error(code, status, details)
        problem = validate_message(body)
        if problem is not None:
            return graph_error(*problem)
        if body.get("status") == "read":
            return web.json_response({"success": True})
        return web.json_response({
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": new_wamid()}],
        })

    async def media_info(request: web.Request) -> web.Response:
        _record(fake, request, None)
        if not _authorised(request, fake.access_token):
            return graph_error(190, 401)
        media_id = request.match_info["media_id"]
        if media_id not in fake.media:
            return graph_error(100, 400, f"Unsupported get request. Object with ID "
                               f"'{media_id}' does not exist.")
        content, mime_type = fake.media[media_id]
        # Not request.url: it cannot be built with this aiohttp/yarl pair (host with port).
        url = f"{request.scheme}://{request.host}/whatsapp-media/{media_id}"
        return web.json_response({
            "messaging_product": "whatsapp", "url": url, "mime_type": mime_type,
            "sha256": hashlib.sha256(content).hexdigest(), "file_size": len(content),
            "id": media_id,
        })

    async def media_download(request: web.Request) -> web.Response:
        _record(fake, request, None)
        if not _authorised(request, fake.access_token):
            return web.Response(status=401)
        media_id = request.match_info["media_id"]
        if media_id not in fake.media:
            return web.Response(status=404)
        content, mime_type = fake.media[media_id]
        return web.Response(body=content, content_type=mime_type)

    app = web.Application()
    app.router.add_post("/{phone_number_id}/messages", messages)
    app.router.add_get("/whatsapp-media/{media_id}", media_download)
    app.router.add_get("/{media_id}", media_info)
    return app, fake


def _record(fake: FakeWhatsApp, request: web.Request, body: Any) -> None:
    fake.sent.append(Recorded(request.method, request.path, dict(request.headers), body))


def _authorised(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    given = header[len("Bearer "):] if header.startswith("Bearer ") else ""
    return hmac.compare_digest(given.encode(), token.encode())


def graph_error(code: int, http_status: int, details: str | None = None) -> web.Response:
    """A Graph API error answer, shaped like Meta's."""
    title, default_details = ERRORS.get(code, ("Unknown error", "Unknown error."))
    body = {"error": {
        "message": f"(#{code}) {title}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or default_details},
        "fbtrace_id": "A" + secrets.token_urlsafe(16),
    }}
    return web.json_response(body, status=http_status)


def new_wamid() -> str:
    """A fresh message id that looks like Meta's."""
    return "wamid." + base64.b64encode(b"\x18\x0b" + secrets.token_bytes(30)).decode()


# --- Validation like the platform's ------------------------------------------------------

Problem = tuple[int, int, str]  # (code, http status, details)


def validate_message(body: dict[str, Any]) -> Problem | None:
    """Why Meta would refuse this messages body, or None if it would accept it."""
    if body.get("messaging_product") != "whatsapp":
        return _missing("messaging_product")
    if body.get("status") == "read":
        if not _text(body.get("message_id")):
            return _missing("message_id")
        typing = body.get("typing_indicator")
        if typing is not None and typing != {"type": "text"}:
            return _invalid("typing_indicator.type must be 'text'")
        return None
    if not _text(body.get("to")):
        return _missing("to")
    kind = body.get("type", "text")
    if kind == "text":
        text = body.get("text")
        if not isinstance(text, dict) or not _text(text.get("body")):
            return _missing("text.body")
        if len(text["body"]) > MAX_TEXT:
            return _invalid(f"text.body is longer than {MAX_TEXT} characters")
        return None
    if kind == "interactive":
        return _validate_interactive(body.get("interactive"))
    if kind == "template":
        template = body.get("template")
        language = template.get("language") if isinstance(template, dict) else None
        if not isinstance(template, dict) or not _text(template.get("name")):
            return _missing("template.name")
        if not isinstance(language, dict) or not _text(language.get("code")):
            return _missing("template.language.code")
        return None
    return _invalid(f"type '{kind}' is not supported")


def _validate_interactive(interactive: Any) -> Problem | None:
    limits = INTERACTIVE_LIMITS
    if not isinstance(interactive, dict):
        return _missing("interactive")
    body = interactive.get("body")
    if not isinstance(body, dict) or not _text(body.get("text")):
        return _missing("interactive.body.text")
    if len(body["text"]) > limits["body"]:
        return _invalid(f"body text is longer than {limits['body']} characters")
    action = interactive.get("action")
    if not isinstance(action, dict):
        return _missing("interactive.action")
    if interactive.get("type") == "button":
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= limits["buttons"]:
            return _invalid(f"buttons must have 1 to {limits['buttons']} items")
        pairs = []
        for button in buttons:
            reply = button.get("reply") if isinstance(button, dict) else None
            if (not isinstance(button, dict) or button.get("type") != "reply"
                    or not isinstance(reply, dict)):
                return _invalid("each button must be of type 'reply' with a 'reply' object")
            pairs.append((reply.get("id"), reply.get("title")))
        return _check_items(pairs, limits["reply_id"], limits["button_title"], "button")
    if interactive.get("type") == "list":
        label = action.get("button")
        if not _text(label) or len(label) > limits["list_button"]:
            return _invalid(f"action.button must have 1 to {limits['list_button']} characters")
        sections = action.get("sections")
        if not isinstance(sections, list) or not sections:
            return _missing("action.sections")
        rows: list[Any] = []
        for section in sections:
            if not isinstance(section, dict) or not isinstance(section.get("rows"), list):
                return _missing("sections.rows")
            title = section.get("title")
            if (len(sections) > 1 and not _text(title)) or (
                    title is not None and (not isinstance(title, str)
                                           or len(title) > limits["section_title"])):
                return _invalid(f"section title must have 1 to {limits['section_title']} "
                                "characters")
            rows.extend(section["rows"])
        if not 1 <= len(rows) <= limits["rows"]:
            return _invalid(f"a list must have 1 to {limits['rows']} rows")
        for row in rows:
            description = row.get("description") if isinstance(row, dict) else None
            if description is not None and (not isinstance(description, str)
                                            or len(description) > limits["row_description"]):
                return _invalid(f"row description is longer than {limits['row_description']}")
        pairs = [(r.get("id"), r.get("title")) if isinstance(r, dict) else (None, None)
                 for r in rows]
        return _check_items(pairs, limits["row_id"], limits["row_title"], "row")
    return _invalid("interactive.type must be 'button' or 'list' here")


def _check_items(pairs: list[tuple[Any, Any]], max_id: int, max_title: int,
                 what: str) -> Problem | None:
    ids: set[str] = set()
    titles: set[str] = set()
    for item_id, title in pairs:
        if not _text(item_id) or len(item_id) > max_id:
            return _invalid(f"{what} id must have 1 to {max_id} characters")
        if not _text(title) or len(title) > max_title:
            return _invalid(f"{what} title must have 1 to {max_title} characters")
        if item_id in ids:
            return _invalid(f"{what} ids must be unique")
        if what == "button" and title in titles:
            return _invalid("button titles must be unique")
        ids.add(item_id)
        titles.add(title)
    return None


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _missing(name: str) -> Problem:
    return 100, 400, f"The parameter {name} is required."


def _invalid(details: str) -> Problem:
    return 131009, 400, details


# --- Webhook player ----------------------------------------------------------------------


def serialise(payload: dict[str, Any]) -> bytes:
    """The bytes Meta would send: compact JSON, non-ASCII escaped."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def sign(app_secret: str, raw: bytes) -> str:
    """The X-Hub-Signature-256 value for these exact bytes."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


async def deliver(session: aiohttp.ClientSession, gateway_url: str, payload: dict[str, Any],
                  app_secret: str) -> aiohttp.ClientResponse:
    """POST a webhook body at the gateway like Meta: serialised, signed; body already read."""
    return await deliver_raw(session, gateway_url, serialise(payload), app_secret)


async def deliver_raw(session: aiohttp.ClientSession, gateway_url: str, raw: bytes,
                      app_secret: str | None, signature: str | None = None,
                      ) -> aiohttp.ClientResponse:
    """POST exact bytes, signed with app_secret (or the given signature, or none if both None)."""
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    if signature is None and app_secret is not None:
        signature = sign(app_secret, raw)
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    async with session.post(gateway_url, data=raw, headers=headers) as response:
        await response.read()  # cached: the caller can still await .text() or .json()
    return response


def truncate(raw: bytes, keep: float = 0.5) -> bytes:
    """The first part of a body (a cut-off delivery): no longer valid JSON."""
    return raw[: max(1, int(len(raw) * keep))]


# --- Builders of realistic webhook bodies -------------------------------------------------

_counter = itertools.count(1)


def _wamid(wamid: str | None) -> str:
    return wamid or f"wamid.HBgL{next(_counter):08d}{secrets.token_hex(4).upper()}"


def _now() -> str:
    return str(int(time.time()))


def _message(kind: str, wa_id: str, wamid: str | None, context_id: str | None,
             **content: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"from": wa_id, "id": _wamid(wamid), "timestamp": _now(),
                               "type": kind, **content}
    if context_id is not None:
        message["context"] = {"from": DISPLAY_PHONE_NUMBER, "id": context_id}
    return message


def text_message(text: str, wa_id: str = DEFAULT_WA_ID, wamid: str | None = None,
                 context_id: str | None = None) -> dict[str, Any]:
    """A user's text message."""
    return _message("text", wa_id, wamid, context_id, text={"body": text})


def button_reply(reply_id: str, title: str, wa_id: str = DEFAULT_WA_ID,
                 wamid: str | None = None, context_id: str = "wamid.HBgLbuttons") -> dict[str, Any]:
    """A press on a reply button of the message context_id."""
    return _message("interactive", wa_id, wamid, context_id, interactive={
        "type": "button_reply", "button_reply": {"id": reply_id, "title": title}})


def list_reply(reply_id: str, title: str, description: str | None = None,
               wa_id: str = DEFAULT_WA_ID, wamid: str | None = None,
               context_id: str = "wamid.HBgLlist") -> dict[str, Any]:
    """A choice from a list message."""
    reply = {"id": reply_id, "title": title}
    if description is not None:
        reply["description"] = description
    return _message("interactive", wa_id, wamid, context_id,
                    interactive={"type": "list_reply", "list_reply": reply})


def template_button(payload: str, text: str, wa_id: str = DEFAULT_WA_ID,
                    wamid: str | None = None,
                    context_id: str = "wamid.HBgLtemplate") -> dict[str, Any]:
    """A press on a template's quick-reply button."""
    return _message("button", wa_id, wamid, context_id,
                    button={"payload": payload, "text": text})


def media_message(kind: str, media_id: str | None = None, mime_type: str | None = None,
                  caption: str | None = None, voice: bool = False, wa_id: str = DEFAULT_WA_ID,
                  wamid: str | None = None) -> dict[str, Any]:
    """An image, audio (voice=True for a voice note), video, document or sticker."""
    default_mime = {"image": "image/jpeg", "audio": "audio/ogg; codecs=opus",
                    "video": "video/mp4", "document": "application/pdf",
                    "sticker": "image/webp"}
    data: dict[str, Any] = {"id": media_id or str(10**15 + next(_counter)),
                            "mime_type": mime_type or default_mime.get(kind, "image/jpeg"),
                            "sha256": base64.b64encode(secrets.token_bytes(32)).decode()}
    if caption is not None:
        data["caption"] = caption
    if voice:
        data["voice"] = True
    return _message(kind, wa_id, wamid, None, **{kind: data})


def location_message(latitude: float = 52.37, longitude: float = 4.89,
                     wa_id: str = DEFAULT_WA_ID, wamid: str | None = None) -> dict[str, Any]:
    """A shared location."""
    return _message("location", wa_id, wamid, None,
                    location={"latitude": latitude, "longitude": longitude})


def reaction_message(message_id: str, emoji: str | None = "👍", wa_id: str = DEFAULT_WA_ID,
                     wamid: str | None = None) -> dict[str, Any]:
    """A reaction to message_id (emoji None: the reaction was removed)."""
    reaction: dict[str, Any] = {"message_id": message_id}
    if emoji is not None:
        reaction["emoji"] = emoji
    return _message("reaction", wa_id, wamid, None, reaction=reaction)


def unsupported_message(wa_id: str = DEFAULT_WA_ID, wamid: str | None = None) -> dict[str, Any]:
    """A message type the Cloud API cannot pass on (e.g. a poll), with its error."""
    return _message("unsupported", wa_id, wamid, None, errors=[{
        "code": 131051, "title": "Message type unknown", "message": "Message type unknown",
        "error_data": {"details": "Message type is currently not supported."}}])


def status_update(wamid: str, status: str, error_code: int | None = None,
                  recipient_id: str = DEFAULT_WA_ID) -> dict[str, Any]:
    """A delivery status of a message we sent; failed ones carry the error."""
    update: dict[str, Any] = {"id": wamid, "status": status, "timestamp": _now(),
                              "recipient_id": recipient_id}
    if error_code is not None:
        title, details = ERRORS.get(error_code, ("Unknown error", "Unknown error."))
        update["errors"] = [{"code": error_code, "title": title, "message": title,
                             "error_data": {"details": details}}]
    return update


def contact(wa_id: str = DEFAULT_WA_ID, name: str = "Sam") -> dict[str, Any]:
    """A contacts[] item: the sender's profile."""
    return {"profile": {"name": name}, "wa_id": wa_id}


def envelope(messages: list[dict[str, Any]] | None = None,
             statuses: list[dict[str, Any]] | None = None,
             contacts: list[dict[str, Any]] | None = None,
             phone_number_id: str = DEFAULT_PHONE_NUMBER_ID) -> dict[str, Any]:
    """A whole webhook body with one entry and one "messages" change.

    Without explicit contacts, every sender gets a contact named "Sam" (as Meta sends).
    """
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER,
                     "phone_number_id": phone_number_id},
    }
    if messages:
        senders = dict.fromkeys(str(m.get("from")) for m in messages)
        value["contacts"] = contacts if contacts is not None else [contact(s) for s in senders]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {"object": WA_OBJECT, "entry": [
        {"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}


def batch(*envelopes: dict[str, Any]) -> dict[str, Any]:
    """Several envelopes as one POST with several entries (Meta batches under load)."""
    return {"object": WA_OBJECT,
            "entry": [entry for body in envelopes for entry in body["entry"]]}

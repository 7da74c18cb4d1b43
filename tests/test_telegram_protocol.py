"""Telegram Bot API protocol: secret token, parsing, reply building, errors, the client.

The client runs against the fake Bot API (tests/fakes/telegram_api.py) over real HTTP.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.telegram_protocol import (
    SECRET_HEADER,
    TelegramClient,
    TgInbound,
    TgParseError,
    TgSendOutcome,
    build_outbound,
    callback_key,
    classify_error,
    parse_update,
    payload_for_callback,
    valid_secret_token,
    verify_secret_token,
)
from bot.channels.textsplit import utf16_len
from tests.conftest import free_port
from tests.fakes.telegram_api import (
    callback_update,
    create_telegram_fake,
    deliver,
    photo_update,
    text_update,
    voice_update,
)

BOT_TOKEN = "123456789:AAH-test-token_abc"
SECRET = "broekzak-test_secret"
CHAT = 111


# --- Secret token --------------------------------------------------------------------------


def test_secret_token_check() -> None:
    assert verify_secret_token(SECRET, SECRET)
    assert not verify_secret_token(SECRET, None)
    assert not verify_secret_token(SECRET, "")
    assert not verify_secret_token(SECRET, SECRET + "x")
    assert not verify_secret_token(SECRET, "brœkzak")
    assert not verify_secret_token("", "")  # no secret configured: never verifies


def test_secret_token_alphabet() -> None:
    assert valid_secret_token(SECRET)
    assert not valid_secret_token("")
    assert not valid_secret_token("met spatie")
    assert not valid_secret_token("x" * 257)


# --- Parsing -------------------------------------------------------------------------------


def test_parse_text() -> None:
    update = text_update("Hoi 👋", update_id=42)
    inbound = parse_update(update)
    assert inbound == TgInbound(
        update_id=42, chat_id=CHAT, user_id=CHAT, first_name="Sam", kind="text",
        text="Hoi 👋", callback_data=None, callback_query_id=None,
        message_id=update["message"]["message_id"], media=None)


def test_parse_the_spec_example() -> None:
    update = {"update_id": 10000, "message": {
        "message_id": 1365, "from": {"id": 111, "is_bot": False, "first_name": "Sam",
                                     "language_code": "nl"},
        "chat": {"id": 111, "type": "private"}, "date": 1441645532, "text": "/start"}}
    inbound = parse_update(update)
    assert inbound is not None
    assert (inbound.kind, inbound.text, inbound.message_id) == ("text", "/start", 1365)


def test_parse_callback() -> None:
    update = callback_update("/affirm", query_id="4382bfdwdsb323b2d9")
    inbound = parse_update(update)
    assert inbound is not None
    assert (inbound.kind, inbound.callback_data, inbound.callback_query_id) == (
        "callback", "/affirm", "4382bfdwdsb323b2d9")
    assert (inbound.chat_id, inbound.user_id, inbound.text) == (CHAT, CHAT, None)
    assert inbound.message_id == update["callback_query"]["message"]["message_id"]


def test_callback_on_an_old_message_without_message_uses_the_user_as_chat() -> None:
    update = callback_update("/affirm")
    del update["callback_query"]["message"]
    inbound = parse_update(update)
    assert inbound is not None
    assert (inbound.chat_id, inbound.message_id) == (CHAT, None)


def test_callback_without_data_is_unsupported_but_answerable() -> None:
    update = callback_update("x")
    del update["callback_query"]["data"]
    update["callback_query"]["game_short_name"] = "spel"
    inbound = parse_update(update)
    assert inbound is not None
    assert inbound.kind == "unsupported" and inbound.callback_query_id is not None


def test_parse_photo_takes_the_largest_size_and_caption() -> None:
    inbound = parse_update(photo_update("BIG", caption="kijk"))
    assert inbound is not None
    assert inbound.kind == "media"
    assert inbound.media == {"type": "photo", "file_id": "BIG", "caption": "kijk"}
    assert inbound.text == "kijk"


def test_parse_voice() -> None:
    inbound = parse_update(voice_update("VOICE"))
    assert inbound is not None
    assert inbound.media == {"type": "voice", "file_id": "VOICE", "mime_type": "audio/ogg"}
    assert inbound.text is None


def test_other_content_is_unsupported() -> None:
    update = text_update("x")
    del update["message"]["text"]
    update["message"]["location"] = {"latitude": 52.37, "longitude": 4.89}
    inbound = parse_update(update)
    assert inbound is not None and inbound.kind == "unsupported"


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "edited_message": text_update("x")["message"]},
        {"update_id": 2, "my_chat_member": {"chat": {"id": 1}}},
        {"update_id": 3, "channel_post": {"message_id": 1}},
        {"update_id": 4},
        text_update("hoi iedereen", chat_type="group"),
        text_update("hoi", chat_type="supergroup"),
    ],
)
def test_ignored_updates(update: dict[str, Any]) -> None:
    assert parse_update(update) is None


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        ([], "JSON object"),
        ({}, "update_id"),
        ({"update_id": "1"}, "update_id"),
        ({"update_id": True}, "update_id"),
        ({"update_id": 1, "message": "hoi"}, "message"),
        ({"update_id": 1, "message": {"message_id": 1, "text": "x"}}, "chat.id"),
        ({"update_id": 1, "message": {"chat": {"id": 1, "type": "private"}}}, "message_id"),
        ({"update_id": 1, "callback_query": []}, "callback_query"),
        ({"update_id": 1, "callback_query": {"from": {"id": 1}}}, "callback_query.id"),
        ({"update_id": 1, "callback_query": {"id": "q"}}, "from.id"),
        ({"update_id": 1, "callback_query": {"id": "q", "from": {"id": 1},
                                             "message": {"chat": {}}}}, "chat.id"),
    ],
)
def test_malformed_updates_raise_with_a_reason(update: Any, reason: str) -> None:
    with pytest.raises(TgParseError, match=reason):
        parse_update(update)


SCALAR = (st.none() | st.booleans() | st.integers(-(2**63), 2**63)
          | st.floats(allow_nan=False) | st.text(max_size=8))
UPDATE_KEYS = ["update_id", "message", "callback_query", "message_id", "chat", "id", "type",
               "from", "first_name", "text", "data", "photo", "file_id", "caption", "voice"]
JSON = st.recursive(
    SCALAR,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(UPDATE_KEYS) | st.text(max_size=4), children,
                      max_size=4),
    max_leaves=10,
)
REAL_UPDATES = [text_update("hoi"), callback_update("/affirm"), photo_update(caption="x"),
                voice_update()]


@st.composite
def mutated_update(draw: st.DrawFn) -> dict[str, Any]:
    """A real update with one nested value replaced by arbitrary JSON or removed."""
    update: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(REAL_UPDATES)))
    node: Any = update
    while True:
        key = draw(st.sampled_from(sorted(node)) if isinstance(node, dict)
                   else st.integers(0, len(node) - 1))
        child = node[key]
        if isinstance(child, (dict, list)) and child and draw(st.integers(0, 5)) > 0:
            node = child
            continue
        if isinstance(node, dict) and draw(st.booleans()):
            del node[key]
        else:
            node[key] = draw(JSON)
        return update


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON | mutated_update())
def test_parse_update_fails_only_with_its_parse_error(update: Any) -> None:
    try:
        inbound = parse_update(update)
    except TgParseError:
        return
    if inbound is not None:
        assert isinstance(inbound.chat_id, int) and not isinstance(inbound.chat_id, bool)


# --- Outbound ------------------------------------------------------------------------------


def test_plain_text_has_no_markup_and_no_parse_mode() -> None:
    assert build_outbound(CHAT, " *Hoi* <b>", []) == [{"chat_id": CHAT, "text": "*Hoi* <b>"}]


def test_buttons_go_on_the_last_message_one_per_row() -> None:
    text = ("Een zin. " * 600).strip()
    buttons = [{"title": "Ja", "payload": "/affirm"}, {"title": "Nee", "payload": "/deny"}]
    bodies = build_outbound(CHAT, text, buttons)
    assert len(bodies) == 2
    assert "reply_markup" not in bodies[0]
    assert bodies[1]["reply_markup"] == {"inline_keyboard": [
        [{"text": "Ja", "callback_data": "/affirm"}],
        [{"text": "Nee", "callback_data": "/deny"}]]}


def test_emoji_count_double_toward_the_limit() -> None:
    bodies = build_outbound(CHAT, "😀" * 3000, [])
    assert [utf16_len(b["text"]) for b in bodies] == [4096, 1904]


def test_long_payloads_get_a_key_that_maps_back() -> None:
    payload = '/inform{"onderwerp": "school, ruzie thuis en geldzorgen bij mijn ouders"}'
    assert len(payload.encode()) > 64
    key = callback_key(payload)
    assert key.startswith("k:") and len(key) == 18
    offered = [{"title": "School", "payload": payload}, {"title": "Ja", "payload": "/affirm"}]
    assert payload_for_callback(key, offered) == payload
    assert payload_for_callback("/affirm", offered) == "/affirm"
    assert payload_for_callback("/deny", offered) is None


def test_payload_of_64_multibyte_bytes_is_kept_as_is() -> None:
    payload = "é" * 32  # 64 bytes in UTF-8
    assert callback_key(payload) == payload
    assert callback_key(payload + "é").startswith("k:")


def test_buttons_without_text_get_a_prompt() -> None:
    [body] = build_outbound(CHAT, " ", [{"title": "", "payload": "/affirm"}])
    assert body["text"] == "Kies een optie:"
    assert body["reply_markup"]["inline_keyboard"] == [
        [{"text": "Optie 1", "callback_data": "/affirm"}]]


def test_blank_text_without_buttons_sends_nothing() -> None:
    assert build_outbound(CHAT, "\n", []) == []


LONG_TEXT = st.builds(lambda part, times: part * times,
                      st.text(max_size=60), st.integers(min_value=0, max_value=150))
BUTTONS = st.lists(st.fixed_dictionaries({
    "title": st.text(max_size=30), "payload": st.text(max_size=80)}), max_size=8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200) | LONG_TEXT, BUTTONS)
def test_any_reply_fits_and_callbacks_map_back(text: str, buttons: list[dict[str, str]]) -> None:
    bodies = build_outbound(CHAT, text, buttons)
    assert all(1 <= utf16_len(b["text"]) <= 4096 and b["text"].strip() for b in bodies)
    assert all("reply_markup" not in b for b in bodies[:-1])
    usable = list(dict.fromkeys(b["payload"] for b in buttons if b["payload"].strip()))
    if not usable:
        assert all("reply_markup" not in b for b in bodies)
        assert "".join("".join(b["text"] for b in bodies).split()) == "".join(text.split())
        return
    rows = bodies[-1]["reply_markup"]["inline_keyboard"]
    data = [row[0]["callback_data"] for row in rows]
    assert all(len(row) == 1 and row[0]["text"].strip() for row in rows)
    assert all(1 <= len(d.encode("utf-8")) <= 64 for d in data)
    assert [payload_for_callback(d, buttons) for d in data] == usable


# --- Error classification ------------------------------------------------------------------


def test_success() -> None:
    body = {"ok": True, "result": {"message_id": 7, "chat": {"id": CHAT}, "text": "x"}}
    assert classify_error(200, body) == TgSendOutcome(
        ok=True, message_id=7, code=None, retryable=False, permanent=None)
    assert classify_error(200, {"ok": True, "result": True}).ok


def test_rate_limit_is_retryable_after_the_given_seconds() -> None:
    body = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5",
            "parameters": {"retry_after": 5}}
    outcome = classify_error(429, body)
    assert (outcome.retryable, outcome.retry_after, outcome.code) == (True, 5.0, 429)


@pytest.mark.parametrize("retry_after", [None, -1, "5", True, 10**9])
def test_rate_limit_with_a_missing_or_nonsense_retry_after(retry_after: Any) -> None:
    body = {"ok": False, "error_code": 429, "parameters": {"retry_after": retry_after}}
    outcome = classify_error(429, body)
    assert outcome.retryable and outcome.retry_after is None


@pytest.mark.parametrize(
    ("status", "description", "reason"),
    [(403, "Forbidden: bot was blocked by the user", "blocked"),
     (403, "Forbidden: user is deactivated", "blocked"),
     (400, "Bad Request: chat not found", "rejected"),
     (400, "Bad Request: message text is empty", "rejected"),
     (401, "Unauthorized", "token_invalid"),
     (404, "Not Found", "rejected")],
)
def test_permanent_errors(status: int, description: str, reason: str) -> None:
    body = {"ok": False, "error_code": status, "description": description}
    outcome = classify_error(status, body)
    assert (outcome.ok, outcome.retryable, outcome.permanent, outcome.code) == (
        False, False, reason, status)
    assert outcome.detail == description


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retryable(status: int) -> None:
    outcome = classify_error(status, "<html>oops</html>")
    assert outcome.retryable and outcome.permanent is None and outcome.code == status


# --- The client against the fake Bot API ---------------------------------------------------


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the client under test and the player."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def bot_api(aiohttp_server: Any) -> tuple[str, Any]:
    """(base URL, state) of a running fake Bot API."""
    app, fake = create_telegram_fake(BOT_TOKEN)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/"), fake


def client_for(session: aiohttp.ClientSession, url: str, token: str = BOT_TOKEN,
               timeout_s: float = 5.0) -> TelegramClient:
    """A TelegramClient for the fake."""
    return TelegramClient(session, url, token, timeout_s)


async def test_send_messages_and_answer_a_callback(session: aiohttp.ClientSession,
                                                   bot_api: tuple[str, Any]) -> None:
    url, fake = bot_api
    client = client_for(session, url)
    bodies = build_outbound(CHAT, "Wil je praten?", [{"title": "Ja", "payload": "/affirm"}])
    first = await client.send_message(bodies[0])
    second = await client.send_message(build_outbound(CHAT, "Nog iets", [])[0])
    assert first.ok and second.ok
    assert first.message_id is not None and second.message_id == first.message_id + 1
    assert fake.bodies("sendMessage")[0] == bodies[0]
    assert (await client.answer_callback_query("q-1")).ok
    assert fake.bodies("answerCallbackQuery") == [{"callback_query_id": "q-1"}]


async def test_scripted_rate_limit_then_success(session: aiohttp.ClientSession,
                                                bot_api: tuple[str, Any]) -> None:
    url, fake = bot_api
    fake.fail_next(429, retry_after=7)
    client = client_for(session, url)
    body = build_outbound(CHAT, "Hoi", [])[0]
    first = await client.send_message(body)
    assert (first.retryable, first.retry_after, first.code) == (True, 7.0, 429)
    assert first.detail == "Too Many Requests: retry after 7"
    assert (await client.send_message(body)).ok


async def test_scripted_blocked_and_bad_request(session: aiohttp.ClientSession,
                                                bot_api: tuple[str, Any]) -> None:
    url, fake = bot_api
    fake.fail_next(403)
    fake.fail_next(400, "Bad Request: chat not found")
    client = client_for(session, url)
    body = build_outbound(CHAT, "Hoi", [])[0]
    blocked = await client.send_message(body)
    assert (blocked.permanent, blocked.detail) == (
        "blocked", "Forbidden: bot was blocked by the user")
    assert (await client.send_message(body)).permanent == "rejected"


async def test_the_fake_refuses_what_telegram_refuses(session: aiohttp.ClientSession,
                                                      bot_api: tuple[str, Any]) -> None:
    url, _fake = bot_api
    client = client_for(session, url)
    too_long_data = {"chat_id": CHAT, "text": "Kies", "reply_markup": {"inline_keyboard": [
        [{"text": "Ja", "callback_data": "x" * 65}]]}}
    cases = [
        (too_long_data, "Bad Request: BUTTON_DATA_INVALID"),
        ({"chat_id": CHAT, "text": ""}, "Bad Request: message text is empty"),
        ({"chat_id": CHAT, "text": "😀" * 2049}, "Bad Request: message is too long"),
    ]
    for body, description in cases:
        outcome = await client.send_message(body)
        assert (outcome.permanent, outcome.detail) == ("rejected", description)


async def test_wrong_token_is_token_invalid(session: aiohttp.ClientSession,
                                            bot_api: tuple[str, Any]) -> None:
    url, _fake = bot_api
    outcome = await client_for(session, url, token="1:wrong").send_message(
        build_outbound(CHAT, "Hoi", [])[0])
    assert (outcome.permanent, outcome.code) == ("token_invalid", 401)


async def test_set_webhook(session: aiohttp.ClientSession, bot_api: tuple[str, Any]) -> None:
    url, fake = bot_api
    client = client_for(session, url)
    outcome = await client.set_webhook("https://broekzak.example/webhooks/telegram/webhook",
                                       SECRET)
    assert outcome.ok
    assert fake.webhook == {"url": "https://broekzak.example/webhooks/telegram/webhook",
                            "secret_token": SECRET,
                            "allowed_updates": ["message", "callback_query"],
                            "drop_pending_updates": False}
    plain_http = await client.set_webhook("http://broekzak.example/hook", SECRET)
    assert plain_http.permanent == "rejected"
    bad_secret = await client.set_webhook("https://broekzak.example/hook", "geen geheim!")
    assert bad_secret.detail == "Bad Request: secret token contains unallowed characters"


async def test_unreachable_api_is_retryable_and_hides_the_token(
    session: aiohttp.ClientSession,
) -> None:
    client = client_for(session, f"http://127.0.0.1:{free_port()}")
    outcome = await client.send_message(build_outbound(CHAT, "Hoi", [])[0])
    assert outcome.retryable and outcome.detail is not None
    assert BOT_TOKEN not in outcome.detail


async def test_slow_api_times_out_as_retryable(session: aiohttp.ClientSession,
                                               aiohttp_server: Any) -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", slow)
    server = await aiohttp_server(app)
    client = client_for(session, str(server.make_url("")).rstrip("/"), timeout_s=0.2)
    outcome = await client.answer_callback_query("q")
    assert outcome.retryable and outcome.detail == "network error: TimeoutError"


# --- The update player against a gateway-shaped receiver ---------------------------------


async def test_player_carries_the_secret_token(session: aiohttp.ClientSession,
                                               aiohttp_server: Any) -> None:
    received: list[TgInbound | None] = []

    async def webhook(request: web.Request) -> web.Response:
        if not verify_secret_token(SECRET, request.headers.get(SECRET_HEADER)):
            return web.json_response({"error": "wrong secret token"}, status=403)
        try:
            received.append(parse_update(await request.json()))
        except ValueError as error:  # invalid JSON or TgParseError
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/webhooks/telegram/webhook", webhook)
    server = await aiohttp_server(app)
    url = str(server.make_url("/webhooks/telegram/webhook"))
    assert (await deliver(session, url, text_update("Hé Zoë 😀"), SECRET)).status == 200
    assert (await deliver(session, url, text_update("x"), None)).status == 403
    assert (await deliver(session, url, text_update("x"), "wrong")).status == 403
    assert (await deliver(session, url, {"update_id": "x"}, SECRET)).status == 400
    assert [r.text for r in received if r is not None] == ["Hé Zoë 😀"]

"""The WhatsApp client and the webhook player against the fake Graph API (real HTTP)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.channels.whatsapp_protocol import (
    SIGNATURE_HEADER,
    WhatsAppClient,
    build_outbound,
    mark_read_body,
    parse_webhook,
    verify_signature,
)
from tests.conftest import free_port
from tests.fakes.whatsapp_api import (
    contact,
    create_whatsapp_fake,
    deliver,
    deliver_raw,
    envelope,
    serialise,
    sign,
    text_message,
    truncate,
)

APP_SECRET = "test_app_secret"
ACCESS_TOKEN = "EAAG-test-token"
PHONE_NUMBER_ID = "106540352242922"
USER = "447700900123"


# --- The client against the fake Graph API -------------------------------------------------


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the client under test and the player."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def graph(aiohttp_server: Any) -> tuple[str, Any]:
    """(base URL, state) of a running fake Graph API."""
    app, fake = create_whatsapp_fake(APP_SECRET, ACCESS_TOKEN, PHONE_NUMBER_ID)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/"), fake


def client_for(session: aiohttp.ClientSession, url: str, token: str = ACCESS_TOKEN,
               timeout_s: float = 5.0) -> WhatsAppClient:
    """A WhatsAppClient for the fake."""
    return WhatsAppClient(session, url, token, PHONE_NUMBER_ID, timeout_s)


async def test_send_text_and_buttons(session: aiohttp.ClientSession,
                                     graph: tuple[str, Any]) -> None:
    url, fake = graph
    client = client_for(session, url)
    bodies = build_outbound(USER, "Hoi! Wil je praten?", [{"title": "Ja", "payload": "/affirm"}])
    outcome = await client.send(bodies[0])
    assert outcome.ok and outcome.wamid is not None and outcome.wamid.startswith("wamid.")
    [request] = fake.sent
    assert request.path == f"/{PHONE_NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.json == bodies[0]


async def test_scripted_throughput_limit_then_success(session: aiohttp.ClientSession,
                                                      graph: tuple[str, Any]) -> None:
    url, fake = graph
    fake.fail_next(130429)
    client = client_for(session, url)
    body = build_outbound(USER, "Hoi", [])[0]
    first = await client.send(body)
    assert (first.ok, first.retryable, first.code) == (False, True, 130429)
    second = await client.send(body)
    assert second.ok
    assert len(fake.messages) == 2


async def test_scripted_window_closed_is_permanent(session: aiohttp.ClientSession,
                                                   graph: tuple[str, Any]) -> None:
    url, fake = graph
    fake.fail_next(131047, times=2)
    client = client_for(session, url)
    for _ in range(2):
        outcome = await client.send(build_outbound(USER, "Ben je er nog?", [])[0])
        assert (outcome.retryable, outcome.permanent, outcome.code) == (
            False, "window_closed", 131047)
        assert outcome.detail is not None and "24 hours" in outcome.detail
    assert (await client.send(build_outbound(USER, "Nu wel", [])[0])).ok


async def test_scripted_server_error_is_retryable(session: aiohttp.ClientSession,
                                                  graph: tuple[str, Any]) -> None:
    url, fake = graph
    fake.fail_next(2, http_status=503)
    outcome = await client_for(session, url).send(build_outbound(USER, "Hoi", [])[0])
    assert outcome.retryable and outcome.code == 2


async def test_wrong_token_is_token_expired(session: aiohttp.ClientSession,
                                            graph: tuple[str, Any]) -> None:
    url, _fake = graph
    outcome = await client_for(session, url, token="wrong").send(
        build_outbound(USER, "Hoi", [])[0])
    assert (outcome.permanent, outcome.code) == ("token_expired", 190)


async def test_the_fake_refuses_what_meta_refuses(session: aiohttp.ClientSession,
                                                  graph: tuple[str, Any]) -> None:
    url, _fake = graph
    client = client_for(session, url)
    too_many = build_outbound(USER, "Kies", [{"title": f"T{i}", "payload": f"/p{i}"}
                                             for i in range(3)])[0]
    too_many["interactive"]["action"]["buttons"].append(
        {"type": "reply", "reply": {"id": "/p3", "title": "T3"}})
    long_title = build_outbound(USER, "Kies", [{"title": "Ja", "payload": "/affirm"}])[0]
    long_title["interactive"]["action"]["buttons"][0]["reply"]["title"] = "x" * 21
    long_text = {**build_outbound(USER, "x", [])[0], "text": {"body": "x" * 4097}}
    for body in (too_many, long_title, long_text):
        outcome = await client.send(body)
        assert (outcome.permanent, outcome.code) == ("rejected", 131009)
    missing = await client.send({"to": USER, "type": "text", "text": {"body": "hoi"}})
    assert (missing.permanent, missing.code) == ("rejected", 100)


async def test_mark_read(session: aiohttp.ClientSession, graph: tuple[str, Any]) -> None:
    url, fake = graph
    outcome = await client_for(session, url).mark_read("wamid.IN")
    assert outcome.ok and outcome.wamid is None
    assert fake.messages == [mark_read_body("wamid.IN")]


async def test_unreachable_api_is_retryable(session: aiohttp.ClientSession) -> None:
    client = client_for(session, f"http://127.0.0.1:{free_port()}")
    outcome = await client.send(build_outbound(USER, "Hoi", [])[0])
    assert outcome.retryable and outcome.detail is not None
    assert "network error" in outcome.detail


async def test_slow_api_times_out_as_retryable(session: aiohttp.ClientSession,
                                               aiohttp_server: Any) -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/{phone_number_id}/messages", slow)
    server = await aiohttp_server(app)
    client = client_for(session, str(server.make_url("")).rstrip("/"), timeout_s=0.2)
    outcome = await client.send(build_outbound(USER, "Hoi", [])[0])
    assert outcome.retryable and outcome.detail == "network error: TimeoutError"


async def test_media_lookup_and_download(session: aiohttp.ClientSession,
                                         graph: tuple[str, Any]) -> None:
    url, fake = graph
    fake.add_media("1234", b"\xff\xd8jpeg", "image/jpeg")
    headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    async with session.get(f"{url}/1234", headers=headers) as response:
        info = await response.json()
    assert info["mime_type"] == "image/jpeg" and info["file_size"] == 6
    async with session.get(info["url"], headers=headers) as response:
        assert await response.read() == b"\xff\xd8jpeg"
    async with session.get(f"{url}/999", headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == 100
    async with session.get(f"{url}/1234") as response:
        assert response.status == 401


# --- The webhook player against a gateway-shaped receiver --------------------------------


@pytest.fixture
async def receiver(aiohttp_server: Any) -> tuple[str, list[Any]]:
    """A minimal webhook wired the way the gateway should: verify raw bytes, then parse."""
    received: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        raw = await request.read()
        if not verify_signature(APP_SECRET, raw, request.headers.get(SIGNATURE_HEADER)):
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            received.append(parse_webhook(json.loads(raw)))
        except ValueError as error:  # invalid JSON or WaParseError
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/webhooks/whatsapp/webhook", webhook)
    server = await aiohttp_server(app)
    return str(server.make_url("/webhooks/whatsapp/webhook")), received


async def test_player_deliveries_verify_and_parse(session: aiohttp.ClientSession,
                                                  receiver: tuple[str, list[Any]]) -> None:
    url, received = receiver
    payload = envelope([text_message("Zoë zegt: hé 😀")], contacts=[contact(USER, "Zoë")])
    response = await deliver(session, url, payload, APP_SECRET)
    assert response.status == 200 and await response.json() == {"status": "ok"}
    [(messages, _)] = received
    assert (messages[0].text, messages[0].profile_name) == ("Zoë zegt: hé 😀", "Zoë")


async def test_player_wrong_secret_and_reserialised_body_are_refused(
    session: aiohttp.ClientSession, receiver: tuple[str, list[Any]],
) -> None:
    url, received = receiver
    payload = envelope([text_message("hé")])
    assert (await deliver(session, url, payload, "other_secret")).status == 401
    raw = serialise(payload)
    utf8 = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert (await deliver_raw(session, url, utf8, None, signature=sign(APP_SECRET, raw))
            ).status == 401
    assert (await deliver_raw(session, url, raw, None)).status == 401  # no header at all
    assert received == []


async def test_player_truncated_body_is_signed_but_malformed(
    session: aiohttp.ClientSession, receiver: tuple[str, list[Any]],
) -> None:
    url, received = receiver
    raw = truncate(serialise(envelope([text_message("hoi")])))
    response = await deliver_raw(session, url, raw, APP_SECRET)
    assert response.status == 400
    assert received == []

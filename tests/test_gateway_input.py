"""The REST channel and the widget socket against bad input, through the real aiohttp app.

Rasa is deliberately not running here: bad input must be refused before it reaches the
bot, and a message that is fine must be stored even while the bot is down.
"""

from __future__ import annotations

import re

import pytest
from yarl import URL

from bot.app import STATIC_DIR, init_app
from tests.conftest import free_port, make_settings
from tests.gateway_helpers import REST_WEBHOOK, count_rows, stored_messages


@pytest.fixture
async def client(aiohttp_client, db_url):  # type: ignore[no-untyped-def]
    """The gateway with a database and no Rasa behind it."""
    settings = make_settings(DATABASE_URL=db_url, RASA_URL=f"http://127.0.0.1:{free_port()}",
                             RASA_TIMEOUT_S="2")
    return await aiohttp_client(init_app(settings))


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"sender": "a", "message": "hoi"', 400, "not valid JSON"),
        (b"\xff\xfe\x00binary", 400, "not valid UTF-8"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"message": "hoi"}', 400, "sender"),
        (b'{"sender": "", "message": "hoi"}', 400, "sender"),
        (b'{"sender": "a"}', 400, "message"),
        (b'{"sender": "a", "message": 12}', 400, "message"),
        (b'{"sender": "a", "message": "   "}', 400, "empty"),
        (b'{"sender": "a", "message": "\\u0000\\u0007"}', 400, "empty"),
        (b'{"sender": "a", "message": "hoi", "metadata": []}', 400, "metadata"),
        (b'{"sender": "a", "message": "hoi", "message_id": ""}', 400, "message_id"),
    ],
)
async def test_bad_rest_input_is_refused_and_nothing_is_stored(
    client, db_url, body: bytes, status: int, reason: str
) -> None:
    response = await client.post(REST_WEBHOOK, data=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status == status
    assert reason in (await response.json())["error"]
    assert await count_rows(db_url) == (0, 0)


async def test_a_100_kb_message_is_refused_with_413(client, db_url) -> None:
    response = await client.post(REST_WEBHOOK, json={"sender": "a", "message": "x" * 100_000})
    assert response.status == 413
    assert "too long" in (await response.json())["error"]
    assert await count_rows(db_url) == (0, 0)


async def test_a_body_over_the_size_limit_is_refused(client, db_url) -> None:
    response = await client.post(
        REST_WEBHOOK, data=b'{"sender":"a","message":"' + b"x" * 2_000_000 + b'"}')
    assert response.status == 413
    assert await count_rows(db_url) == (0, 0)


async def test_while_the_bot_is_down_the_message_is_stored_and_503_says_retry(
    client, db_url
) -> None:
    body = {"sender": "jongere-1", "message": "hoi 👋 مرحبا", "message_id": "m-1"}
    response = await client.post(REST_WEBHOOK, json=body)
    assert response.status == 503
    assert "retry" in (await response.json())["error"]
    messages = await stored_messages(db_url)
    assert [(m.text, m.status) for m in messages] == [("hoi 👋 مرحبا", "failed")]
    # The retry is de-duplicated on message_id: still one stored message.
    assert (await client.post(REST_WEBHOOK, json=body)).status == 503
    assert await count_rows(db_url) == (1, 1)


async def test_rest_token_is_required_when_configured(aiohttp_client, db_url) -> None:
    settings = make_settings(DATABASE_URL=db_url, REST_TOKEN="s3cret",
                             RASA_URL=f"http://127.0.0.1:{free_port()}")
    client = await aiohttp_client(init_app(settings))
    response = await client.post(REST_WEBHOOK, json={"sender": "a", "message": "hoi"})
    assert response.status == 401
    response = await client.post(REST_WEBHOOK, json={"sender": "a", "message": "hoi"},
                                 headers={"Authorization": "Bearer wrong"})
    assert response.status == 401
    assert await count_rows(db_url) == (0, 0)


async def test_cross_origin_widget_socket_is_refused(client) -> None:
    response = await client.get("/webhooks/webchat/ws", headers={
        "Origin": "https://evil.example", "Connection": "Upgrade", "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert response.status == 403


async def test_widget_socket_rejects_garbage_frames_without_storing(client, db_url) -> None:
    ws = await client.ws_connect("/webhooks/webchat/ws")
    await ws.send_str("{nope")
    assert (await ws.receive_json())["type"] == "error"
    await ws.send_json({"type": "message", "id": "abcdefgh-1", "text": "hoi"})
    assert "hello" in (await ws.receive_json())["error"]
    await ws.send_json({"type": "hello", "session_id": "../../etc"})
    assert (await ws.receive_json())["type"] == "error"
    await ws.send_json({"type": "hello", "session_id": "session-12345678"})
    assert (await ws.receive_json()) == {"type": "history", "messages": []}
    await ws.send_json({"type": "message", "id": "abcdefgh-2", "text": "x" * 10_000})
    assert (await ws.receive_json())["type"] == "error"
    await ws.send_bytes(b"\x00\x01")
    assert (await ws.receive_json())["type"] == "error"
    await ws.close()
    assert await count_rows(db_url) == (0, 0)


async def test_pages_are_served_with_a_content_security_policy(client) -> None:
    response = await client.get("/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "widget.js" in await response.text()
    widget = await client.get("/widget.js")
    assert widget.status == 200
    assert "javascript" in widget.headers["Content-Type"]


async def test_the_inbox_modules_and_everything_they_import_are_served(client) -> None:
    page = await client.get("/inbox")
    match = re.search(r'<script type="module" src="(/inbox/js/[a-z]+\.js)">', await page.text())
    assert match, "the inbox page loads its entry module"
    pending, served = [match.group(1)], set()
    while pending:
        path = pending.pop()
        if path in served:
            continue
        response = await client.get(path)
        assert response.status == 200, path
        # A module script with any other type is refused by the browser.
        assert "javascript" in response.headers["Content-Type"], path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        served.add(path)
        for name in re.findall(r'\bfrom "\./([a-z]+\.js)";', await response.text()):
            pending.append("/inbox/js/" + name)
    # app.js and every module beside it: none unreachable, none missing.
    assert served == {f"/inbox/js/{p.name}" for p in (STATIC_DIR / "inbox").glob("*.js")}


@pytest.mark.parametrize("path", [
    "/inbox/js/",
    # bot/app.py, three folders up from bot/web/static/inbox; sent as it is, not normalised
    "/inbox/js/..%2F..%2F..%2Fapp.py",
    "/inbox/js/%2E%2E/%2E%2E/%2E%2E/app.py",
])
async def test_the_inbox_module_folder_is_neither_listed_nor_left(client, path: str) -> None:
    response = await client.get(URL(path, encoded=True))
    assert response.status in (403, 404), path
    assert "init_app" not in await response.text()


def test_no_page_script_turns_text_into_markup() -> None:
    sink = re.compile(r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML\s*\(|document\.write")
    scripts = sorted(STATIC_DIR.rglob("*.js"))
    assert len(scripts) >= 8, scripts  # the widget and the inbox's modules: none overlooked
    for script in scripts:
        assert not sink.search(script.read_text(encoding="utf-8")), script.name

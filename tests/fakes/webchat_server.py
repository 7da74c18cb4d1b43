"""Development stand-in for the gateway's web chat: serves the widget and speaks the protocol.

Only for working on the widget without Rasa or a database; the real endpoint is
bot/channels/webchat.py. It follows docs/webchat-protocol.md with an echo bot:

- hello   → history of this session (kept in memory)
- message → ack, then a bot message "Je zei: <text>" with two buttons
- button  → ack, then a bot message "Gekozen: <payload>"

A re-sent id is acknowledged again and answered once, like the gateway. Like the real
gateway, the young person's messages get a server id in the history (the client's id is
only used for de-duplication). Typed commands for trying out the widget by hand:

- "!worker <text>"  answers as a worker
- "!lines"          answers with newlines
- "!later"          answers after two seconds (close the panel: the unread badge)
- "!error"          refuses the message with an error frame
- "!drop"           stores and answers the message but closes the socket before the ack
                    (after reconnecting the widget must not show it twice)

Run from the repository root:  python tests/fakes/webchat_server.py --port 8081
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

STATIC_DIR = Path(__file__).resolve().parents[2] / "bot" / "web" / "static"
# Stricter than the gateway's policy (no inline styles at all), so the widget is checked
# against the strictest page an organisation might embed it in.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")
LATER_S = 2.0


@dataclass
class Session:
    """One widget session: its transcript and the client ids already stored."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)


SESSIONS = web.AppKey("sessions", dict[str, Session])


def init_app() -> web.Application:
    """The fake gateway: the widget's static files and its websocket."""
    app = web.Application()
    app[SESSIONS] = {}
    app.router.add_get("/", _static("index.html"))
    app.router.add_get("/widget.js", _static("widget.js"))
    app.router.add_get("/widget.css", _static("widget.css"))
    app.router.add_get("/webhooks/webchat/ws", websocket)
    return app


def _static(name: str):  # type: ignore[no-untyped-def]
    async def handler(_request: web.Request) -> web.FileResponse:
        headers = {"Cache-Control": "no-cache"}
        if name.endswith(".html"):
            headers["Content-Security-Policy"] = CSP
        return web.FileResponse(STATIC_DIR / name, headers=headers)

    return handler


def _message(sender: str, text: str, buttons: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "sender": sender, "text": text, "buttons": buttons or [],
            "created_at": datetime.now(timezone.utc).isoformat()}


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """Serve one widget connection."""
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    session: Session | None = None
    async for frame in ws:
        if frame.type != WSMsgType.TEXT:
            continue
        try:
            event = json.loads(frame.data)
        except json.JSONDecodeError:
            await _error(ws, None, "Dat bericht kon ik niet lezen.")
            continue
        if event.get("type") == "hello":
            session = request.app[SESSIONS].setdefault(str(event.get("session_id")), Session())
            await ws.send_json({"type": "history", "messages": session.messages})
        elif session is None:
            await _error(ws, event.get("id"), "Stuur eerst hello.")
        elif event.get("type") in ("message", "button"):
            await _answer(ws, session, event)
        else:
            await _error(ws, event.get("id"), "Onbekend soort bericht.")
    return ws


async def _answer(ws: web.WebSocketResponse, session: Session, event: dict[str, Any]) -> None:
    client_id = str(event.get("id"))
    if client_id in session.seen_ids:
        await ws.send_json({"type": "ack", "id": client_id})  # stored before: answered once
        return
    is_button = event.get("type") == "button"
    text = str(event.get("title") if is_button else event.get("text") or "").strip()
    if text == "!error":
        await _error(ws, client_id, "Dit bericht kan ik niet versturen.")
        return
    session.seen_ids.add(client_id)
    session.messages.append(_message("user", text))
    if text == "!drop":
        # Stored and answered, but the connection breaks before the ack: only the
        # history tells the widget (whose re-send is then acknowledged, not answered).
        session.messages.append(_message("bot", "Je bericht was al aangekomen."))
        await ws.close()
        return
    await ws.send_json({"type": "ack", "id": client_id})
    if is_button:
        reply = _message("bot", f"Gekozen: {event.get('payload')}")
    elif text == "!lines":
        reply = _message("bot", "Eerste regel\nTweede regel\n\nNa een witregel")
    elif text.startswith("!worker "):
        reply = _message("worker", text.removeprefix("!worker "))
    else:
        reply = _message("bot", f"Je zei: {text}", [
            {"title": "Met iemand praten", "payload": "/request_human"},
            {"title": "Nee, dank je", "payload": "/deny"},
        ])
    session.messages.append(reply)
    if text == "!later":
        # Answer after a pause, e.g. to see the unread badge with the panel closed.
        await asyncio.sleep(LATER_S)
    await ws.send_json({"type": "message", "message": reply})


async def _error(ws: web.WebSocketResponse, client_id: Any, text: str) -> None:
    await ws.send_json({"type": "error", "id": client_id if isinstance(client_id, str) else None,
                        "error": text})


def main() -> None:
    """Run the fake gateway."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    web.run_app(init_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()

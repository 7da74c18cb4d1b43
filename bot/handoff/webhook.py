"""The escalation webhook the action server calls: signed, validated, idempotent."""

from __future__ import annotations

import json

from aiohttp import web

from bot.channels.errors import json_error
from bot.handoff.service import EscalationRequest, HandoffError, HandoffService
from bot.signing import verify
from bot.store.models import Priority

SIGNATURE_HEADER = "X-Broekzak-Signature"
LIMITS = {"escalation_id": 64, "conversation_id": 36, "reason": 64, "topic": 64,
          "summary": 4000}


async def handle_escalation(request: web.Request, service: HandoffService,
                            secret: str) -> web.Response:
    """POST /webhooks/handoff: check the HMAC on the raw body, then queue the handoff."""
    raw = await request.read()
    if not verify(secret, raw, request.headers.get(SIGNATURE_HEADER)):
        return json_error(401, "missing or wrong signature")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return json_error(400, "body is not valid JSON")
    if not isinstance(data, dict):
        return json_error(400, "body must be a JSON object")
    try:
        escalation = _parse(data)
    except ValueError as error:
        return json_error(400, str(error))
    try:
        result = await service.escalate(escalation)
    except HandoffError as error:
        return json_error(error.status, str(error))
    return web.json_response(result, status=201 if result["created"] else 200)


def _parse(data: dict[str, object]) -> EscalationRequest:
    values: dict[str, str | None] = {}
    for field, limit in LIMITS.items():
        value = data.get(field)
        if value is None and field in ("topic", "summary"):
            values[field] = None if field == "topic" else ""
            continue
        if not isinstance(value, str) or (field != "summary" and not value.strip()):
            raise ValueError(f"field '{field}' must be a non-empty string")
        values[field] = value[:limit]
    priority = data.get("priority")
    if priority not in (Priority.URGENT, Priority.NORMAL):
        raise ValueError("field 'priority' must be 'urgent' or 'normal'")
    return EscalationRequest(
        escalation_id=str(values["escalation_id"]),
        conversation_id=str(values["conversation_id"]),
        reason=str(values["reason"]),
        priority=str(priority),
        topic=values["topic"],
        summary=str(values["summary"] or ""),
    )

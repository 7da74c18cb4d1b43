"""Client of the gateway's handoff webhook: signed, idempotent, retried with back-off."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.signing import sign

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Broekzak-Signature"
HANDOFF_PATH = "/webhooks/handoff"


@dataclass(frozen=True)
class Escalation:
    """What the gateway needs to queue a conversation for a human."""

    escalation_id: str
    conversation_id: str
    reason: str
    priority: str  # "urgent" | "normal"
    topic: str | None
    summary: str


@dataclass(frozen=True)
class EscalationResult:
    """The gateway's answer: where the young person stands in the queue."""

    accepted: bool
    queue_position: int | None = None
    estimated_wait_minutes: int | None = None
    someone_available: bool | None = None
    back_at: str | None = None


class GatewayClient:
    """POSTs escalations to the gateway; retries when it is briefly away."""

    def __init__(self, base_url: str, secret: str, timeout_s: float = 5.0, attempts: int = 4,
                 first_backoff_s: float = 0.5) -> None:
        self._url = base_url.rstrip("/") + HANDOFF_PATH
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._attempts = attempts
        self._first_backoff_s = first_backoff_s

    async def escalate(self, escalation: Escalation) -> EscalationResult:
        """Queue the conversation for a human; accepted=False when the gateway can't be reached."""
        if not self._secret:
            log.error("HANDOFF_SECRET is not set: cannot escalate")
            return EscalationResult(accepted=False)
        body = json.dumps(escalation.__dict__, ensure_ascii=True).encode()
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(self._secret, body)}
        delay = self._first_backoff_s
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            for attempt in range(1, self._attempts + 1):
                try:
                    async with session.post(self._url, data=body, headers=headers) as response:
                        if response.status in (200, 201):
                            return _result(await response.json(content_type=None))
                        if response.status < 500:
                            log.error("gateway refused the escalation: HTTP %s", response.status)
                            return EscalationResult(accepted=False)
                        log.warning("gateway answered HTTP %s (attempt %d)", response.status,
                                    attempt)
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    log.warning("gateway unreachable (%s, attempt %d)", type(error).__name__,
                                attempt)
                if attempt < self._attempts:
                    await asyncio.sleep(delay)
                    delay *= 2
        return EscalationResult(accepted=False)


def _result(data: Any) -> EscalationResult:
    if not isinstance(data, dict):
        return EscalationResult(accepted=True)
    return EscalationResult(
        accepted=True,
        queue_position=data.get("queue_position"),
        estimated_wait_minutes=data.get("estimated_wait_minutes"),
        someone_available=data.get("someone_available"),
        back_at=data.get("back_at"),
    )

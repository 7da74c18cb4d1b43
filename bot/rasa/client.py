"""A small client for the Rasa server's REST channel and HTTP API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

FALLBACK_INTENT = "nlu_fallback"


def best_real_intent(parse: object) -> tuple[str | None, float]:
    """(name, confidence) of the best intent other than nlu_fallback in a /model/parse
    result; (None, 0.0) when it has none."""
    if not isinstance(parse, dict):
        return None, 0.0
    candidates = [parse.get("intent"), *(parse.get("intent_ranking") or [])]
    for intent in candidates:
        if isinstance(intent, dict) and intent.get("name") not in (None, FALLBACK_INTENT):
            return str(intent["name"]), float(intent.get("confidence") or 0.0)
    return None, 0.0


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error; the message can be retried."""


@dataclass(frozen=True)
class BotReply:
    """One message the bot wants to send."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


class RasaClient:
    """Sends a user's message to Rasa and returns the bot's replies."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str,
                 timeout_s: float) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        """Run one user turn through Rasa's REST channel; raises RasaUnavailable."""
        url = f"{self._base_url}/webhooks/rest/webhook"
        body = {"sender": sender, "message": text, "metadata": metadata}
        try:
            async with self._session.post(url, json=body, timeout=self._timeout) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise RasaUnavailable(f"Rasa unreachable: {type(error).__name__}") from error
        return parse_replies(data)

    async def parse(self, text: str) -> tuple[str | None, float]:
        """NLU only (no dialogue): the best real intent and its confidence, even when the
        FallbackClassifier answered (a crisis the model is unsure of still counts for the
        guard); raises RasaUnavailable."""
        params = {"token": self._token} if self._token else {}
        try:
            async with self._session.post(f"{self._base_url}/model/parse", params=params,
                                          json={"text": text}, timeout=self._timeout) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise RasaUnavailable(f"Rasa unreachable: {type(error).__name__}") from error
        return best_real_intent(data)

    async def is_ready(self) -> bool:
        """True when Rasa is up and has a model loaded."""
        params = {"token": self._token} if self._token else {}
        try:
            async with self._session.get(
                f"{self._base_url}/status", params=params, timeout=aiohttp.ClientTimeout(total=5)
            ) as response:
                if response.status != 200:
                    return False
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False
        return bool(data.get("model_file")) if isinstance(data, dict) else False


def parse_replies(data: Any) -> list[BotReply]:
    """Turn the REST channel's answer into BotReplies, ignoring what we cannot send."""
    if not isinstance(data, list):
        raise RasaUnavailable("Rasa's answer is not a list")
    replies: list[BotReply] = []
    for item in data:
        if not isinstance(item, dict):
            continue
        text = item.get("text")
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("title") and b.get("payload")
        ]
        if isinstance(text, str) and text.strip():
            replies.append(BotReply(text=text, buttons=buttons))
        elif buttons and replies:
            # Rasa sends buttons without text as their own item: attach to the previous text.
            last = replies.pop()
            replies.append(BotReply(text=last.text, buttons=last.buttons + buttons))
    return replies

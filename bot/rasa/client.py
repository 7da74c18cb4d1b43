"""A small client for the Rasa server's REST channel and HTTP API."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

# The safety guard and the NLU review both read the model's parse of the same message in one
# turn: the client remembers a parse this long, so Rasa parses each message once. Short, so
# a newly activated model is soon the one that reads.
PARSE_MEMORY_S = 30.0
PARSE_MEMORY_SIZE = 128
# Loading a model (unpacking, the sentence encoder, the policies) takes Rasa 10-60 s here.
MODEL_LOAD_TIMEOUT_S = 300.0


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
        self._parsed: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        """Run one user turn through Rasa's REST channel; raises RasaUnavailable."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        return parse_replies(await self._post("/webhooks/rest/webhook", body, {}))

    async def parse(self, text: str) -> Any:
        """NLU only (no dialogue): Rasa's /model/parse result for a text, as Rasa sent it
        (shared with other callers within PARSE_MEMORY_S: do not change it); raises
        RasaUnavailable."""
        now = time.monotonic()
        remembered = self._parsed.get(text)
        if remembered is not None and now - remembered[0] < PARSE_MEMORY_S:
            return remembered[1]
        params = {"token": self._token} if self._token else {}
        result = await self._post("/model/parse", {"text": text}, params)
        self._parsed[text] = (now, result)
        self._parsed.move_to_end(text)
        while len(self._parsed) > PARSE_MEMORY_SIZE:
            self._parsed.popitem(last=False)
        return result

    async def _post(self, path: str, body: dict[str, Any], params: dict[str, str]) -> Any:
        """POST JSON to Rasa and return the decoded answer; raises RasaUnavailable."""
        try:
            async with self._session.post(f"{self._base_url}{path}", params=params, json=body,
                                          timeout=self._timeout) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise RasaUnavailable(f"Rasa unreachable: {type(error).__name__}") from error

    async def forget(self, sender: str) -> bool:
        """Empty Rasa's tracker of a conversation (erasure); False when Rasa is unreachable.

        Rasa's HTTP API replaces the tracker's events with none. That wipes the default
        in-memory tracker store; an SQL tracker store keeps its rows (docs/privacy.md)."""
        params = {"token": self._token} if self._token else {}
        try:
            async with self._session.put(
                f"{self._base_url}/conversations/{quote(sender, safe='')}/tracker/events",
                params=params, json=[], timeout=self._timeout,
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def loaded_model(self) -> str | None:
        """The path of the model file Rasa has loaded; None when unreachable or none."""
        data = await self._status()
        file = data.get("model_file") if data is not None else None
        return str(file) if file else None

    async def load_model(self, path: Path, timeout_s: float = MODEL_LOAD_TIMEOUT_S) -> bool:
        """Have Rasa load another model file (PUT /model). Rasa loads it beside the one it
        runs and swaps when ready: no downtime. False when it could not."""
        params = {"token": self._token} if self._token else {}
        try:
            async with self._session.put(
                f"{self._base_url}/model", params=params, json={"model_file": str(path)},
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                return response.status in (200, 204)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def _status(self) -> dict[str, Any] | None:
        params = {"token": self._token} if self._token else {}
        try:
            async with self._session.get(
                f"{self._base_url}/status", params=params, timeout=aiohttp.ClientTimeout(total=5)
            ) as response:
                if response.status != 200:
                    return None
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return None
        return data if isinstance(data, dict) else None

    async def is_ready(self) -> bool:
        """True when Rasa is up and has a model loaded."""
        return await self.loaded_model() is not None


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

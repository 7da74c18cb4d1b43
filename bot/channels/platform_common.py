"""What the WhatsApp and Telegram channels share: background answering and labels."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.conversations.service import ConversationService, Received
from bot.rasa.client import RasaUnavailable

log = logging.getLogger(__name__)

# What the transcript shows for content the bot cannot read (the worker sees the media id).
MEDIA_LABELS = {
    "image": "[afbeelding]", "audio": "[geluidsbericht]", "voice": "[spraakbericht]",
    "video": "[video]", "document": "[document]", "sticker": "[sticker]",
    "location": "[locatie]", "photo": "[foto]", "animation": "[gif]",
    "video_note": "[videobericht]", "contact": "[contact]", "unsupported": "[onbekend bericht]",
}


def media_label(media: dict[str, Any] | None, fallback: str = "unsupported") -> str:
    """A short Dutch label for non-text content."""
    kind = str((media or {}).get("type") or fallback)
    if kind == "audio" and (media or {}).get("voice"):
        kind = "voice"
    return MEDIA_LABELS.get(kind, MEDIA_LABELS["unsupported"])


class BackgroundAnswers:
    """Answers stored messages after the webhook was acknowledged, in arrival order."""

    def __init__(self, service: ConversationService, channel: str) -> None:
        self._service = service
        self._channel = channel
        self._tasks: set[asyncio.Task[None]] = set()

    def answer(self, received: list[Received]) -> None:
        """Schedule answering; the per-conversation lock keeps each conversation in order."""
        for item in received:
            task = asyncio.create_task(self._answer(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, item: Received) -> None:
        try:
            await self._service.process(item.conversation_id, item.message_id,
                                        {"channel": self._channel})
        except RasaUnavailable:
            log.warning("%s: bot unavailable; the message waits for the retry loop",
                        self._channel)
        except Exception:  # an answer failing must not take the channel down
            log.exception("%s: answering a message failed", self._channel)

    async def drain(self) -> None:
        """Wait for answers in progress (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

"""Pure helpers that read the dialogue context from a tracker (no I/O)."""

from __future__ import annotations

import hashlib
from typing import Any

from rasa_sdk import Tracker

OFFER_SLOT = "pending_offer"
OFFER_HUMAN = "human"
# Actions that may leave an offer open for the next affirm/deny.
OFFERING_ACTIONS = ("action_offer_human", "action_fallback")
SUMMARY_TURNS = 6
SUMMARY_TEXT_CHARS = 200


def last_action_before_latest_user_message(tracker: Tracker) -> str | None:
    """Name of the bot's last action (not action_listen) before the latest user message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
            continue
        if seen_user and event.get("event") == "action":
            name = event.get("name")
            if name and name != "action_listen":
                return str(name)
    return None


def open_offer(tracker: Tracker) -> str | None:
    """The offer the latest user message answers, if the bot just made one."""
    if last_action_before_latest_user_message(tracker) not in OFFERING_ACTIONS:
        return None
    value = tracker.get_slot(OFFER_SLOT)
    return str(value) if value else None


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest user messages in a row fell back (nlu_fallback)."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") == "nlu_fallback":
            count += 1
        else:
            break
    return count


def latest_topic(tracker: Tracker) -> str | None:
    """The most recent topic_* or crisis intent of the young person, without the prefix."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        name = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        if name.startswith("topic_"):
            return name.removeprefix("topic_")
        if name.startswith("crisis_"):
            return name
    return None


def conversation_summary(tracker: Tracker) -> str:
    """The last few turns (young person and bot) for the worker, each cut short."""
    turns: list[str] = []
    for event in tracker.events:
        kind = event.get("event")
        text = event.get("text")
        if kind == "user" and isinstance(text, str) and text.startswith("/"):
            # A crisis forced by the gateway's safety net: show what was really written.
            text = (event.get("metadata") or {}).get("original_text") or text
        if kind in ("user", "bot") and isinstance(text, str) and text.strip():
            who = "Jongere" if kind == "user" else "Bot"
            short = text.strip().replace("\n", " ")
            if len(short) > SUMMARY_TEXT_CHARS:
                short = short[: SUMMARY_TEXT_CHARS - 1] + "…"
            turns.append(f"{who}: {short}")
    return "\n".join(turns[-SUMMARY_TURNS:])


def escalation_id(tracker: Tracker, reason: str) -> str:
    """Stable id for 'this user message escalated for this reason': retries reuse it."""
    message_id = str(tracker.latest_message.get("message_id") or "")
    if not message_id:
        message_id = str(sum(1 for e in tracker.events if e.get("event") == "user"))
    digest = hashlib.sha256(f"{tracker.sender_id}|{message_id}|{reason}".encode()).hexdigest()
    return digest[:32]


def latest_text(tracker: Tracker) -> str:
    """The text of the latest user message ('' if none)."""
    text: Any = tracker.latest_message.get("text")
    return text if isinstance(text, str) else ""

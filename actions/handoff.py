"""Escalating to a human worker, and telling the young person honestly what happens next."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import OFFER_SLOT, conversation_summary, escalation_id, latest_topic
from actions.gateway_client import Escalation, EscalationResult, GatewayClient
from actions.settings import get_settings
from bot.config import Settings

CANNOT_ESCALATE = (
    "Sorry, het lukt me nu niet om je door te zetten naar een hulpverlener. "
    "Probeer het over een paar minuten nog eens. "
)


def gateway_client(settings: Settings) -> GatewayClient:
    """The client of the gateway's handoff webhook, from configuration."""
    return GatewayClient(settings.gateway_url, settings.handoff_secret)


async def escalate(tracker: Tracker, reason: str, priority: str,
                   client: GatewayClient | None = None) -> EscalationResult:
    """Send this conversation to the worker queue."""
    settings = get_settings()
    escalation = Escalation(
        escalation_id=escalation_id(tracker, reason),
        conversation_id=tracker.sender_id,
        reason=reason,
        priority=priority,
        topic=latest_topic(tracker),
        summary=conversation_summary(tracker),
    )
    return await (client or gateway_client(settings)).escalate(escalation)


def queued_text(result: EscalationResult, settings: Settings) -> str:
    """What the young person hears after a normal escalation (the gateway knows who is in)."""
    if not result.accepted:
        return CANNOT_ESCALATE + "Je kunt ook bellen of chatten met " + settings.crisis.children
    if result.someone_available is False:
        back = (f"We zijn er weer {result.back_at}." if result.back_at
                else "Er komt zo snel mogelijk iemand bij je.")
        return ("Er is nu niemand van ons online. " + back + " Je kunt hier gewoon een bericht "
                "achterlaten: een hulpverlener leest het en reageert in deze chat.")
    text = "Ik zet je door naar een hulpverlener. Je kunt gewoon hier blijven chatten."
    if result.queue_position:
        text += f" Je bent nummer {result.queue_position} in de rij"
        if result.estimated_wait_minutes is not None:
            text += f", het duurt ongeveer {max(1, result.estimated_wait_minutes)} minuten"
        text += "."
    return text


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker,
                    reason: str) -> list[EventType]:
    """Escalate with normal priority and tell the young person where they stand."""
    result = await escalate(tracker, reason, "normal")
    dispatcher.utter_message(text=queued_text(result, get_settings()))
    return [SlotSet(OFFER_SLOT, None)]


class ActionRequestHuman(Action):
    """The young person asked for a human: escalate (normal priority), opening-hours aware."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """Escalate and report."""
        return await hand_over(dispatcher, tracker, "request_human")

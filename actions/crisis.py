"""Crisis: give the numbers that fit at once, escalate as urgent, stay with the young person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.context import latest_text
from actions.handoff import escalate
from actions.settings import get_settings
from actions.texts import CRISIS_SUICIDE, CRISIS_UNSAFE, crisis_text

STAY = "Ik blijf hier. Je mag me alles vertellen wat je kwijt wilt."


class ActionCrisis(Action):
    """crisis_suicide_selfharm / crisis_unsafe: numbers first, then an urgent handoff."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_crisis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """Send the crisis message, escalate urgently, and say what happens next."""
        settings = get_settings()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        kind = CRISIS_UNSAFE if intent == CRISIS_UNSAFE else CRISIS_SUICIDE
        # The numbers go out before anything that can be slow (the escalation).
        # A crisis found by the gateway's safety net arrives as a trusted intent; the words
        # the young person actually wrote come along in the metadata.
        metadata = tracker.latest_message.get("metadata") or {}
        text = metadata.get("original_text") or latest_text(tracker)
        dispatcher.utter_message(text=crisis_text(kind, settings.crisis, str(text)))
        result = await escalate(tracker, kind, "urgent")
        if not result.accepted:
            follow_up = ("Het lukt me nu niet om een hulpverlener van ons te bereiken. "
                         "Bel of chat daarom nu met een van de nummers hierboven. " + STAY)
        elif result.someone_available:
            follow_up = "Ik zorg dat een hulpverlener zo snel mogelijk met je meekijkt. " + STAY
        else:
            follow_up = ("Er is nu niemand van ons op kantoor, daarom heb ik onze collega met "
                         "dienst gewaarschuwd. Bel of chat intussen met de nummers hierboven, "
                         "die zijn er altijd. " + STAY)
        dispatcher.utter_message(text=follow_up)
        return []

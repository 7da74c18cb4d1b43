"""The one feedback question after a worker closed the conversation."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

QUESTION = "Eén vraagje nog: hoe vond je het gesprek?"
# Sent from an action, not a domain response: Rasa would try to fill the {...} of these
# payloads as response variables. The gateway stores the rating with the handoff.
RATINGS = (("👍 Goed", "goed"), ("😐 Gaat wel", "gaat_wel"), ("👎 Niet goed", "niet_goed"))


def feedback_buttons() -> list[dict[str, str]]:
    """One button per rating; the payload carries the rating as an entity."""
    return [{"title": title, "payload": f'/give_feedback{{"rating": "{rating}"}}'}
            for title, rating in RATINGS]


class ActionAskFeedback(Action):
    """Ask how the conversation with the worker was, with one-tap buttons."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_ask_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """Ask the question."""
        dispatcher.utter_message(text=QUESTION, buttons=feedback_buttons())
        return []

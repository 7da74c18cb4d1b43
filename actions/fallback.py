"""Two-stage fallback: ask to rephrase; after two misunderstandings in a row, offer a human."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.context import consecutive_fallbacks
from actions.offers import offer_human

REPHRASE = ("Sorry, dat snap ik niet helemaal. Kun je het op een andere manier zeggen? "
            "Kort mag ook, bijvoorbeeld 'ruzie thuis' of 'is dit anoniem'.")
STILL_UNCLEAR = ("Ik begrijp het nog steeds niet goed, sorry. Een hulpverlener snapt het vast "
                 "wel. Wil je met iemand praten?")


class ActionFallback(Action):
    """The bot did not understand the message (nlu_fallback)."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """First time: ask to rephrase; second time in a row: offer a human."""
        if consecutive_fallbacks(tracker) >= 2:
            return await offer_human(dispatcher, STILL_UNCLEAR)
        dispatcher.utter_message(text=REPHRASE)
        # The misunderstood message stays in the tracker: the next fallback counts it.
        return []

"""Offering a human, and reading 'ja'/'nee' as the answer to the last offer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import OFFER_HUMAN, OFFER_SLOT, open_offer
from actions.handoff import hand_over
from actions.hours import opening_hours
from actions.settings import get_settings
from actions.texts import back_at_text
from bot.hours import is_open, local_now

YES_NO_BUTTONS = [{"title": "Ja", "payload": "/affirm"}, {"title": "Nee", "payload": "/deny"}]
HELP_BUTTONS = [
    {"title": "Vraag stellen", "payload": "/ask_question"},
    {"title": "Met iemand praten", "payload": "/request_human"},
    {"title": "Hoe werkt dit?", "payload": "/ask_how_it_works"},
]


async def offer_human_text() -> str:
    """The offer, honest about whether someone is online now."""
    settings = get_settings()
    hours = await opening_hours(settings)
    now = local_now(settings.timezone)
    if is_open(hours, now):
        return "Wil je hierover met een hulpverlener chatten? Dat kan gewoon hier."
    return ("Wil je hierover een bericht achterlaten voor een hulpverlener? Er is nu niemand "
            f"online, we zijn er weer {back_at_text(hours, now)}.")


async def offer_human(dispatcher: CollectingDispatcher,
                      text: str | None = None) -> list[EventType]:
    """Utter the offer with Ja/Nee buttons and remember that it is open."""
    dispatcher.utter_message(text=text or await offer_human_text(), buttons=YES_NO_BUTTONS)
    return [SlotSet(OFFER_SLOT, OFFER_HUMAN)]


class ActionOfferHuman(Action):
    """Offer to hand over to a human worker (after a topic, an appointment, a bot question)."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_offer_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """Make the offer."""
        return await offer_human(dispatcher)


class ActionAffirm(Action):
    """'Ja': accept the offer the bot just made, or ask what they need."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_affirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """Escalate when a human was offered; otherwise ask."""
        if open_offer(tracker) == OFFER_HUMAN:
            return await hand_over(dispatcher, tracker, "offer_accepted")
        dispatcher.utter_message(text="Oké! Waar kan ik je mee helpen?", buttons=HELP_BUTTONS)
        return [SlotSet(OFFER_SLOT, None)]


class ActionDeny(Action):
    """'Nee': accept the refusal kindly."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_deny"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """Decline the offer, leave the door open."""
        if open_offer(tracker) == OFFER_HUMAN:
            dispatcher.utter_message(
                text="Helemaal goed. Als je later toch met iemand wilt praten, typ dan gewoon "
                     "'ik wil met iemand praten'. Kan ik je nog ergens anders mee helpen?")
        else:
            dispatcher.utter_message(text="Oké, geen probleem. Waar kan ik je mee helpen?",
                                     buttons=HELP_BUTTONS)
        return [SlotSet(OFFER_SLOT, None)]

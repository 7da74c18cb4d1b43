"""Answers that depend on the organisation's configuration (name, hours, address)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.hours import opening_hours
from actions.settings import get_settings
from actions.texts import location_text, opening_hours_text, organisation_text
from bot.hours import local_now


class ActionAboutOrganisation(Action):
    """Who we are, what we do and for whom."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_about_organisation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """Explain the organisation."""
        dispatcher.utter_message(text=organisation_text(get_settings().organisation))
        return []


class ActionOpeningHours(Action):
    """Today's and this week's hours, as the gateway reports them (Beheer → Dienst, or .env)."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_opening_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """Tell the hours."""
        settings = get_settings()
        hours = await opening_hours(settings)
        dispatcher.utter_message(text=opening_hours_text(hours, local_now(settings.timezone)))
        return []


class ActionLocation(Action):
    """Address and route, from configuration."""

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_location"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        """Tell where we are."""
        dispatcher.utter_message(text=location_text(get_settings().organisation))
        return []

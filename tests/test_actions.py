"""Custom actions with real tracker/dispatcher/domain fixtures (Rasa SDK objects)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import settings as action_settings
from actions.context import consecutive_fallbacks, conversation_summary, open_offer
from actions.crisis import ActionCrisis
from actions.fallback import REPHRASE, ActionFallback
from actions.info import ActionAboutOrganisation, ActionLocation, ActionOpeningHours
from actions.offers import ActionAffirm, ActionDeny, ActionOfferHuman
from actions.texts import crisis_text, opening_hours_text
from bot.config import parse_opening_hours
from tests.conftest import (
    action_event,
    bot_event,
    free_port,
    make_settings,
    make_tracker,
    user_event,
)

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def configured(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The action server's configuration: a made-up organisation, no gateway reachable."""
    settings = make_settings(
        ORG_NAME="Jongerenpunt Testdorp", ORG_ADDRESS="Dorpsstraat 7, Testdorp",
        ORG_ROUTE="Bus 12 tot het plein.", OPENING_HOURS="ma-zo 00:00-24:00",
        GATEWAY_URL=f"http://127.0.0.1:{free_port()}", HANDOFF_SECRET="s",
        CRISIS_SUICIDE_PREVENTION="113 Zelfmoordpreventie (0800-0113)",
    )
    monkeypatch.setattr(action_settings, "get_settings", lambda: settings)
    for module in ("actions.info", "actions.offers", "actions.handoff", "actions.crisis"):
        monkeypatch.setattr(f"{module}.get_settings", lambda: settings, raising=False)
    return settings


def texts(dispatcher) -> list[str]:  # type: ignore[no-untyped-def]
    return [m["text"] for m in dispatcher.messages]


async def test_configuration_dependent_answers_read_configuration(dispatcher, tracker, domain):
    await ActionAboutOrganisation().run(dispatcher, tracker, domain)
    await ActionLocation().run(dispatcher, tracker, domain)
    await ActionOpeningHours().run(dispatcher, tracker, domain)
    about, location, hours = texts(dispatcher)
    assert "Jongerenpunt Testdorp" in about
    assert "Dorpsstraat 7, Testdorp" in location and "Bus 12" in location
    assert "We zijn nu online" in hours


def test_opening_hours_text_out_of_hours() -> None:
    hours = parse_opening_hours("ma-vr 14:00-22:00")
    text = opening_hours_text(hours, datetime(2026, 11, 29, 10, 0, tzinfo=AMS))  # a Sunday
    assert text.startswith("Vandaag zijn we niet online.")
    assert "• maandag: 14:00–22:00" in text and "• zondag: gesloten" in text


async def test_offer_then_yes_escalates_and_says_so_honestly(dispatcher, domain):
    offer_events = await ActionOfferHuman().run(dispatcher, make_tracker([]), domain)
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/affirm"
    assert offer_events[0]["value"] == "human"
    tracker = make_tracker(
        [user_event("ik word gepest", "topic_bullying", "m1"), action_event("utter_topic_bullying"),
         action_event("action_offer_human"), action_event("action_listen"),
         user_event("ja", "affirm", "m2")],
        slots={"pending_offer": "human"})
    assert open_offer(tracker) == "human"
    answer = CollectingDispatcher()
    events = await ActionAffirm().run(answer, tracker, domain)
    # No gateway runs in this test: the young person hears that it did not work.
    assert "lukt me nu niet" in texts(answer)[0]
    assert events == [{"event": "slot", "timestamp": None, "name": "pending_offer", "value": None}]


async def test_yes_without_an_offer_does_not_escalate(dispatcher, domain):
    tracker = make_tracker([action_event("utter_greet"), action_event("action_listen"),
                            user_event("ja", "affirm")], slots={"pending_offer": "human"})
    assert open_offer(tracker) is None
    await ActionAffirm().run(dispatcher, tracker, domain)
    assert texts(dispatcher) == ["Oké! Waar kan ik je mee helpen?"]


async def test_no_after_an_offer_leaves_the_door_open(dispatcher, domain):
    tracker = make_tracker([action_event("action_offer_human"), action_event("action_listen"),
                            user_event("nee", "deny")], slots={"pending_offer": "human"})
    await ActionDeny().run(dispatcher, tracker, domain)
    assert "ik wil met iemand praten" in texts(dispatcher)[0]


async def test_two_fallbacks_in_a_row_offer_a_human(dispatcher, domain):
    first = make_tracker([user_event("blabla", "nlu_fallback", "m1")])
    assert consecutive_fallbacks(first) == 1
    await ActionFallback().run(dispatcher, first, domain)
    assert texts(dispatcher) == [REPHRASE]
    second = make_tracker([user_event("blabla", "nlu_fallback", "m1"),
                           action_event("action_fallback"), action_event("action_listen"),
                           user_event("qwerty", "nlu_fallback", "m2")])
    assert consecutive_fallbacks(second) == 2
    again = CollectingDispatcher()
    events = await ActionFallback().run(again, second, domain)
    assert "Wil je met iemand praten?" in texts(again)[0]
    assert again.messages[0]["buttons"]
    assert events[0]["value"] == "human"


async def test_crisis_gives_numbers_first_even_when_escalation_fails(dispatcher, domain):
    tracker = make_tracker([user_event("ik wil niet meer leven", "crisis_suicide_selfharm")])
    await ActionCrisis().run(dispatcher, tracker, domain)
    first, second = texts(dispatcher)
    assert "113 Zelfmoordpreventie (0800-0113)" in first and "112" in first
    assert "nummers hierboven" in second


def test_crisis_numbers_fit_the_kind_of_danger(configured) -> None:
    crisis = configured.crisis
    unsafe = crisis_text("crisis_unsafe", crisis, "mijn vader slaat me")
    assert "Veilig Thuis" in unsafe and "112" in unsafe and "Helpwanted" not in unsafe
    sextortion = crisis_text("crisis_unsafe", crisis, "hij dreigt mijn naaktfoto te verspreiden")
    assert "Helpwanted" in sextortion
    suicide = crisis_text("crisis_suicide_selfharm", crisis, "ik wil dood")
    assert "113" in suicide and "Veilig Thuis" not in suicide


def test_summary_has_both_sides_and_is_cut_short() -> None:
    tracker = make_tracker([user_event("a" * 500, "topic_mood"), bot_event("Dat klinkt zwaar.")])
    summary = conversation_summary(tracker)
    assert summary.startswith("Jongere: aaa") and summary.endswith("Bot: Dat klinkt zwaar.")
    assert len(summary.splitlines()[0]) < 220



async def test_feedback_question_has_one_tap_ratings(dispatcher, tracker, domain) -> None:
    from actions.feedback import ActionAskFeedback
    from bot.conversations.service import feedback_rating

    await ActionAskFeedback().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    ratings = [feedback_rating(b["payload"]) for b in message["buttons"]]
    assert ratings == ["goed", "gaat_wel", "niet_goed"]


def test_something_taken_puts_112_before_any_helpline(configured) -> None:
    crisis = configured.crisis
    overdose = crisis_text("crisis_suicide_selfharm", crisis,
                           "heb net een hele strip van mn moeders pillen genomen")
    first_line = overdose.splitlines()[1]
    assert "112" in first_line and "113" not in first_line
    assert "113" in overdose  # the suicide line still follows
    assert overdose.count("112") == 1  # no second, general "bel 112" line

    friend = crisis_text("crisis_unsafe", crisis,
                         "mn vriend heeft te veel ket genomen en reageert nie meer")
    assert "112" in friend.splitlines()[1]
    assert "Veilig Thuis" not in friend  # a domestic-violence line does not fit an overdose


def test_violence_keeps_veilig_thuis_beside_the_medical_line(configured) -> None:
    text = crisis_text("crisis_unsafe", configured.crisis,
                       "hij sloeg haar en nu reageert ze niet meer")
    assert "Veilig Thuis" in text and "ambulance" in text


def test_not_answering_messages_is_no_medical_emergency(configured) -> None:
    text = crisis_text("crisis_unsafe", configured.crisis,
                       "mn vader slaat me en mn moeder reageert niet op mn appjes")
    assert "ambulance" not in text
    assert "Ben je nu in gevaar? Bel meteen 112." in text and "Veilig Thuis" in text

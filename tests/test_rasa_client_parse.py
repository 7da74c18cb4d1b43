"""Reading the crisis guard's signal out of Rasa's /model/parse result."""

from __future__ import annotations

import pytest

from bot.rasa.client import crisis_reading


def test_a_sure_crisis_is_read_with_its_confidence() -> None:
    parse = {"intent": {"name": "crisis_unsafe", "confidence": 0.9},
             "intent_ranking": [{"name": "crisis_unsafe", "confidence": 0.9},
                                {"name": "topic_home", "confidence": 0.1}]}
    assert crisis_reading(parse) == ("crisis_unsafe", pytest.approx(0.9))


def test_behind_the_fallback_a_crisis_still_counts() -> None:
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.3},
            {"name": "crisis_unsafe", "confidence": 0.22},
            {"name": "topic_home", "confidence": 0.2},
        ],
    }
    assert crisis_reading(parse) == ("crisis_unsafe", pytest.approx(0.22))


def test_a_crisis_second_to_a_topic_still_counts() -> None:
    parse = {"intent": {"name": "topic_mood", "confidence": 0.52},
             "intent_ranking": [{"name": "topic_mood", "confidence": 0.52},
                                {"name": "crisis_suicide_selfharm", "confidence": 0.46}]}
    assert crisis_reading(parse) == ("crisis_suicide_selfharm", pytest.approx(0.46))


def test_both_crisis_intents_are_read_together_and_the_likelier_names_the_kind() -> None:
    # A message that is both kinds splits the model's belief: neither alone is the top intent.
    parse = {"intent": {"name": "topic_home", "confidence": 0.4},
             "intent_ranking": [{"name": "topic_home", "confidence": 0.4},
                                {"name": "crisis_unsafe", "confidence": 0.25},
                                {"name": "crisis_suicide_selfharm", "confidence": 0.2},
                                {"name": "topic_mood", "confidence": 0.15}]}
    assert crisis_reading(parse) == ("crisis_unsafe", pytest.approx(0.45))


@pytest.mark.parametrize("parse", [None, [], {}, {"intent": None},
                                   {"intent": {"name": "nlu_fallback", "confidence": 0.3}},
                                   {"intent": {"name": "greet", "confidence": 0.9},
                                    "intent_ranking": [{"name": "greet", "confidence": 0.9}]}])
def test_no_crisis_intent_gives_none(parse: object) -> None:
    assert crisis_reading(parse) == (None, 0.0)

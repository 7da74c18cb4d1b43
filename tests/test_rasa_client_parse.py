"""Reading the crisis guard's intent out of Rasa's /model/parse result."""

from __future__ import annotations

import pytest

from bot.rasa.client import best_real_intent


def test_the_top_intent_is_taken_when_the_model_is_sure() -> None:
    parse = {"intent": {"name": "greet", "confidence": 0.9},
             "intent_ranking": [{"name": "greet", "confidence": 0.9}]}
    assert best_real_intent(parse) == ("greet", 0.9)


def test_behind_the_fallback_the_best_real_intent_still_counts() -> None:
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.25},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.25},
            {"name": "crisis_unsafe", "confidence": 0.22},
            {"name": "topic_home", "confidence": 0.2},
        ],
    }
    assert best_real_intent(parse) == ("crisis_unsafe", pytest.approx(0.22))


@pytest.mark.parametrize("parse", [None, [], {}, {"intent": None},
                                   {"intent": {"name": "nlu_fallback", "confidence": 0.3}}])
def test_no_real_intent_gives_none(parse: object) -> None:
    assert best_real_intent(parse) == (None, 0.0)

"""Reading the crisis guard's signal out of Rasa's /model/parse result."""

from __future__ import annotations

import pytest

from bot.safety.guard import crisis_reading


def parse_of(*ranking: tuple[str, float]) -> dict[str, object]:
    """A /model/parse result: the first (name, confidence) is the answer, all are ranked."""
    ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return {"intent": ranked[0], "intent_ranking": ranked}


def test_a_sure_crisis_is_read_with_its_confidence() -> None:
    parse = parse_of(("crisis_unsafe", 0.9), ("topic_home", 0.1))
    assert crisis_reading(parse) == ("crisis_unsafe", pytest.approx(0.9))


def test_behind_the_fallback_a_crisis_still_counts() -> None:
    parse = parse_of(("nlu_fallback", 0.3), ("crisis_unsafe", 0.22), ("topic_home", 0.2))
    assert crisis_reading(parse) == ("crisis_unsafe", pytest.approx(0.22))


def test_a_crisis_second_to_a_topic_still_counts() -> None:
    parse = parse_of(("topic_mood", 0.52), ("crisis_suicide_selfharm", 0.46))
    assert crisis_reading(parse) == ("crisis_suicide_selfharm", pytest.approx(0.46))


def test_both_crisis_intents_are_read_together_and_the_likelier_names_the_kind() -> None:
    # A message that is both kinds splits the model's belief: neither alone is the top intent.
    parse = parse_of(("topic_home", 0.4), ("crisis_unsafe", 0.25),
                     ("crisis_suicide_selfharm", 0.2), ("topic_mood", 0.15))
    assert crisis_reading(parse) == ("crisis_unsafe", pytest.approx(0.45))


@pytest.mark.parametrize("parse", [None, [], {}, {"intent": None},
                                   {"intent": {"name": "nlu_fallback", "confidence": 0.3}},
                                   parse_of(("greet", 0.9))])
def test_no_crisis_intent_gives_none(parse: object) -> None:
    assert crisis_reading(parse) == (None, 0.0)

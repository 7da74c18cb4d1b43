"""When is the model's reading of a message worth an admin's look?"""

from __future__ import annotations

from dataclasses import dataclass

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
NOT_UNDERSTOOD = "fallback"  # the FallbackClassifier fired: the bot asked to rephrase
OUTSIDE = "out_of_scope"  # the bot said it cannot help with this: maybe it should
UNSURE = "unsure"  # an intent won, but with little confidence


@dataclass(frozen=True)
class UnsureReading:
    """Why a message goes to the NLU inbox, and the model's best guess at it."""

    reason: str
    predicted_intent: str | None
    confidence: float


def unsure_reading(parse: object, review_below: float,
                   out_of_scope: bool = True) -> UnsureReading | None:
    """The reading of a /model/parse result when it needs review, else None.

    Needs review: the FallbackClassifier fired (nlu_fallback), the bot took the message for
    out_of_scope (gibberish, but also a question it was never taught; unless `out_of_scope`
    is False), or the winning intent's confidence is below `review_below`. The guess shown
    to the admin is the best intent other than nlu_fallback, so it can be confirmed with one
    click."""
    if not isinstance(parse, dict):
        return None
    ranking = [i for i in [parse.get("intent"), *(parse.get("intent_ranking") or [])]
               if isinstance(i, dict) and i.get("name")]
    if not ranking:
        return None
    top = ranking[0]
    guess = next((i for i in ranking if i["name"] != FALLBACK_INTENT), None)
    guess_name = str(guess["name"]) if guess is not None else None
    guess_confidence = _confidence(guess) if guess is not None else 0.0
    if top["name"] == FALLBACK_INTENT:
        return UnsureReading(NOT_UNDERSTOOD, guess_name, guess_confidence)
    if top["name"] == OUT_OF_SCOPE_INTENT and out_of_scope:
        return UnsureReading(OUTSIDE, guess_name, guess_confidence)
    if _confidence(top) < review_below:
        return UnsureReading(UNSURE, guess_name, guess_confidence)
    return None


def _confidence(intent: dict[str, object]) -> float:
    value = intent.get("confidence")
    return float(value) if isinstance(value, (int, float)) else 0.0


def read_intent(parse: object) -> str | None:
    """The intent the bot answered with (nlu_fallback included), or None for no parse."""
    if not isinstance(parse, dict) or not isinstance(parse.get("intent"), dict):
        return None
    name = parse["intent"].get("name")
    return str(name)[:64] if name else None

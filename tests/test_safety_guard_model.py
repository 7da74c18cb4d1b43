"""The guard's reading of the model around idioms, with a scripted NLU."""

from __future__ import annotations

from typing import Any

from bot.config import REPO_ROOT
from bot.rasa.client import RasaUnavailable
from bot.safety.guard import MIN_REST_WORDS, MODEL_MIN_CONFIDENCE, SafetyGuard, idiom_free_rest
from bot.safety.net import SafetyNet

NET = SafetyNet.from_file(REPO_ROOT / "safety" / "patterns.yml")


class ScriptedNlu:
    """Answers /model/parse from a table of (intent, confidence); records what it was
    asked."""

    def __init__(self, answers: dict[str, tuple[str, float]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def parse(self, text: str) -> dict[str, Any]:
        self.asked.append(text)
        if text not in self.answers:
            raise RasaUnavailable("not scripted")
        name, confidence = self.answers[text]
        intent = {"name": name, "confidence": confidence}
        return {"intent": intent, "intent_ranking": [intent]}


def guard(nlu: ScriptedNlu) -> SafetyGuard:
    return SafetyGuard(NET, nlu, None)  # type: ignore[arg-type]


def cut(text: str) -> str:
    rest = idiom_free_rest(NET, text)
    assert rest, "the text should hold an idiom and enough words besides it"
    return rest


async def test_an_idiom_the_model_mistakes_for_a_crisis_raises_no_alarm() -> None:
    text = "mijn plantje is dood want ik vergat water te geven"
    nlu = ScriptedNlu({text: ("crisis_suicide_selfharm", 0.8), cut(text): ("out_of_scope", 0.7)})
    verdict = await guard(nlu).check(text, use_model=True)
    assert verdict.kind is None
    assert nlu.asked == [text, cut(text)]


async def test_a_crisis_next_to_an_idiom_still_raises_the_alarm() -> None:
    text = "mijn telefoon is dood en ik zie het niet meer zitten"
    answers: dict[str, Any] = {text: ("crisis_suicide_selfharm", 0.9),
                               cut(text): ("crisis_suicide_selfharm", 0.8)}
    verdict = await guard(ScriptedNlu(answers)).check(text, use_model=True)
    assert [s.signal for s in verdict.signals if s.signal == "model"] == ["model"]
    assert verdict.kind == "suicide_selfharm"


async def test_without_an_idiom_the_model_is_asked_once() -> None:
    nlu = ScriptedNlu({"ik zit vast in mijn hoofd": ("crisis_suicide_selfharm", 0.5)})
    verdict = await guard(nlu).check("ik zit vast in mijn hoofd", use_model=True)
    assert verdict.signals and verdict.signals[-1].signal == "model"
    assert nlu.asked == ["ik zit vast in mijn hoofd"]


async def test_an_unsure_or_unreachable_model_gives_no_model_signal() -> None:
    nlu = ScriptedNlu({"hmm": ("crisis_unsafe", MODEL_MIN_CONFIDENCE - 0.05)})
    assert (await guard(nlu).check("hmm", use_model=True)).kind is None
    assert (await guard(nlu).check("niet gescript", use_model=True)).kind is None


async def test_a_fragment_left_beside_an_idiom_is_not_judged_on_its_own() -> None:
    # The model called even the fragment "ik heb zon" a crisis (0.43): too short to judge.
    text = "ik heb zo'n kater ik ga dood"
    assert idiom_free_rest(NET, text) == ""
    nlu = ScriptedNlu({text: ("crisis_suicide_selfharm", 0.64),
                       "ik heb zon": ("crisis_suicide_selfharm", 0.43)})
    verdict = await guard(nlu).check(text, use_model=True)
    assert verdict.kind is None
    assert nlu.asked == [text]


def test_the_idiom_free_rest_keeps_enough_words_to_be_judged() -> None:
    assert idiom_free_rest(NET, "ik zie het niet meer zitten") is None  # no idiom
    rest = idiom_free_rest(NET, "mijn telefoon is dood en ik zie het niet meer zitten")
    assert rest is not None and len(rest.split()) >= MIN_REST_WORDS
    assert "dood" not in rest.split() and "dod" not in rest.split()

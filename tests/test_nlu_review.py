"""The admins' NLU inbox (bot/nlu_review): which messages go in, what may become a training
example, the admin API on a real database, and — against the real Rasa — that what the bot
did not understand arrives there once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.config import REPO_ROOT
from bot.nlu_review.catalogue import labelable_intents
from bot.nlu_review.examples import ExampleRefused, clean_example, to_rasa_yaml
from bot.nlu_review.reading import (
    NOT_UNDERSTOOD,
    OUTSIDE,
    UNSURE,
    UnsureReading,
    unsure_reading,
)
from bot.nlu_review.recorder import Considered, NluReview
from bot.privacy import Privacy
from bot.rasa import client as rasa_client
from bot.rasa.client import RasaClient
from bot.store.models import AuditEntry, NluReviewItem, ReviewStatus
from tests.conftest import free_port
from tests.gateway_helpers import say_over_rest, worker
from tests.nlu_review_seed import seed_review_items

REVIEW = "/api/v1/admin/nlu/review"


def parse_result(*ranking: tuple[str, float]) -> dict[str, Any]:
    """A /model/parse answer with this intent ranking (Rasa puts the winner first)."""
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return {"text": "…", "intent": intents[0], "intent_ranking": intents}


# --- Which messages need review --------------------------------------------------------


def test_a_fallback_is_not_understood_and_the_guess_is_the_best_real_intent() -> None:
    parse = parse_result(("nlu_fallback", 0.3), ("topic_home", 0.22), ("greet", 0.1))
    assert unsure_reading(parse, 0.5) == UnsureReading(NOT_UNDERSTOOD, "topic_home", 0.22)
    # Even with review of unsure readings off.
    assert unsure_reading(parse, 0.0) == UnsureReading(NOT_UNDERSTOOD, "topic_home", 0.22)


def test_what_the_bot_took_for_out_of_scope_is_reviewed_however_sure_it_was() -> None:
    parse = parse_result(("out_of_scope", 0.98), ("ask_location", 0.01))
    assert unsure_reading(parse, 0.0) == UnsureReading(OUTSIDE, "out_of_scope", 0.98)
    # Unless the organisation turned that off (NLU_REVIEW_OUT_OF_SCOPE=0).
    assert unsure_reading(parse, 0.5, out_of_scope=False) is None
    weak = parse_result(("out_of_scope", 0.4), ("ask_location", 0.3))
    assert unsure_reading(weak, 0.5, out_of_scope=False) == UnsureReading(
        UNSURE, "out_of_scope", 0.4)


@pytest.mark.parametrize(("confidence", "review_below", "expected"), [
    (0.45, 0.5, UnsureReading(UNSURE, "ask_cost", 0.45)),
    (0.55, 0.5, None),
    (0.45, 0.0, None),
    (0.99, 1.0, UnsureReading(UNSURE, "ask_cost", 0.99)),
])
def test_a_winning_intent_is_reviewed_when_less_sure_than_the_setting(
        confidence: float, review_below: float, expected: UnsureReading | None) -> None:
    parse = parse_result(("ask_cost", confidence), ("ask_anonymous", 1 - confidence))
    assert unsure_reading(parse, review_below) == expected


@pytest.mark.parametrize("parse", [None, [], {}, {"intent": None}, {"intent": {"name": ""}}])
def test_an_answer_that_is_no_parse_is_never_reviewed(parse: object) -> None:
    assert unsure_reading(parse, 1.0) is None


# --- What may become a training example ------------------------------------------------


@pytest.mark.parametrize(("text", "what"), [
    ("bel me op 06-12345678 aub", "phone number"),
    ("mijn nummer is +31 6 1234 5678", "phone number"),
    ("mail naar sanne.devries@gmail.com", "e-mail address"),
    ("kijk op www.mijnschool.nl", "web address"),
    ("ik woon op 1012 AB", "postcode"),
    ("", "empty"),
    ("   \n ", "empty"),
    ("a" * 301, "longer than 300"),
])
def test_an_example_with_personal_details_or_without_words_is_refused(text: str,
                                                                      what: str) -> None:
    with pytest.raises(ExampleRefused, match=what):
        clean_example(text)


@pytest.mark.parametrize(("text", "example"), [
    ("ik   ben in 2024 is\ngeslaagd", "ik ben in 2024 is geslaagd"),
    ("kost het 5 euro?", "kost het 5 euro?"),
    ("hoiii 😊 wie ben jij", "hoiii 😊 wie ben jij"),
])
def test_an_ordinary_message_becomes_one_line_of_example(text: str, example: str) -> None:
    assert clean_example(text) == example


def test_the_export_is_rasa_training_data_where_the_latest_label_of_a_text_wins() -> None:
    labelled = [("topic_home", "mn ouders doen raar"), ("greet", "yo wazzup"),
                ("topic_mood", "mn ouders doen raar"), ("out_of_scope", "wat is [x](greet)")]

    data = RasaYAMLReader().reads(to_rasa_yaml(labelled))

    pairs = sorted((m.get("intent"), m.get("text")) for m in data.intent_examples)
    assert pairs == [("greet", "yo wazzup"), ("out_of_scope", "wat is (x)(greet)"),
                     ("topic_mood", "mn ouders doen raar")]
    assert not data.entity_examples  # brackets a young person typed mark no entity
    assert RasaYAMLReader().reads(to_rasa_yaml([])).intent_examples == []


def test_admins_label_with_the_intents_the_bot_is_trained_to_recognise() -> None:
    intents = labelable_intents(REPO_ROOT / "domain.yml")
    trained = set()
    for path in (REPO_ROOT / "data" / "nlu").glob("*.yml"):
        trained |= {m.get("intent") for m in RasaYAMLReader().read(path).intent_examples}
    assert "out_of_scope" in intents and "crisis_suicide_selfharm" in intents
    assert "handoff_closed" not in intents and "give_feedback" not in intents
    assert set(intents) <= trained
    assert trained - {"give_feedback", "handoff_closed"} <= set(intents)


# --- The client parses a message once for the guard and the review ---------------------


@pytest.fixture
async def fake_parse(aiohttp_server) -> AsyncIterator[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """(URL, texts asked) of a stand-in for Rasa's /model/parse that is unsure of all."""
    asked: list[str] = []

    async def parse(request: web.Request) -> web.Response:
        asked.append((await request.json())["text"])
        return web.json_response(parse_result(("greet", 0.4), ("thank", 0.3)))

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    server = await aiohttp_server(app)
    yield str(server.make_url("")), asked


async def test_the_rasa_client_parses_a_text_once_while_it_remembers_it(
        fake_parse: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    url, asked = fake_parse
    clock = [1000.0]
    monkeypatch.setattr(rasa_client.time, "monotonic", lambda: clock[0])
    async with aiohttp.ClientSession() as http:
        rasa = RasaClient(http, url, "", 5)
        for _ in range(3):
            assert (await rasa.parse("hoi"))["intent"]["name"] == "greet"
        await rasa.parse("doei")
        clock[0] += rasa_client.PARSE_MEMORY_S + 1
        await rasa.parse("hoi")
    assert asked == ["hoi", "doei", "hoi"]


async def test_a_message_answered_again_is_queued_once_and_rasa_down_queues_nothing(
        fake_parse: tuple[str, list[str]], sessions: sessionmaker) -> None:
    url, _ = fake_parse
    conversation_id, (item,) = await seed_review_items(sessions, "jongere-3", ["hmm"])
    async with sessions() as session, session.begin():
        message_id = (await session.get(NluReviewItem, item)).message_id
        await session.delete(await session.get(NluReviewItem, item))
    async with aiohttp.ClientSession() as http:
        down = NluReview(sessions, RasaClient(http, f"http://127.0.0.1:{free_port()}", "", 1),
                         0.5)
        assert await down.consider(conversation_id, message_id, "hmm") == Considered(None, False)
        review = NluReview(sessions, RasaClient(http, url, "", 5), 0.5)
        assert await review.consider(conversation_id, message_id, "hmm") == Considered(
            "greet", True)
        assert await review.consider(conversation_id, message_id, "hmm") == Considered(
            "greet", False)
    async with sessions() as session:
        items = list((await session.execute(select(NluReviewItem))).scalars())
    assert [(i.message_id, i.reason, i.predicted_intent) for i in items] == [
        (message_id, UNSURE, "greet")]


# --- The admin API on a real database ----------------------------------------------------


@pytest.fixture
def gateway(botless_gateway):  # type: ignore[no-untyped-def]
    """The gateway with the bot down (the items are seeded as the recorder stores them)."""
    return botless_gateway


async def audit_actions(sessions: sessionmaker) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(
            select(AuditEntry.action).order_by(AuditEntry.id))).scalars())


async def test_an_admin_labels_and_ignores_messages_and_exports_the_examples(
        gateway, sessions: sessionmaker) -> None:  # type: ignore[no-untyped-def]
    _, (gibberish, home, noise) = await seed_review_items(
        sessions, "jongere-1", ["xqz blorp", "mn pa en ma schreeuwen, ik ben Sanne", "asdf"])
    admin, sam = await worker(gateway, "anna", "admin"), await worker(gateway, "sam")
    assert (await gateway.get(REVIEW, headers=sam)).status == 403
    assert (await gateway.get(REVIEW)).status == 401

    listed = await (await gateway.get(REVIEW, headers=admin)).json()

    assert [i["text"] for i in listed["items"]] == [
        "asdf", "mn pa en ma schreeuwen, ik ben Sanne", "xqz blorp"]
    assert listed["items"][2]["reason"] == NOT_UNDERSTOOD
    assert listed["items"][2]["predicted_intent"] == "topic_home"
    assert listed["counts"] == {"open": 3, "labelled": 0, "ignored": 0}
    assert "topic_home" in listed["intents"] and "give_feedback" not in listed["intents"]

    label = f"{REVIEW}/{home}/label"
    refused = await gateway.post(label, headers=admin,
                                 json={"intent": "topic_home", "text": "bel 0612345678"})
    assert refused.status == 400 and "phone number" in (await refused.json())["error"]
    unknown = await gateway.post(label, headers=admin, json={"intent": "weather"})
    assert unknown.status == 400
    labelled = await gateway.post(label, headers=admin, json={
        "intent": "topic_home", "text": "mn pa en ma schreeuwen"})
    assert labelled.status == 200
    assert (await labelled.json())["status"] == ReviewStatus.LABELLED
    ignored = await gateway.post(f"{REVIEW}/{noise}/ignore", headers=admin)
    assert (await ignored.json())["status"] == ReviewStatus.IGNORED
    assert (await gateway.post(f"{REVIEW}/{home}/ignore", headers=admin)).status == 409
    assert (await gateway.post(f"{REVIEW}/999/ignore", headers=admin)).status == 404
    assert (await gateway.post(f"{REVIEW}/abc/label", headers=admin,
                               json={"intent": "greet"})).status == 404
    # Without a text, the message's own words are the example.
    assert (await gateway.post(f"{REVIEW}/{gibberish}/label", headers=admin,
                               json={"intent": "out_of_scope"})).status == 200

    now = await (await gateway.get(REVIEW, headers=admin)).json()
    assert now["items"] == [] and now["counts"] == {"open": 0, "labelled": 2, "ignored": 1}
    done = await (await gateway.get(REVIEW + "?status=labelled", headers=admin)).json()
    assert {(i["intent"], i["text"]) for i in done["items"]} == {
        ("topic_home", "mn pa en ma schreeuwen"), ("out_of_scope", "xqz blorp")}
    assert (await gateway.get(REVIEW + "?status=deleted", headers=admin)).status == 400
    export = await gateway.get("/api/v1/admin/nlu/examples", headers=admin)
    assert "labelled.yml" in export.headers["Content-Disposition"]
    examples = RasaYAMLReader().reads(await export.text()).intent_examples
    assert sorted((m.get("intent"), m.get("text")) for m in examples) == [
        ("out_of_scope", "xqz blorp"), ("topic_home", "mn pa en ma schreeuwen")]
    assert "Sanne" not in await export.text()
    async with sessions() as session:
        example = await session.get(NluReviewItem, home)
    assert example.conversation_id is None and example.message_id is None
    actions = await audit_actions(sessions)
    assert actions.count("read_nlu_review") == 3
    assert actions.count("label_nlu_example") == 2 and actions.count("ignore_nlu_message") == 1


async def test_erasure_takes_the_open_messages_and_leaves_the_anonymised_examples(
        gateway, sessions: sessionmaker) -> None:  # type: ignore[no-untyped-def]
    conversation_id, (kept, _) = await seed_review_items(
        sessions, "jongere-2", ["wie ben je eigenlijk", "ik ben Sanne uit Zwolle"])
    admin = await worker(gateway, "anna", "admin")
    assert (await gateway.post(f"{REVIEW}/{kept}/label", headers=admin,
                               json={"intent": "ask_what_is_this"})).status == 200
    async with aiohttp.ClientSession() as http:
        privacy = Privacy(sessions, RasaClient(http, f"http://127.0.0.1:{free_port()}", "", 1))
        assert await privacy.erase(conversation_id, worker_id=None) is not None
    async with sessions() as session:
        left = list((await session.execute(select(NluReviewItem))).scalars())
    assert [(i.id, i.example_text) for i in left] == [(kept, "wie ben je eigenlijk")]


def export_cli(db_url: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "nlu-export", "--out", str(out)],
                          cwd=REPO_ROOT, env={**os.environ, "DATABASE_URL": db_url},
                          capture_output=True, text=True, timeout=120)


async def test_the_command_line_exports_the_examples_for_the_next_training(
        gateway, sessions: sessionmaker, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, (item, _) = await seed_review_items(sessions, "jongere-4", ["ff vragen hoe laat", "qq"])
    admin = await worker(gateway, "anna", "admin")
    assert (await gateway.post(f"{REVIEW}/{item}/label", headers=admin,
                               json={"intent": "ask_opening_hours"})).status == 200
    out = tmp_path / "nlu" / "labelled.yml"

    done = export_cli(db_url, out)

    assert done.returncode == 0, done.stderr
    assert "exported 1 labelled example(s)" in done.stderr
    assert "ff vragen" not in done.stdout + done.stderr  # the count, not the content
    examples = RasaYAMLReader().read(out).intent_examples
    assert [(m.get("intent"), m.get("text")) for m in examples] == [
        ("ask_opening_hours", "ff vragen hoe laat")]


# --- Against the real Rasa -------------------------------------------------------------


@pytest.mark.stack
async def test_what_the_bot_did_not_understand_reaches_the_nlu_inbox_not_what_it_did(
        live_gateway) -> None:  # type: ignore[no-untyped-def]
    client, settings = live_gateway.client, live_gateway.settings
    gibberish = "xqzv blorpt fnargh"
    async with aiohttp.ClientSession() as http:
        rasa = RasaClient(http, settings.rasa_url, settings.rasa_token, 10)
        reading = unsure_reading(await rasa.parse(gibberish), settings.nlu_review_below,
                                 settings.nlu_review_out_of_scope)
    assert reading is not None  # the bot does not understand it: it must be reviewed

    await say_over_rest(client, "jongere-nlu", "hoi")
    await say_over_rest(client, "jongere-nlu", gibberish)
    await say_over_rest(client, "jongere-nlu", gibberish)
    admin = await worker(client, "anna", "admin")
    listed = await (await client.get(REVIEW, headers=admin)).json()

    assert [(i["text"], i["reason"]) for i in listed["items"]] == [
        (gibberish, reading.reason), (gibberish, reading.reason)]  # two messages, not "hoi"
    assert listed["items"][0]["predicted_intent"] == reading.predicted_intent
    # What the bot read in each message is noted for the admins' figures; a crisis as the
    # crisis the bot answered (it is not in the NLU inbox: it is a safety detection).
    await say_over_rest(client, "jongere-nood", "ik wil niet meer leven")
    figures = await (await client.get("/api/v1/admin/stats?days=1", headers=admin)).json()
    assert figures["totals"]["messages"] == 4
    assert {i["intent"]: i["count"] for i in figures["top_intents"]} == {
        "greet": 1, reading.predicted_intent: 2, "crisis_suicide_selfharm": 1}
    assert len((await (await client.get(REVIEW, headers=admin)).json())["items"]) == 2

"""WhatsApp Cloud API protocol: signatures, parsing, reply building, errors, the client.

The client runs against the fake Graph API (tests/fakes/whatsapp_api.py) over real HTTP;
the webhook player signs bodies exactly as Meta does (channels.md).
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.textsplit import utf16_len
from bot.channels.whatsapp_protocol import (
    SIGNATURE_HEADER,
    SendOutcome,
    WaInbound,
    WaParseError,
    WhatsAppClient,
    build_outbound,
    button_key,
    classify_error,
    mark_read_body,
    parse_webhook,
    payload_for_reply,
    verify_challenge,
    verify_signature,
)
from tests.conftest import free_port
from tests.fakes.whatsapp_api import (
    batch,
    contact,
    create_whatsapp_fake,
    deliver,
    deliver_raw,
    envelope,
    list_reply,
    location_message,
    media_message,
    reaction_message,
    serialise,
    sign,
    status_update,
    template_button,
    text_message,
    truncate,
    unsupported_message,
    validate_message,
)
from tests.fakes.whatsapp_api import (
    button_reply as button_reply_message,
)

APP_SECRET = "test_app_secret"
ACCESS_TOKEN = "EAAG-test-token"
PHONE_NUMBER_ID = "106540352242922"
USER = "447700900123"


# --- Signature: the test vector of channels.md --------------------------------------------

SIGNED_BODY = (
    rb'{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":'
    rb'"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":'
    rb'"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":'
    rb'"Zo\u00eb"},"wa_id":"447700900123"}],"messages":[{"from":"447700900123","id":'
    rb'"wamid.HBg1","timestamp":"1717000000","type":"text","text":{"body":"h\u00e9llo"}}]}}]}]}'
)
# HMAC-SHA256("test_app_secret", SIGNED_BODY), computed once with the standard library.
SIGNED_HEX = "0fd4dfb3bce85c06117f7c2c9342ce30581282bbf557966245146a952552f62d"


@pytest.fixture
def signed_vector() -> tuple[str, bytes, str]:
    """(app secret, raw body, X-Hub-Signature-256 header) of channels.md's test vector."""
    return APP_SECRET, SIGNED_BODY, f"sha256={SIGNED_HEX}"


def test_the_test_vector_verifies(signed_vector: tuple[str, bytes, str]) -> None:
    secret, raw, header = signed_vector
    assert verify_signature(secret, raw, header)


def test_reserialising_the_body_breaks_the_signature(
    signed_vector: tuple[str, bytes, str],
) -> None:
    secret, raw, header = signed_vector
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False,
                              separators=(",", ":")).encode("utf-8")
    assert reserialised != raw
    assert "Zoë".encode() in reserialised
    assert not verify_signature(secret, reserialised, header)


def test_the_player_serialises_exactly_like_meta(signed_vector: tuple[str, bytes, str]) -> None:
    secret, raw, header = signed_vector
    assert serialise(json.loads(raw)) == raw
    assert sign(secret, raw) == header


@pytest.mark.parametrize(
    ("secret", "header"),
    [
        ("wrong_secret", f"sha256={SIGNED_HEX}"),
        (APP_SECRET, None),
        (APP_SECRET, ""),
        (APP_SECRET, SIGNED_HEX),  # no "sha256=" prefix
        (APP_SECRET, f"sha1={SIGNED_HEX}"),
        (APP_SECRET, "sha256=" + "0" * 64),
        (APP_SECRET, f"sha256={SIGNED_HEX[:-1]}"),
        (APP_SECRET, "sha256=zoë"),  # non-ASCII in the header
        ("", f"sha256={SIGNED_HEX}"),  # no secret configured: never verifies
    ],
)
def test_wrong_or_missing_signatures_are_refused(secret: str, header: str | None) -> None:
    assert not verify_signature(secret, SIGNED_BODY, header)


def test_a_changed_byte_breaks_the_signature() -> None:
    tampered = SIGNED_BODY.replace(b"h\\u00e9llo", b"h\\u00e8llo")
    assert not verify_signature(APP_SECRET, tampered, f"sha256={SIGNED_HEX}")


def test_uppercase_hex_is_accepted() -> None:
    assert verify_signature(APP_SECRET, SIGNED_BODY, f"sha256={SIGNED_HEX.upper()}")


def test_subscription_challenge() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "T", "hub.challenge": "1158201444"}
    assert verify_challenge(query, "T") == "1158201444"
    assert verify_challenge({**query, "hub.verify_token": "X"}, "T") is None
    assert verify_challenge({**query, "hub.mode": "unsubscribe"}, "T") is None
    assert verify_challenge(query, "") is None


# --- Parsing -------------------------------------------------------------------------------


def only_message(payload: dict[str, Any]) -> WaInbound:
    """The single message of a webhook body."""
    messages, statuses = parse_webhook(payload)
    assert len(messages) == 1
    assert statuses == []
    return messages[0]


def test_parse_the_test_vector() -> None:
    message = only_message(json.loads(SIGNED_BODY))
    assert message == WaInbound(
        wamid="wamid.HBg1", user_id=USER, profile_name="Zoë", kind="text", text="héllo",
        reply_id=None, media=None, context_id=None, timestamp=1717000000,
        phone_number_id=PHONE_NUMBER_ID)


def test_parse_text_with_context() -> None:
    message = only_message(envelope([text_message("hoi", context_id="wamid.prev")]))
    assert (message.kind, message.text, message.context_id) == ("text", "hoi", "wamid.prev")
    assert message.profile_name == "Sam"


def test_parse_button_reply() -> None:
    message = only_message(envelope([button_reply_message("/affirm", "Ja",
                                                          context_id="wamid.q")]))
    assert (message.kind, message.reply_id, message.text) == ("button_reply", "/affirm", "Ja")
    assert message.context_id == "wamid.q"


def test_parse_list_reply() -> None:
    message = only_message(envelope([list_reply("k:0123456789abcdef", "Thuis", "Het gaat…")]))
    assert (message.kind, message.reply_id, message.text) == (
        "list_reply", "k:0123456789abcdef", "Thuis")


def test_parse_template_button() -> None:
    message = only_message(envelope([template_button("/restart", "Opnieuw")]))
    assert (message.kind, message.reply_id, message.text) == (
        "template_button", "/restart", "Opnieuw")


@pytest.mark.parametrize("kind", ["image", "video", "document", "sticker"])
def test_parse_media(kind: str) -> None:
    message = only_message(envelope([media_message(kind, media_id="1234", mime_type="x/y")]))
    assert message.kind == "media"
    assert message.media == {"type": kind, "id": "1234", "mime_type": "x/y"}
    assert message.text is None


def test_parse_image_with_caption() -> None:
    message = only_message(envelope([media_message("image", media_id="9", caption="kijk")]))
    assert message.media == {"type": "image", "id": "9", "mime_type": "image/jpeg",
                             "caption": "kijk"}
    assert message.text == "kijk"


def test_parse_voice_note() -> None:
    message = only_message(envelope([media_message("audio", media_id="7", voice=True)]))
    assert message.media == {"type": "audio", "id": "7", "mime_type": "audio/ogg; codecs=opus",
                             "voice": True}


def test_parse_location_reaction_and_unsupported() -> None:
    messages, _ = parse_webhook(envelope([
        location_message(), reaction_message("wamid.ours", "❤️"),
        reaction_message("wamid.ours", None), unsupported_message()]))
    assert [m.kind for m in messages] == ["location", "reaction", "reaction", "unsupported"]
    assert messages[0].text is None
    assert (messages[1].text, messages[1].context_id) == ("❤️", "wamid.ours")
    assert messages[2].text is None  # a removed reaction


@pytest.mark.parametrize(
    "content",
    [
        {"type": "order", "order": {"catalog_id": "1"}},
        {"type": "system", "system": {"body": "changed number"}},
        {"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {}}},
        {"type": "interactive", "interactive": {"type": "button_reply"}},
        {"type": "text", "text": "not an object"},
        {"type": "image", "image": {"mime_type": "image/jpeg"}},  # no media id
        {"type": "button", "button": {"text": "no payload"}},
        {},
    ],
)
def test_unknown_or_unreadable_types_become_unsupported(content: dict[str, Any]) -> None:
    raw = {"from": USER, "id": "wamid.X", "timestamp": "1717000000", **content}
    message = only_message(envelope([raw]))
    assert message.kind == "unsupported"
    assert message.wamid == "wamid.X"


def test_sender_without_phone_number_uses_from_user_id() -> None:
    raw = text_message("hoi")
    del raw["from"]
    raw["from_user_id"] = "NL.123456789"
    message = only_message(envelope(
        [raw], contacts=[{"profile": {"name": "Anoniem"}, "user_id": "NL.123456789"}]))
    assert (message.user_id, message.profile_name) == ("NL.123456789", "Anoniem")


def test_parse_statuses() -> None:
    messages, statuses = parse_webhook(envelope(statuses=[
        status_update("wamid.A", "delivered"),
        status_update("wamid.B", "failed", error_code=131047)]))
    assert messages == []
    assert [(s.wamid, s.status, s.error_codes) for s in statuses] == [
        ("wamid.A", "delivered", ()), ("wamid.B", "failed", (131047,))]
    assert statuses[1].recipient_id == USER
    assert isinstance(statuses[1].timestamp, int)


def test_batched_entries_changes_and_messages_keep_their_order() -> None:
    first = envelope([text_message("een", wa_id="31600000001"),
                      text_message("twee", wa_id="31600000002")],
                     contacts=[contact("31600000001", "Ada"), contact("31600000002", "Bo")])
    second = envelope([text_message("drie")], statuses=[status_update("wamid.S", "read")])
    payload = batch(first, second)
    payload["entry"][1]["changes"].insert(0, {"field": "account_update",
                                              "value": {"event": "VERIFIED_ACCOUNT"}})
    payload["entry"][1]["changes"].append(
        {"field": "messages", "value": envelope([text_message("vier")])["entry"][0]
         ["changes"][0]["value"]})
    messages, statuses = parse_webhook(payload)
    assert [m.text for m in messages] == ["een", "twee", "drie", "vier"]
    assert [m.profile_name for m in messages] == ["Ada", "Bo", "Sam", "Sam"]
    assert [s.wamid for s in statuses] == ["wamid.S"]


def test_other_fields_are_ignored() -> None:
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "message_template_status_update", "value": "anything"}]}]}
    assert parse_webhook(payload) == ([], [])


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([], "JSON object"),
        ({"object": "page", "entry": []}, "whatsapp_business_account"),
        ({"entry": []}, "whatsapp_business_account"),
        ({"object": "whatsapp_business_account"}, "entry"),
        ({"object": "whatsapp_business_account", "entry": {}}, "entry"),
        ({"object": "whatsapp_business_account", "entry": [1]}, r"entry\[0\]"),
        ({"object": "whatsapp_business_account", "entry": [{}]}, "changes"),
        ({"object": "whatsapp_business_account", "entry": [{"changes": ["x"]}]}, "changes"),
        ({"object": "whatsapp_business_account",
          "entry": [{"changes": [{"field": "messages"}]}]}, "value"),
        ({"object": "whatsapp_business_account",
          "entry": [{"changes": [{"field": "messages", "value": {"messages": {}}}]}]},
         "messages must be a list"),
        ({"object": "whatsapp_business_account",
          "entry": [{"changes": [{"field": "messages", "value": {"messages": [7]}}]}]},
         "must be an object"),
        ({"object": "whatsapp_business_account",
          "entry": [{"changes": [{"field": "messages", "value": {"messages": [
              {"from": USER, "type": "text"}]}}]}]}, "id"),
        ({"object": "whatsapp_business_account",
          "entry": [{"changes": [{"field": "messages", "value": {"messages": [
              {"id": "wamid.1", "type": "text"}]}}]}]}, "from"),
        ({"object": "whatsapp_business_account",
          "entry": [{"changes": [{"field": "messages", "value": {"statuses": [
              {"id": "wamid.1"}]}}]}]}, "status"),
        ({"object": "whatsapp_business_account",
          "entry": [{"changes": [{"field": "messages", "value": {"contacts": "Sam"}}]}]},
         "contacts"),
    ],
)
def test_malformed_envelopes_raise_with_a_reason(payload: Any, reason: str) -> None:
    with pytest.raises(WaParseError, match=reason):
        parse_webhook(payload)


SCALAR = (st.none() | st.booleans() | st.integers(-(2**63), 2**63)
          | st.floats(allow_nan=False) | st.text(max_size=8))
JSON = st.recursive(
    SCALAR,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
MESSAGE_KEYS = ["from", "from_user_id", "id", "timestamp", "type", "text", "interactive",
                "button", "image", "audio", "reaction", "context", "errors", "status",
                "recipient_id", "body", "title", "payload", "caption", "voice", "message_id",
                "button_reply", "list_reply", "mime_type", "code"]
KEYED = st.recursive(
    SCALAR,
    lambda children: st.dictionaries(st.sampled_from(MESSAGE_KEYS), children, max_size=4)
    | st.lists(children, max_size=2),
    max_leaves=8,
)
MESSAGE_LIKE = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=5), "from": st.text(min_size=1, max_size=5),
     "type": st.sampled_from(["text", "interactive", "button", "image", "audio", "location",
                              "reaction", "unsupported", "order"]) | JSON},
    optional={key: KEYED for key in ["text", "interactive", "button", "image", "audio",
                                     "reaction", "context", "timestamp", "from_user_id"]},
)
STATUS_LIKE = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=5), "status": st.sampled_from(["sent", "failed"])},
    optional={"errors": st.lists(st.fixed_dictionaries({"code": JSON}), max_size=2) | KEYED,
              "timestamp": JSON, "recipient_id": JSON},
)
VALUE_LIKE = st.fixed_dictionaries({}, optional={
    "metadata": KEYED, "contacts": st.lists(KEYED, max_size=2) | JSON,
    "messages": st.lists(MESSAGE_LIKE, max_size=2),
    "statuses": st.lists(STATUS_LIKE, max_size=2),
})
ENVELOPE_LIKE = st.fixed_dictionaries({
    "object": st.just("whatsapp_business_account"),
    "entry": st.lists(st.fixed_dictionaries({"changes": st.lists(st.fixed_dictionaries({
        "field": st.just("messages"), "value": VALUE_LIKE}), min_size=1, max_size=2)}),
        min_size=1, max_size=2),
})

REAL_MESSAGES = [
    text_message("hoi", context_id="wamid.c"), button_reply_message("/a", "Ja"),
    list_reply("/b", "Thuis", "x"), template_button("/c", "Opnieuw"),
    media_message("audio", voice=True), media_message("image", caption="kijk"),
    reaction_message("wamid.r"), location_message(), unsupported_message(),
]


@st.composite
def mutated_envelope(draw: st.DrawFn) -> dict[str, Any]:
    """A real envelope with one nested value replaced by arbitrary JSON or removed."""
    payload = copy.deepcopy(envelope([draw(st.sampled_from(REAL_MESSAGES))],
                                     statuses=[status_update("wamid.s", "failed", 131047)]))
    node: Any = payload
    while True:
        key = draw(st.sampled_from(sorted(node)) if isinstance(node, dict)
                   else st.integers(0, len(node) - 1))
        child = node[key]
        if isinstance(child, (dict, list)) and child and draw(st.integers(0, 5)) > 0:
            node = child
            continue
        if isinstance(node, dict) and draw(st.booleans()):
            del node[key]
        else:
            node[key] = draw(JSON)
        return payload


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON | KEYED | ENVELOPE_LIKE | mutated_envelope())
def test_parse_webhook_fails_only_with_its_parse_error(payload: Any) -> None:
    try:
        messages, statuses = parse_webhook(payload)
    except WaParseError:
        return
    assert all(m.wamid and m.user_id for m in messages)
    assert all(s.wamid and s.status for s in statuses)


# --- Outbound ------------------------------------------------------------------------------


def test_plain_text() -> None:
    assert build_outbound(USER, " Hoi! ", []) == [{
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": USER,
        "type": "text", "text": {"preview_url": False, "body": "Hoi!"}}]


def test_long_text_is_split_under_4096() -> None:
    text = ("Dit is een zin van de bot. " * 400).strip()
    bodies = build_outbound(USER, text, [])
    assert len(bodies) == 3
    assert all(len(b["text"]["body"]) <= 4096 for b in bodies)
    assert all(b["text"]["body"].endswith(".") for b in bodies)


def test_blank_text_without_buttons_sends_nothing() -> None:
    assert build_outbound(USER, "  ", []) == []


def test_reply_buttons_use_the_payload_as_id() -> None:
    buttons = [{"title": "Ja", "payload": "/affirm"}, {"title": "Nee", "payload": "/deny"}]
    [body] = build_outbound(USER, "Wil je praten met iemand?", buttons)
    assert body["interactive"] == {
        "type": "button", "body": {"text": "Wil je praten met iemand?"},
        "action": {"buttons": [
            {"type": "reply", "reply": {"id": "/affirm", "title": "Ja"}},
            {"type": "reply", "reply": {"id": "/deny", "title": "Nee"}}]}}


def test_long_and_duplicate_titles_are_shortened_and_made_unique() -> None:
    buttons = [{"title": "Ik wil praten met een jongerenwerker", "payload": "/a"},
               {"title": "Ik wil praten met een jongerenwerker", "payload": "/b"},
               {"title": "ja", "payload": "/c"}]
    [body] = build_outbound(USER, "Kies maar", buttons)
    titles = [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]]
    assert titles == ["Ik wil praten met e…", "Ik wil praten m… (2)", "ja"]
    assert validate_message(body) is None


def test_long_text_with_buttons_puts_the_last_part_on_the_buttons() -> None:
    text = "Eerst veel uitleg. " * 80 + "\n\nWil je verder praten?"
    bodies = build_outbound(USER, text, [{"title": "Ja", "payload": "/affirm"}])
    assert [b["type"] for b in bodies] == ["text", "interactive"]
    assert bodies[-1]["interactive"]["body"]["text"] == "Wil je verder praten?"
    assert all(validate_message(b) is None for b in bodies)


def test_four_to_ten_buttons_become_a_list() -> None:
    buttons = [{"title": f"Onderwerp {i}", "payload": f"/topic{i}"} for i in range(12)]
    buttons[0]["title"] = "School, studie en stage: alles over leren"
    [body] = build_outbound(USER, "Waar wil je het over hebben?", buttons)
    interactive = body["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == "Kies"
    rows = interactive["action"]["sections"][0]["rows"]
    assert len(rows) == 10
    assert rows[0] == {"id": "/topic0", "title": "School, studie en stage…",
                       "description": "School, studie en stage: alles over leren"}
    assert rows[1] == {"id": "/topic1", "title": "Onderwerp 1"}
    assert validate_message(body) is None


def test_long_payloads_get_a_stable_short_key() -> None:
    payload = '/inform{"onderwerp": "' + "x" * 300 + '"}'
    key = button_key(payload)
    assert key.startswith("k:") and len(key) == 18
    assert key == button_key(payload)
    [body] = build_outbound(USER, "Kies", [{"title": "Dit", "payload": payload}])
    reply_id = body["interactive"]["action"]["buttons"][0]["reply"]["id"]
    assert payload_for_reply(reply_id, [{"title": "Dit", "payload": payload}]) == payload


def test_unknown_reply_ids_map_to_nothing() -> None:
    offered = [{"title": "Ja", "payload": "/affirm"}]
    assert payload_for_reply("/affirm", offered) == "/affirm"
    assert payload_for_reply("/deny", offered) is None
    assert payload_for_reply("/affirm", []) is None


def test_buttons_without_text_get_a_prompt_and_blank_payloads_are_dropped() -> None:
    [body] = build_outbound(USER, "", [{"title": "Ja", "payload": "/affirm"},
                                       {"title": "Leeg", "payload": "  "}])
    assert body["interactive"]["body"]["text"] == "Kies een optie:"
    assert len(body["interactive"]["action"]["buttons"]) == 1


def test_mark_read_body() -> None:
    assert mark_read_body("wamid.X") == {
        "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X",
        "typing_indicator": {"type": "text"}}
    assert "typing_indicator" not in mark_read_body("wamid.X", typing=False)


LONG_TEXT = st.builds(lambda part, times: part * times,
                      st.text(max_size=60), st.integers(min_value=0, max_value=150))
BUTTONS = st.lists(st.fixed_dictionaries({
    "title": st.text(max_size=40),
    "payload": st.text(max_size=40) | st.text(min_size=190, max_size=260),
}), max_size=14)


def non_space(text: str) -> str:
    """The text without whitespace."""
    return "".join(text.split())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200) | LONG_TEXT, BUTTONS)
def test_any_reply_builds_valid_bodies_and_buttons_map_back(
    text: str, buttons: list[dict[str, str]],
) -> None:
    bodies = build_outbound(USER, text, buttons)
    for body in bodies:
        assert validate_message(body) is None, body
    usable = list(dict.fromkeys(b["payload"] for b in buttons if b["payload"].strip()))[:10]
    if not usable:
        assert all(b["type"] == "text" for b in bodies)
        assert non_space("".join(b["text"]["body"] for b in bodies)) == non_space(text)
        return
    last = bodies[-1]["interactive"]
    assert utf16_len(last["body"]["text"]) <= 1024
    if len(usable) <= 3:
        ids = [b["reply"]["id"] for b in last["action"]["buttons"]]
        assert all(utf16_len(b["reply"]["title"]) <= 20 for b in last["action"]["buttons"])
    else:
        rows = last["action"]["sections"][0]["rows"]
        ids = [r["id"] for r in rows]
        assert all(utf16_len(r["title"]) <= 24 for r in rows)
        assert all(utf16_len(r.get("description", "")) <= 72 for r in rows)
    assert all(utf16_len(i) <= 200 for i in ids)
    assert [payload_for_reply(i, buttons) for i in ids] == usable
    if text.strip():
        sent = "".join(b["text"]["body"] for b in bodies[:-1]) + last["body"]["text"]
        assert non_space(sent) == non_space(text)


# --- Error classification ------------------------------------------------------------------


def graph_error_body(code: int) -> dict[str, Any]:
    """A Graph API error body with this code."""
    return {"error": {"message": f"(#{code}) x", "type": "OAuthException", "code": code,
                      "error_data": {"details": "d"}, "fbtrace_id": "Ax"}}


@pytest.mark.parametrize(
    ("code", "status", "retry_after"),
    [(130429, 400, 10.0), (131056, 400, 6.0), (4, 400, 60.0), (80007, 400, 60.0),
     (131048, 400, 3600.0), (1, 500, 30.0), (2, 503, 30.0), (131000, 500, 30.0)],
)
def test_retryable_codes(code: int, status: int, retry_after: float) -> None:
    outcome = classify_error(status, graph_error_body(code))
    assert (outcome.ok, outcome.retryable, outcome.permanent, outcome.code) == (
        False, True, None, code)
    assert outcome.retry_after == retry_after
    assert outcome.detail == f"(#{code}) x — d"


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [(131047, 400, "window_closed"), (131008, 400, "blocked"), (131026, 400, "undeliverable"),
     (190, 401, "token_expired"), (131009, 400, "rejected"), (100, 400, "rejected"),
     (131051, 400, "rejected")],
)
def test_permanent_codes(code: int, status: int, reason: str) -> None:
    outcome = classify_error(status, graph_error_body(code))
    assert (outcome.ok, outcome.retryable, outcome.permanent, outcome.code) == (
        False, False, reason, code)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_without_a_code_are_retryable(status: int) -> None:
    outcome = classify_error(status, "<html>Bad gateway</html>")
    assert outcome.retryable and outcome.code is None and outcome.detail == f"HTTP {status}"


def test_401_without_a_code_means_the_token() -> None:
    assert classify_error(401, {}).permanent == "token_expired"


def test_success() -> None:
    body = {"messaging_product": "whatsapp", "contacts": [{"input": USER, "wa_id": USER}],
            "messages": [{"id": "wamid.OK"}]}
    assert classify_error(200, body) == SendOutcome(
        ok=True, wamid="wamid.OK", code=None, retryable=False, permanent=None)
    assert classify_error(200, {"success": True}).ok


# --- The client against the fake Graph API -------------------------------------------------


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the client under test and the player."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def graph(aiohttp_server: Any) -> tuple[str, Any]:
    """(base URL, state) of a running fake Graph API."""
    app, fake = create_whatsapp_fake(APP_SECRET, ACCESS_TOKEN, PHONE_NUMBER_ID)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/"), fake


def client_for(session: aiohttp.ClientSession, url: str, token: str = ACCESS_TOKEN,
               timeout_s: float = 5.0) -> WhatsAppClient:
    """A WhatsAppClient for the fake."""
    return WhatsAppClient(session, url, token, PHONE_NUMBER_ID, timeout_s)


async def test_send_text_and_buttons(session: aiohttp.ClientSession,
                                     graph: tuple[str, Any]) -> None:
    url, fake = graph
    client = client_for(session, url)
    bodies = build_outbound(USER, "Hoi! Wil je praten?", [{"title": "Ja", "payload": "/affirm"}])
    outcome = await client.send(bodies[0])
    assert outcome.ok and outcome.wamid is not None and outcome.wamid.startswith("wamid.")
    [request] = fake.sent
    assert request.path == f"/{PHONE_NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.json == bodies[0]


async def test_scripted_throughput_limit_then_success(session: aiohttp.ClientSession,
                                                      graph: tuple[str, Any]) -> None:
    url, fake = graph
    fake.fail_next(130429)
    client = client_for(session, url)
    body = build_outbound(USER, "Hoi", [])[0]
    first = await client.send(body)
    assert (first.ok, first.retryable, first.code) == (False, True, 130429)
    second = await client.send(body)
    assert second.ok
    assert len(fake.messages) == 2


async def test_scripted_window_closed_is_permanent(session: aiohttp.ClientSession,
                                                   graph: tuple[str, Any]) -> None:
    url, fake = graph
    fake.fail_next(131047, times=2)
    client = client_for(session, url)
    for _ in range(2):
        outcome = await client.send(build_outbound(USER, "Ben je er nog?", [])[0])
        assert (outcome.retryable, outcome.permanent, outcome.code) == (
            False, "window_closed", 131047)
        assert outcome.detail is not None and "24 hours" in outcome.detail
    assert (await client.send(build_outbound(USER, "Nu wel", [])[0])).ok


async def test_scripted_server_error_is_retryable(session: aiohttp.ClientSession,
                                                  graph: tuple[str, Any]) -> None:
    url, fake = graph
    fake.fail_next(2, http_status=503)
    outcome = await client_for(session, url).send(build_outbound(USER, "Hoi", [])[0])
    assert outcome.retryable and outcome.code == 2


async def test_wrong_token_is_token_expired(session: aiohttp.ClientSession,
                                            graph: tuple[str, Any]) -> None:
    url, _fake = graph
    outcome = await client_for(session, url, token="wrong").send(
        build_outbound(USER, "Hoi", [])[0])
    assert (outcome.permanent, outcome.code) == ("token_expired", 190)


async def test_the_fake_refuses_what_meta_refuses(session: aiohttp.ClientSession,
                                                  graph: tuple[str, Any]) -> None:
    url, _fake = graph
    client = client_for(session, url)
    too_many = build_outbound(USER, "Kies", [{"title": f"T{i}", "payload": f"/p{i}"}
                                             for i in range(3)])[0]
    too_many["interactive"]["action"]["buttons"].append(
        {"type": "reply", "reply": {"id": "/p3", "title": "T3"}})
    long_title = build_outbound(USER, "Kies", [{"title": "Ja", "payload": "/affirm"}])[0]
    long_title["interactive"]["action"]["buttons"][0]["reply"]["title"] = "x" * 21
    long_text = {**build_outbound(USER, "x", [])[0], "text": {"body": "x" * 4097}}
    for body in (too_many, long_title, long_text):
        outcome = await client.send(body)
        assert (outcome.permanent, outcome.code) == ("rejected", 131009)
    missing = await client.send({"to": USER, "type": "text", "text": {"body": "hoi"}})
    assert (missing.permanent, missing.code) == ("rejected", 100)


async def test_mark_read(session: aiohttp.ClientSession, graph: tuple[str, Any]) -> None:
    url, fake = graph
    outcome = await client_for(session, url).mark_read("wamid.IN")
    assert outcome.ok and outcome.wamid is None
    assert fake.messages == [mark_read_body("wamid.IN")]


async def test_unreachable_api_is_retryable(session: aiohttp.ClientSession) -> None:
    client = client_for(session, f"http://127.0.0.1:{free_port()}")
    outcome = await client.send(build_outbound(USER, "Hoi", [])[0])
    assert outcome.retryable and outcome.detail is not None
    assert "network error" in outcome.detail


async def test_slow_api_times_out_as_retryable(session: aiohttp.ClientSession,
                                               aiohttp_server: Any) -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/{phone_number_id}/messages", slow)
    server = await aiohttp_server(app)
    client = client_for(session, str(server.make_url("")).rstrip("/"), timeout_s=0.2)
    outcome = await client.send(build_outbound(USER, "Hoi", [])[0])
    assert outcome.retryable and outcome.detail == "network error: TimeoutError"


async def test_media_lookup_and_download(session: aiohttp.ClientSession,
                                         graph: tuple[str, Any]) -> None:
    url, fake = graph
    fake.add_media("1234", b"\xff\xd8jpeg", "image/jpeg")
    headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    async with session.get(f"{url}/1234", headers=headers) as response:
        info = await response.json()
    assert info["mime_type"] == "image/jpeg" and info["file_size"] == 6
    async with session.get(info["url"], headers=headers) as response:
        assert await response.read() == b"\xff\xd8jpeg"
    async with session.get(f"{url}/999", headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == 100
    async with session.get(f"{url}/1234") as response:
        assert response.status == 401


# --- The webhook player against a gateway-shaped receiver --------------------------------


@pytest.fixture
async def receiver(aiohttp_server: Any) -> tuple[str, list[Any]]:
    """A minimal webhook wired the way the gateway should: verify raw bytes, then parse."""
    received: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        raw = await request.read()
        if not verify_signature(APP_SECRET, raw, request.headers.get(SIGNATURE_HEADER)):
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            received.append(parse_webhook(json.loads(raw)))
        except ValueError as error:  # invalid JSON or WaParseError
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/webhooks/whatsapp/webhook", webhook)
    server = await aiohttp_server(app)
    return str(server.make_url("/webhooks/whatsapp/webhook")), received


async def test_player_deliveries_verify_and_parse(session: aiohttp.ClientSession,
                                                  receiver: tuple[str, list[Any]]) -> None:
    url, received = receiver
    payload = envelope([text_message("Zoë zegt: hé 😀")], contacts=[contact(USER, "Zoë")])
    response = await deliver(session, url, payload, APP_SECRET)
    assert response.status == 200 and await response.json() == {"status": "ok"}
    [(messages, _)] = received
    assert (messages[0].text, messages[0].profile_name) == ("Zoë zegt: hé 😀", "Zoë")


async def test_player_wrong_secret_and_reserialised_body_are_refused(
    session: aiohttp.ClientSession, receiver: tuple[str, list[Any]],
) -> None:
    url, received = receiver
    payload = envelope([text_message("hé")])
    assert (await deliver(session, url, payload, "other_secret")).status == 401
    raw = serialise(payload)
    utf8 = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert (await deliver_raw(session, url, utf8, None, signature=sign(APP_SECRET, raw))
            ).status == 401
    assert (await deliver_raw(session, url, raw, None)).status == 401  # no header at all
    assert received == []


async def test_player_truncated_body_is_signed_but_malformed(
    session: aiohttp.ClientSession, receiver: tuple[str, list[Any]],
) -> None:
    url, received = receiver
    raw = truncate(serialise(envelope([text_message("hoi")])))
    response = await deliver_raw(session, url, raw, APP_SECRET)
    assert response.status == 400
    assert received == []

"""WhatsApp webhooks: the signature (channels.md test vector) and parsing every message type."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.whatsapp_protocol import (
    WaInbound,
    WaParseError,
    parse_webhook,
    verify_challenge,
    verify_signature,
)
from tests.fakes.whatsapp_api import (
    batch,
    contact,
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
    unsupported_message,
)
from tests.fakes.whatsapp_api import (
    button_reply as button_reply_message,
)

APP_SECRET = "test_app_secret"
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

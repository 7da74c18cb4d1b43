"""WhatsApp sending: bodies within the platform limits, button mapping, error classification."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.textsplit import utf16_len
from bot.channels.whatsapp_protocol import (
    SendOutcome,
    build_outbound,
    button_key,
    classify_error,
    mark_read_body,
    payload_for_reply,
)
from tests.fakes.whatsapp_api import (
    validate_message,
)

USER = "447700900123"


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

"""The gateway's own crisis path and the admin review of detections (no Rasa running)."""

from __future__ import annotations

import pytest

from bot.app import ACCOUNTS, init_app
from tests.conftest import free_port, make_settings
from tests.gateway_helpers import REST_WEBHOOK, stored_messages


@pytest.fixture
async def gateway(aiohttp_client, db_url):  # type: ignore[no-untyped-def]
    settings = make_settings(DATABASE_URL=db_url, RASA_URL=f"http://127.0.0.1:{free_port()}",
                             RASA_TIMEOUT_S="1")
    return await aiohttp_client(init_app(settings))


async def test_with_the_bot_down_a_crisis_still_gets_the_numbers_and_an_urgent_handoff(
    gateway, db_url
) -> None:
    response = await gateway.post(REST_WEBHOOK,
                                  json={"sender": "j-1", "message": "ik wil mezelf iets aandoen"})
    assert response.status == 200
    text = "\n".join(r["text"] for r in await response.json())
    assert "0800-0113" in text and "112" in text
    admin = (await gateway.app[ACCOUNTS].add("anna", "admin", "wachtwoord-123")).api_token
    queue = await (await gateway.get("/api/v1/queue",
                                     headers={"Authorization": f"Bearer {admin}"})).json()
    assert [q["priority"] for q in queue["queue"]] == ["urgent"]
    # Answered once: a re-delivery of the same message is not answered again.
    assert [m.sender for m in await stored_messages(db_url)] == ["user", "bot", "bot"]


async def test_admins_review_detections_workers_may_not(gateway) -> None:
    await gateway.post(REST_WEBHOOK,
                       json={"sender": "j-2", "message": "mijn vader slaat me"})
    accounts = gateway.app[ACCOUNTS]
    admin = {"Authorization": "Bearer " + (await accounts.add("anna", "admin", None)).api_token}
    worker = {"Authorization": "Bearer " + (await accounts.add("sam", "worker", None)).api_token}
    url = "/api/v1/admin/safety-detections"
    assert (await gateway.get(url, headers=worker)).status == 403
    detections = (await (await gateway.get(url, headers=admin)).json())["detections"]
    assert [(d["signal"], d["kind"], d["detail"]) for d in detections] == [
        ("pattern", "unsafe", "hit_at_home")]
    assert detections[0]["text"] == "mijn vader slaat me"
    review = f"{url}/{detections[0]['id']}/review"
    assert (await gateway.post(review, json={"verdict": "maybe"}, headers=admin)).status == 400
    assert (await gateway.post(review, json={"verdict": "true_alarm"},
                               headers=admin)).status == 200
    again = (await (await gateway.get(url, headers=admin)).json())["detections"]
    assert again[0]["reviewed"] == "true_alarm"


async def test_an_idiom_is_answered_normally_and_records_nothing(gateway) -> None:
    response = await gateway.post(REST_WEBHOOK,
                                  json={"sender": "j-3", "message": "ik ga dood van het lachen"})
    assert response.status == 503  # no bot here, and no crisis: nothing forced

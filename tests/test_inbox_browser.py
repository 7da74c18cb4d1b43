"""The worker inbox in headless Chromium against the real stack (model, Rasa, actions).

A young person is simulated through the REST channel; the real bot escalates through the
real action server, and the handoff must reach the open inbox live, without a reload.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import WebSocketRoute, expect

from tests.browser import launch_chromium
from tests.gateway_helpers import REST_WEBHOOK, stored_messages
from tests.inbox_page import DESKTOP, PASSWORD, log_in, open_inbox

pytestmark = [pytest.mark.stack, pytest.mark.browser]

ATTACK = '<script>alert(1)</script><img src=x onerror="alert(2)">'
BOT_TIMEOUT_MS = 20_000  # a real model, a real action server


async def young_person_says(gateway: Any, sender: str, text: str) -> list[dict[str, Any]]:
    """A message from a young person on the REST channel; returns the bot's replies."""
    response = await gateway.client.post(REST_WEBHOOK,
                                         json={"sender": sender, "message": text})
    assert response.status == 200, await response.text()
    replies: list[dict[str, Any]] = await response.json()
    return replies


class HeldLiveEvents:
    """Routes the inbox's live websocket to the real server; can hold events back."""

    def __init__(self) -> None:
        self._page_side: list[WebSocketRoute] = []
        self._held: list[str | bytes] = []
        self._holding = False

    def route(self, ws: WebSocketRoute) -> None:
        """Connect the page's socket to the gateway, forwarding (or holding) its events."""
        server = ws.connect_to_server()
        self._page_side.append(ws)

        def from_server(message: str | bytes) -> None:
            if self._holding:
                self._held.append(message)
            else:
                ws.send(message)

        server.on_message(from_server)

    def hold(self) -> None:
        """Keep events from the page until release()."""
        self._holding = True

    def release(self) -> int:
        """Deliver the held events in order to the latest socket; returns how many."""
        self._holding = False
        held, self._held = self._held, []
        for message in held:
            self._page_side[-1].send(message)
        return len(held)


async def test_worker_picks_up_a_live_escalation_replies_and_closes(
        live_gateway: Any, db_url: str) -> None:
    await live_gateway.add_worker("sam", "worker", PASSWORD)
    async with launch_chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))

        await page.goto(live_gateway.url("/inbox"))
        await log_in(page, "sam", "niet-het-wachtwoord")
        await expect(page.get_by_test_id("inbox-login-error")).to_have_text(
            "Naam of wachtwoord klopt niet.")
        await log_in(page, "sam", PASSWORD)
        presence = page.get_by_test_id("inbox-presence")
        await expect(presence).to_have_attribute("aria-checked", "false")
        await expect(page.get_by_test_id("inbox-login-error")).to_be_hidden()
        await presence.click()
        await expect(presence).to_have_attribute("aria-checked", "true")
        await expect(presence).to_have_text("Online")
        await expect(page.locator("body[data-live=open]")).to_be_attached()
        items = page.get_by_test_id("inbox-queue-item")
        await expect(items).to_have_count(0)

        # The inbox is open; only now does the young person ask for a human.
        await young_person_says(live_gateway, "jongere-1", "ik wil met iemand praten")
        await expect(items).to_have_count(1, timeout=BOT_TIMEOUT_MS)
        item = items.first
        await expect(item).to_have_attribute("data-priority", "normal")
        await expect(item).to_contain_text("in de rij")
        await expect(item).to_contain_text("wacht")
        await expect(item).to_contain_text("Jongere: ik wil met iemand praten")  # the summary
        conversation_id = await item.get_attribute("data-conversation-id")
        assert conversation_id

        await item.click()
        transcript = page.get_by_test_id("inbox-transcript")
        from_user = transcript.locator('[data-testid="inbox-message"][data-sender="user"]')
        await expect(from_user).to_have_text(["ik wil met iemand praten"])
        await expect(page.get_by_test_id("inbox-claim")).to_be_visible()

        # Markup from the young person arrives live, as literal text.
        assert await young_person_says(live_gateway, "jongere-1", ATTACK) == []
        await expect(from_user).to_have_text(["ik wil met iemand praten", ATTACK],
                                             timeout=BOT_TIMEOUT_MS)
        assert await page.locator("main img, main script").count() == 0

        await page.get_by_test_id("inbox-claim").click()
        reply = page.get_by_test_id("inbox-reply")
        await expect(reply).to_be_visible()
        await expect(item).to_contain_text("bij jou")
        await reply.fill("Hoi, ik ben Sam.")
        await reply.press("Enter")
        from_worker = transcript.locator('[data-testid="inbox-message"][data-sender="worker"]')
        await expect(from_worker).to_have_text(["Hoi, ik ben Sam."])
        await expect(reply).to_have_value("")

        await page.get_by_test_id("inbox-note").fill("Eerste contact, rustig verlopen.")
        await page.get_by_test_id("inbox-note-send").click()
        await expect(page.locator("#ib-notes")).to_contain_text("Eerste contact, rustig verlopen.")

        await page.get_by_test_id("inbox-close").click()
        await expect(page.get_by_test_id("inbox-error")).to_have_text("Kies eerst een uitkomst.")
        await expect(items).to_have_count(1)
        await page.get_by_test_id("inbox-close-outcome").select_option("afgerond")
        await page.get_by_test_id("inbox-close").click()
        await expect(items).to_have_count(0, timeout=BOT_TIMEOUT_MS)
        await expect(page.locator("#ib-conv-status")).to_contain_text("Afgesloten",
                                                                       timeout=BOT_TIMEOUT_MS)
        await expect(page.get_by_test_id("inbox-error")).to_be_hidden()
        assert dialogs == []

    stored = [m for m in await stored_messages(db_url) if m.conversation_id == conversation_id]
    assert [m.text for m in stored if m.sender == "user"] == ["ik wil met iemand praten", ATTACK]
    assert [m.text for m in stored if m.sender == "worker"] == ["Hoi, ik ben Sam."]
    assert all("Eerste contact" not in m.text for m in stored)  # a note never reaches them
    senders = [m.sender for m in stored]
    assert "bot" in senders[senders.index("worker"):]  # the bot says goodbye after the close


async def test_urgent_escalation_goes_on_top_and_a_lost_claim_is_explained(
        live_gateway: Any) -> None:
    await live_gateway.add_worker("sam", "worker", PASSWORD)
    kim_token = await live_gateway.add_worker("kim", "worker", PASSWORD)
    async with launch_chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        # Live events can be held back, as on a slow connection: then sam's screen still
        # offers "Oppakken" after kim took the conversation, and the server must refuse.
        live = HeldLiveEvents()
        await page.route_web_socket("**/api/v1/live", live.route)
        await open_inbox(page, live_gateway, "sam")
        items = page.get_by_test_id("inbox-queue-item")

        await young_person_says(live_gateway, "jongere-a", "ik wil met iemand praten")
        await expect(items).to_have_count(1, timeout=BOT_TIMEOUT_MS)
        await expect(page).to_have_title("Inbox")
        await young_person_says(live_gateway, "jongere-b", "ik wil zelfmoord plegen")
        await expect(items).to_have_count(2, timeout=BOT_TIMEOUT_MS)
        urgent = items.first
        await expect(urgent).to_have_attribute("data-priority", "urgent")
        await expect(urgent).to_contain_text("URGENT")
        await expect(urgent).to_have_class(re.compile(r"\bib-item--alert\b"))  # highlighted
        await expect(items.nth(1)).to_have_attribute("data-priority", "normal")
        await expect(page).to_have_title("(1) Inbox")
        urgent_id = await urgent.get_attribute("data-conversation-id")

        await urgent.click()
        claim = page.get_by_test_id("inbox-claim")
        await expect(claim).to_be_visible()

        live.hold()
        taken = await live_gateway.client.post(
            f"/api/v1/conversations/{urgent_id}/claim",
            headers={"Authorization": f"Bearer {kim_token}"})
        assert taken.status == 200, await taken.text()
        await claim.click()
        await expect(page.get_by_test_id("inbox-error")).to_contain_text(
            "iemand anders heeft dit gesprek al")
        await expect(page.locator("#ib-conv-status")).to_contain_text("Bij kim")
        await expect(claim).to_be_hidden()
        await expect(page.get_by_test_id("inbox-reply")).to_be_hidden()

        # The held "kim has it" event arrives after all: the queue catches up.
        assert live.release() >= 1
        await expect(urgent).to_contain_text("bij kim")
        await expect(page).to_have_title("Inbox")

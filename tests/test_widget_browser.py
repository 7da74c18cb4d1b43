"""The web chat widget in headless Chromium against the real stack (model, Rasa, actions)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from bot.app import init_app
from tests.browser import launch_chromium
from tests.gateway_helpers import stored_messages

pytestmark = [pytest.mark.stack, pytest.mark.browser]


@pytest.fixture
async def page_url(aiohttp_client, stack, db_url):  # type: ignore[no-untyped-def]
    """URL of the demo page of a gateway wired to the real stack."""
    client = await aiohttp_client(init_app(stack.gateway_settings(db_url)))
    return str(client.make_url("/"))


async def open_widget(page: Page, url: str) -> None:
    await page.goto(url)
    await page.get_by_test_id("broekzak-launcher").click()
    await expect(page.get_by_test_id("broekzak-panel")).to_be_visible()


async def send(page: Page, text: str) -> None:
    await page.get_by_test_id("broekzak-input").fill(text)
    await page.get_by_test_id("broekzak-input").press("Enter")


async def test_hoi_then_a_button_in_a_real_browser(page_url: str, db_url: str) -> None:
    async with launch_chromium() as browser:
        page = await browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        await open_widget(page, page_url)
        await send(page, "hoi")
        bot = page.locator('[data-testid="broekzak-message"][data-sender="bot"]')
        await expect(bot.first).to_contain_text("bot", timeout=20_000)
        buttons = page.get_by_test_id("broekzak-button")
        await expect(buttons.filter(has_text="Hoe werkt dit?")).to_be_visible()
        await buttons.filter(has_text="Hoe werkt dit?").click()
        user = page.locator('[data-testid="broekzak-message"][data-sender="user"]')
        await expect(user.last).to_have_text("Hoe werkt dit?")
        await expect(bot.last).to_contain_text("hulpverlener", timeout=20_000)
        # A reload continues the same conversation.
        await page.reload()
        await page.get_by_test_id("broekzak-launcher").click()
        await expect(user.first).to_have_text("hoi", timeout=10_000)
        assert dialogs == []
    stored = await stored_messages(db_url)
    assert [m.text for m in stored if m.sender == "user"] == ["hoi", "Hoe werkt dit?"]
    assert stored[-1].sender == "bot"


async def test_markup_from_the_young_person_is_shown_as_text(page_url: str) -> None:
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    async with launch_chromium() as browser:
        page = await browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        await open_widget(page, page_url)
        await send(page, attack)
        user = page.locator('[data-testid="broekzak-message"][data-sender="user"]')
        await expect(user.first).to_have_text(attack)
        bot = page.locator('[data-testid="broekzak-message"][data-sender="bot"]')
        await expect(bot.first).to_be_visible(timeout=20_000)
        assert await page.locator("[data-testid=broekzak-panel] img").count() == 0
        assert dialogs == []

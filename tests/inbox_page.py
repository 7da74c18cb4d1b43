"""Driving the worker inbox in a browser: shared by the inbox and channel browser tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from playwright.async_api import Page, ViewportSize, expect

from tests.browser import launch_chromium

PASSWORD = "wachtwoord-123"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


async def log_in(page: Page, name: str, password: str) -> None:
    """Fill in and submit the login form."""
    await page.get_by_test_id("inbox-login-name").fill(name)
    await page.get_by_test_id("inbox-login-password").fill(password)
    await page.get_by_test_id("inbox-login-submit").click()


async def open_inbox(page: Page, gateway: Any, name: str) -> None:
    """Log in and wait until live events flow (so nothing below can arrive before)."""
    await page.goto(gateway.url("/inbox"))
    await log_in(page, name, PASSWORD)
    await expect(page.get_by_test_id("inbox-presence")).to_be_visible()
    await expect(page.locator("body[data-live=open]")).to_be_attached()


@asynccontextmanager
async def beheer(gateway: Any) -> AsyncIterator[Page]:
    """A desktop browser page with admin anna logged in, on Beheer."""
    await gateway.add_worker("anna", "admin", PASSWORD)
    async with launch_chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        await open_inbox(page, gateway, "anna")
        await page.get_by_test_id("inbox-admin-link").click()
        yield page

"""The inbox's admin view (#beheer) in headless Chromium: crisis detections reviewed, a
young person's conversation erased, what the bot did not understand labelled, accounts,
figures and the service rules (opening hours, holidays, retention), against the real
gateway and database.

Rasa is not needed: the detections, conversations and NLU inbox are stored as the gateway
stores them, and erasure reports that the bot was unreachable.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.app import LIVE, init_app
from bot.config import DEFAULTS
from bot.store.models import (
    AuditEntry,
    Conversation,
    HandoffStatus,
    NluReviewItem,
    Priority,
    SafetyDetection,
    ServiceSetting,
    utcnow,
)
from tests.browser import launch_chromium
from tests.conftest import LiveGateway, free_port, make_settings
from tests.figures_seed import local_noon, seed_day
from tests.inbox_page import DESKTOP, PASSWORD, beheer, log_in, open_inbox
from tests.nlu_review_seed import seed_review_items
from tests.privacy_seed import seed_conversation

pytestmark = pytest.mark.browser

ATTACK = '<img src=x onerror="alert(1)">ik wil niet meer leven'


@pytest.fixture
async def gateway(aiohttp_client, db_url):  # type: ignore[no-untyped-def]
    settings = make_settings(DATABASE_URL=db_url, RASA_URL=f"http://127.0.0.1:{free_port()}",
                             RASA_TIMEOUT_S="1")
    client = await aiohttp_client(init_app(settings))
    return LiveGateway(client, settings, db_url)


async def verdicts(sessions: sessionmaker) -> dict[str, str | None]:
    async with sessions() as session:
        rows = (await session.execute(select(SafetyDetection.conversation_id,
                                             SafetyDetection.reviewed))).all()
    return {conversation_id: reviewed for conversation_id, reviewed in rows}


async def test_an_admin_reviews_detections_and_erases_a_conversation(
        gateway: Any, sessions: sessionmaker) -> None:
    await gateway.add_worker("anna", "admin", PASSWORD)
    await gateway.add_worker("sam", "worker", PASSWORD)
    alarm = await seed_conversation(sessions, "31600000011", utcnow(), text=ATTACK)
    in_queue = await seed_conversation(sessions, "31600000012", utcnow(), HandoffStatus.QUEUED,
                                       text="ik slaap vannacht op straat")
    async with launch_chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))

        await open_inbox(page, gateway, "sam")
        await expect(page.get_by_test_id("inbox-admin-link")).to_be_hidden()
        await page.get_by_test_id("inbox-logout").click()
        await expect(page.get_by_test_id("inbox-login-name")).to_be_visible()  # logged out

        await log_in(page, "anna", PASSWORD)
        await page.get_by_test_id("inbox-admin-link").click()
        detections = page.get_by_test_id("inbox-detections").locator("li")
        await expect(detections).to_have_count(2)
        alarm_item = detections.filter(has_text=alarm)
        # The young person's words, markup and all, as text.
        await expect(alarm_item.locator("blockquote")).to_have_text(ATTACK)
        assert await page.locator("img").count() == 0

        await alarm_item.get_by_role("button", name="Vals alarm").click()
        await expect(alarm_item).to_contain_text("Beoordeeld: vals alarm")
        assert (await verdicts(sessions))[alarm] == "false_alarm"

        await page.get_by_test_id("inbox-erase-id").fill(alarm)
        await page.get_by_test_id("inbox-erase").click()
        result = page.get_by_test_id("inbox-erase-result")
        await expect(result).to_contain_text("Vink eerst aan")
        await page.get_by_test_id("inbox-erase-sure").check()
        await page.get_by_test_id("inbox-erase").click()
        await expect(result).to_contain_text(f"Gesprek {alarm} is gewist")
        await expect(result).to_contain_text("De bot was niet bereikbaar")
        await expect(detections).to_have_count(1)  # its detection went with it

        await page.get_by_test_id("inbox-erase-id").fill(in_queue)
        await page.get_by_test_id("inbox-erase-sure").check()
        await page.get_by_test_id("inbox-erase").click()
        await expect(result).to_contain_text("Sluit het eerst af")

        await page.get_by_test_id("inbox-admin-back").click()
        await expect(page.get_by_test_id("inbox-queue")).to_be_visible()
        assert dialogs == []
    async with sessions() as session:
        left = set((await session.execute(select(Conversation.id))).scalars())
    assert left == {in_queue}
    assert set(await verdicts(sessions)) == {in_queue}


async def test_an_admin_labels_what_the_bot_did_not_understand(
        gateway: Any, sessions: sessionmaker) -> None:
    nlu_attack = '<img src=x onerror="alert(1)">wat is dit dan'
    _, (attack, parents, noise) = await seed_review_items(
        sessions, "jongere-nlu", [nlu_attack, "ik ben Sanne, bel 0612345678, mn ouders", "asdf"])
    async with beheer(gateway) as page:
        items = page.get_by_test_id("inbox-nlu-items").locator("li")
        await expect(items).to_have_count(3)
        await expect(page.get_by_test_id("inbox-nlu-open")).to_have_text("Te doen (3)")
        # The young person's words, markup and all, as the text to edit.
        attack_item = page.locator(f'li[data-item="{attack}"]')
        await expect(attack_item.get_by_test_id("inbox-nlu-text")).to_have_value(nlu_attack)
        await expect(attack_item).to_contain_text("niet begrepen")
        assert await page.locator("img").count() == 0

        item = page.locator(f'li[data-item="{parents}"]')
        await expect(item).to_contain_text("getwijfeld · gok van de bot: thuis (topic_home)")
        await item.get_by_test_id("inbox-nlu-intent").select_option("topic_home")
        await item.get_by_test_id("inbox-nlu-save").click()
        await expect(item.get_by_role("status")).to_contain_text("Niet opgeslagen")
        await expect(item.get_by_role("status")).to_contain_text("phone number")
        await item.get_by_test_id("inbox-nlu-text").fill("mn ouders doen zo raar")
        await item.get_by_test_id("inbox-nlu-save").click()
        await expect(items).to_have_count(2)

        await page.locator(f'li[data-item="{noise}"]').get_by_test_id("inbox-nlu-ignore").click()
        await expect(items).to_have_count(1)
        await expect(page.get_by_test_id("inbox-nlu-labelled")).to_have_text("Voorbeelden (1)")
        await expect(page.get_by_test_id("inbox-nlu-ignored")).to_have_text("Genegeerd (1)")

        await page.get_by_test_id("inbox-nlu-labelled").click()
        await expect(items).to_have_count(1)
        await expect(items.first).to_contain_text("mn ouders doen zo raar")
        await expect(items.first).to_contain_text("thuis (topic_home)")
        href = await page.get_by_test_id("inbox-nlu-export").get_attribute("href")
        export = await page.request.get(gateway.url(str(href)))
        assert export.status == 200
        text = await export.text()
        assert "- intent: topic_home" in text and "- mn ouders doen zo raar" in text
        assert "0612345678" not in text and "Sanne" not in text
    async with sessions() as session:
        example = await session.get(NluReviewItem, parents)
    assert (example.intent, example.example_text) == ("topic_home", "mn ouders doen zo raar")


async def test_an_admin_adds_an_account_and_deactivates_it_when_they_leave(gateway: Any) -> None:
    async with beheer(gateway) as page:
        accounts = page.get_by_test_id("inbox-accounts").locator("li")
        await expect(accounts).to_have_count(1)
        await expect(accounts.first).to_contain_text("anna (jij)")
        await expect(accounts.first.locator("button")).to_have_count(0)  # not yourself

        await page.get_by_test_id("inbox-account-name").fill("kim")
        await page.get_by_test_id("inbox-account-team").fill("nacht")
        await page.get_by_test_id("inbox-account-password").fill("kort")
        await page.get_by_test_id("inbox-account-add").click()
        result = page.get_by_test_id("inbox-account-result")
        await expect(result).to_contain_text("Niet gemaakt")
        await page.get_by_test_id("inbox-account-password").fill(PASSWORD)
        await page.get_by_test_id("inbox-account-add").click()
        await expect(result).to_contain_text("Account kim is gemaakt")
        token = await page.get_by_test_id("inbox-account-token").text_content()
        assert token and token.startswith("bzk_")
        kim = page.locator('li[data-account="kim"]')
        await expect(kim).to_contain_text("hulpverlener · team nacht · offline")
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await gateway.client.get("/api/v1/me", headers=bearer)).status == 200

        await kim.get_by_test_id("inbox-account-deactivate").click()
        await expect(kim.get_by_test_id("inbox-account-deactivate")).to_have_text(
            "Echt kim deactiveren?")
        assert (await gateway.client.get("/api/v1/me", headers=bearer)).status == 200
        await kim.get_by_test_id("inbox-account-deactivate").click()
        await expect(result).to_contain_text("kim kan niet meer inloggen")
        await expect(kim).to_have_attribute("data-active", "false")
        await expect(kim).to_contain_text("gedeactiveerd")
        assert (await gateway.client.get("/api/v1/me", headers=bearer)).status == 401

        await kim.get_by_test_id("inbox-account-activate").click()
        await expect(kim).to_have_attribute("data-active", "true")
        assert (await gateway.client.get("/api/v1/me", headers=bearer)).status == 200


async def test_an_admin_gives_a_new_password_and_a_new_api_token(gateway: Any) -> None:
    old_token = await gateway.add_worker("kim", "worker", PASSWORD)
    async with beheer(gateway) as page:
        kim = page.locator('li[data-account="kim"]')
        result = page.get_by_test_id("inbox-account-result")
        await kim.get_by_test_id("inbox-account-password-open").click()
        await kim.get_by_test_id("inbox-account-new-password").fill("een-nieuw-wachtwoord")
        await kim.get_by_test_id("inbox-account-password-save").click()
        await expect(result).to_contain_text("kim heeft een nieuw wachtwoord")
        await expect(kim.locator("form")).to_have_count(0)
        assert (await gateway.client.post("/inbox/login", json={
            "name": "kim", "password": "een-nieuw-wachtwoord"})).status == 200

        await kim.get_by_test_id("inbox-account-token-new").click()
        await kim.get_by_test_id("inbox-account-token-new").click()  # asked twice
        await expect(result).to_contain_text("Nieuwe API-sleutel van kim")
        token = await page.get_by_test_id("inbox-account-token").text_content()
        assert token and token.startswith("bzk_") and token != old_token
        for bearer, status in ((old_token, 401), (token, 200)):
            response = await gateway.client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {bearer}"})
            assert response.status == status


async def test_an_admin_sees_how_the_service_is_doing_as_figures_and_charts(
        gateway: Any, sessions: sessionmaker) -> None:
    await seed_day(sessions, "gisteren", local_noon(1), ["greet", "nlu_fallback", "greet"],
                   [(240, Priority.URGENT, "goed")])
    await seed_day(sessions, "lang-geleden", local_noon(20), ["topic_money"], [])
    async with beheer(gateway) as page:
        tiles = page.get_by_test_id("inbox-stats-tiles")
        await expect(tiles.locator('[data-stat="messages"]')).to_contain_text("3")
        await expect(tiles.locator('[data-stat="escalations"]')).to_contain_text("waarvan 1 urgent")
        await expect(tiles.locator('[data-stat="wait"]')).to_contain_text("4 min")
        await expect(tiles.locator('[data-stat="fallback"]')).to_contain_text("33%")
        stats = page.get_by_test_id("inbox-stats")
        # One bar per day of the period, each with its value as a tooltip.
        messages_chart = stats.locator("figure").filter(has_text="Berichten per dag")
        await expect(messages_chart.locator("rect")).to_have_count(14)
        assert "3" in str(await messages_chart.locator("svg").get_attribute("aria-label"))
        intents = stats.locator("figure").filter(has_text="Waar jongeren mee komen")
        await expect(intents.locator("li").first).to_contain_text("groet")
        await expect(intents.locator("li").first).to_contain_text("2")
        await expect(stats.locator("figure").filter(has_text="Hoe vonden")).to_contain_text(
            "goed")

        await page.get_by_test_id("inbox-stats-days").select_option("30")
        await expect(tiles.locator('[data-stat="messages"]')).to_contain_text("4")
        await expect(messages_chart.locator("rect")).to_have_count(30)


async def test_an_admin_sets_the_opening_hours_holidays_and_retention(
        gateway: Any, sessions: sessionmaker) -> None:
    async with beheer(gateway) as page:
        hours = page.get_by_test_id("inbox-service-hours")
        holidays = page.get_by_test_id("inbox-service-holidays")
        result = page.get_by_test_id("inbox-service-result")
        await expect(hours).to_have_value(DEFAULTS["OPENING_HOURS"])
        await expect(page.get_by_test_id("inbox-service-retention")).to_have_value("90")
        await expect(result).to_contain_text("waarden uit de configuratie")

        await holidays.fill("eerste kerstdag")
        await page.get_by_test_id("inbox-service-save").click()
        await expect(result).to_contain_text("De feestdagen kloppen niet")
        await expect(result).to_contain_text("Er is niets opgeslagen")
        await expect(holidays).to_have_attribute("aria-invalid", "true")
        await expect(holidays).to_be_focused()
        async with sessions() as session:
            assert (await session.execute(select(ServiceSetting))).first() is None

        await holidays.fill("2026-12-25; 2026-12-31 14:00-17:00")
        await hours.fill("ma-vr 10:00-16:00; za 12:00-14:00")
        await page.get_by_test_id("inbox-service-oncall").fill("https://piket.example.org/spoed")
        await page.get_by_test_id("inbox-service-retention").fill("30")
        await page.get_by_test_id("inbox-service-save").click()
        await expect(result).to_contain_text("Opgeslagen")
        await expect(result).to_contain_text("Laatst gewijzigd door anna")
        await expect(holidays).not_to_have_attribute("aria-invalid", "true")

        public = await (await gateway.client.get("/api/v1/hours")).json()
        assert public["opening_hours"] == "ma-vr 10:00-16:00; za 12:00-14:00"
        assert public["week"][5] == "zaterdag: 12:00–14:00"
        assert gateway.app[LIVE].current.retention_days == 30.0
        await page.reload()
        await expect(hours).to_have_value("ma-vr 10:00-16:00; za 12:00-14:00")
        await expect(page.get_by_test_id("inbox-service-oncall")).to_have_value(
            "https://piket.example.org/spoed")


async def test_an_admin_reads_the_audit_log_of_one_conversation_and_one_worker(
        gateway: Any, sessions: sessionmaker) -> None:
    sam = await gateway.add_worker("sam", "worker", PASSWORD)
    await gateway.add_worker("kim", "worker", PASSWORD)
    conversation = await seed_conversation(sessions, "31600000021", utcnow(),
                                           HandoffStatus.QUEUED, text="mijn geheim")
    assert (await gateway.client.post(f"/api/v1/conversations/{conversation}/claim", headers={
        "Authorization": f"Bearer {sam}"})).status == 200
    async with sessions() as session, session.begin():
        session.add(AuditEntry(action="erase", conversation_id=ATTACK[:30]))
    async with beheer(gateway) as page:
        kim = page.locator('li[data-account="kim"]')
        await kim.get_by_test_id("inbox-account-token-new").click()
        await kim.get_by_test_id("inbox-account-token-new").click()  # asked twice
        await expect(page.get_by_test_id("inbox-account-result")).to_contain_text(
            "Nieuwe API-sleutel van kim")
        log = page.get_by_test_id("inbox-audit").locator("li")
        await expect(log.first).to_be_visible()
        await expect(page.get_by_test_id("inbox-audit")).to_contain_text("de opdrachtregel wiste")
        await expect(page.get_by_test_id("inbox-audit").locator("img")).to_have_count(0)
        assert "mijn geheim" not in await page.get_by_test_id("inbox-audit").inner_html()

        await page.get_by_test_id("inbox-audit-conversation").fill(conversation)
        await page.get_by_test_id("inbox-audit-search").click()
        # The claim, and the reading privacy_seed stores with every conversation.
        await expect(log).to_have_count(2)
        await expect(log.first).to_contain_text("sam pakte het gesprek op")
        for entry in await log.all():
            await expect(entry).to_contain_text(conversation)

        await page.get_by_test_id("inbox-audit-conversation").fill("")
        await page.get_by_test_id("inbox-audit-worker").fill("kim")
        await page.get_by_test_id("inbox-audit-search").click()
        await expect(log).to_have_count(1)
        await expect(log.first).to_contain_text("anna gaf een nieuwe API-sleutel · account kim")
        await page.get_by_test_id("inbox-audit-worker").fill("niemand")
        await page.get_by_test_id("inbox-audit-search").click()
        await expect(page.get_by_test_id("inbox-audit-empty")).to_be_visible()


async def test_an_admin_moves_someone_to_another_team_and_role(gateway: Any) -> None:
    token = await gateway.add_worker("kim", "worker", PASSWORD)
    async with beheer(gateway) as page:
        kim = page.locator('li[data-account="kim"]')
        await expect(kim).to_contain_text("hulpverlener · offline")
        await kim.get_by_test_id("inbox-account-role-open").click()
        await kim.get_by_test_id("inbox-account-new-role").select_option("admin")
        await kim.get_by_test_id("inbox-account-new-team").fill("weekend")
        await kim.get_by_test_id("inbox-account-role-save").click()
        await expect(page.get_by_test_id("inbox-account-result")).to_contain_text(
            "De rol en het team van kim zijn aangepast")
        await expect(kim).to_contain_text("beheerder · team weekend · offline")
        response = await gateway.client.get("/api/v1/admin/workers", headers={
            "Authorization": f"Bearer {token}"})
        assert response.status == 200  # kim is an admin now

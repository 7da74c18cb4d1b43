"""The admins' figures (GET /api/v1/admin/stats, bot/inbox/stats.py) on a real database:
counted per local day, only the period asked, never a message's text."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy.orm import sessionmaker

from bot.store.models import Priority
from tests.figures_seed import ZONE, local_noon, seed_day
from tests.gateway_helpers import worker

STATS = "/api/v1/admin/stats"


@pytest.fixture
def gateway(botless_gateway):  # type: ignore[no-untyped-def]
    return botless_gateway


async def test_the_figures_count_each_local_day_and_leave_out_older_ones(
        gateway, sessions: sessionmaker) -> None:  # type: ignore[no-untyped-def]
    await seed_day(sessions, "gisteren", local_noon(1), ["greet", "nlu_fallback", None],
                   [(240, Priority.URGENT, "goed")])
    await seed_day(sessions, "vandaag", local_noon(0), ["greet", "topic_home"],
                   [(60, Priority.NORMAL, None), (None, Priority.NORMAL, None)])
    await seed_day(sessions, "lang-geleden", local_noon(20), ["ask_cost"],
                   [(30, Priority.NORMAL, "niet_goed")])
    admin = await worker(gateway, "anna", "admin")

    response = await gateway.get(STATS, headers=admin)

    assert response.status == 200
    figures = await response.json()
    days = figures["days"]
    assert len(days) == 14
    assert days[-1]["date"] == datetime.now(ZONE).date().isoformat()
    assert date.fromisoformat(figures["from"]) == date.fromisoformat(figures["to"]) - timedelta(13)
    yesterday, today = days[-2], days[-1]
    assert (yesterday["conversations"], yesterday["messages"], yesterday["escalations"],
            yesterday["urgent"], yesterday["median_wait_seconds"]) == (1, 3, 1, 1, 240)
    assert yesterday["fallback_rate"] == 0.5  # 1 of the 2 messages the bot read
    assert (today["conversations"], today["messages"], today["escalations"], today["urgent"],
            today["median_wait_seconds"], today["fallback_rate"]) == (1, 2, 2, 0, 60, 0.0)
    assert all(d["messages"] == 0 and d["fallback_rate"] is None for d in days[:-2])
    assert figures["totals"] == {
        "conversations": 2, "messages": 5, "escalations": 3, "urgent": 1,
        "median_wait_seconds": 150, "fallback_rate": 0.25}
    assert figures["top_intents"][0] == {"intent": "greet", "count": 2}
    assert {i["intent"] for i in figures["top_intents"]} == {"greet", "nlu_fallback",
                                                             "topic_home"}
    assert figures["feedback"] == {"goed": 1, "gaat_wel": 0, "niet_goed": 0}
    assert "geheim-woord" not in await response.text()

    month = await (await gateway.get(STATS + "?days=30", headers=admin)).json()
    assert month["totals"]["messages"] == 6 and month["feedback"]["niet_goed"] == 1


async def test_the_figures_are_for_admins_and_a_bad_period_is_refused(gateway) -> None:  # type: ignore[no-untyped-def]
    admin, sam = await worker(gateway, "anna", "admin"), await worker(gateway, "sam")
    assert (await gateway.get(STATS, headers=sam)).status == 403
    for days in ("0", "91", "veel", "1.5"):
        response = await gateway.get(f"{STATS}?days={days}", headers=admin)
        assert response.status == 400, days
    empty = await (await gateway.get(STATS + "?days=1", headers=admin)).json()
    assert len(empty["days"]) == 1 and empty["totals"]["median_wait_seconds"] is None


async def test_a_message_just_after_local_midnight_counts_for_that_day(
        gateway, sessions: sessionmaker) -> None:  # type: ignore[no-untyped-def]
    # 00:30 in Amsterdam is still the day before in UTC, as the store writes it.
    today = datetime.now(ZONE).date()
    just_after = datetime.combine(today, time(0, 30), ZONE).astimezone(timezone.utc)
    assert just_after.date() < today
    await seed_day(sessions, "nachtbraker", just_after, ["greet"], [])
    admin = await worker(gateway, "anna", "admin")
    figures = await (await gateway.get(STATS + "?days=1", headers=admin)).json()
    assert figures["days"][0]["messages"] == 1 and figures["totals"]["conversations"] == 1

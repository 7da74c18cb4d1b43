"""Several gateway processes share one outbox table; none may send a request twice."""

from __future__ import annotations

from tests.outbox_race import handoff_checks_taken, posts_per_notification, sends_per_request


async def test_outbox_requests_go_out_once_with_several_processes_on_sqlite(
        db_url: str) -> None:
    sent = await sends_per_request(db_url)
    assert sent == {f"m{i}": 1 for i in range(6)}


async def test_worker_notifications_posted_once_with_several_processes_on_sqlite(
        db_url: str) -> None:
    received = await posts_per_notification(db_url)
    assert received == {f"n{i}": 1 for i in range(4)}


async def test_waiting_notice_and_renotification_taken_once_with_several_processes_on_sqlite(
        db_url: str) -> None:
    assert await handoff_checks_taken(db_url) == (1, 1)

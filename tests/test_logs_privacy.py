"""What a young person writes is personal data: it reaches no log — not the gateway's, not
Rasa's, not the action server's — on the everyday path, the crisis path and a handoff."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.logs import DATA_ECHOING_LOGGERS, child_log_level, hold_data_echoing_loggers
from bot.store.db import create_engine
from tests.gateway_helpers import say_over_rest

pytestmark = pytest.mark.stack


@pytest.fixture
def gateway_logging() -> Iterator[None]:
    """The gateway's logging as `python -m bot` sets it up at LOG_LEVEL=DEBUG (the levels of
    the data-echoing libraries are put back afterwards)."""
    loggers = [logging.getLogger(name) for name in DATA_ECHOING_LOGGERS]
    before = [logger.level for logger in loggers]
    hold_data_echoing_loggers("DEBUG")
    yield
    for logger, level in zip(loggers, before, strict=True):
        logger.setLevel(level)


def test_the_children_never_log_below_info_and_the_database_below_warning(
    gateway_logging: None,
) -> None:
    assert [child_log_level(level) for level in ("debug", "INFO", "WARNING", "ERROR")] == [
        "INFO", "INFO", "WARNING", "ERROR"]
    assert all(logging.getLogger(name).getEffectiveLevel() == logging.WARNING
               for name in DATA_ECHOING_LOGGERS)
    assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
    with pytest.raises(ValueError, match="unknown log level"):
        child_log_level("loud")


async def test_what_a_young_person_writes_reaches_no_log(
    live_gateway: Any, stack: Any, gateway_logging: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Everything else at DEBUG: the gateway's own code logs no message text at any level.
    caplog.set_level(logging.DEBUG)
    # A word no log line could hold by chance, in a greeting, a question, a request for a
    # worker (the action server escalates to the gateway) and a crisis (the guard, the
    # safety net and the urgent escalation).
    marker = f"geheimwoord{uuid.uuid4().hex[:10]}"
    sender = f"j-{uuid.uuid4()}"
    for message in (f"hoi {marker}", f"is dit anoniem {marker}",
                    f"ik wil met iemand praten over {marker}",
                    f"ik wil niet meer leven {marker}"):
        assert await say_over_rest(live_gateway.client, sender, message)
    children = stack.log_path.read_text(errors="replace")
    # The capture works (Rasa and the action server announce themselves on start) ...
    assert "action" in children.lower() and "rasa" in children.lower()
    # ... and the gateway logged its own work during the chat.
    assert caplog.records
    assert marker not in children
    assert marker not in caplog.text
    # The children had LOG_LEVEL=DEBUG in their environment and logged at INFO.
    assert " DEBUG " not in children
    # Not even in the form the safety net and the model see (lower case, no spaces).
    assert marker.lower() not in (children + caplog.text).lower().replace(" ", "")


async def test_a_database_error_does_not_carry_the_message_text(db_url: str) -> None:
    # A failing statement's error names its SQL; with parameters shown it would also quote
    # the text being stored, and that error ends up in a logged traceback.
    marker = f"geheimwoord{uuid.uuid4().hex[:10]}"
    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            with pytest.raises(DBAPIError) as caught:
                await connection.execute(text("INSERT INTO no_such_table (text) VALUES (:text)"),
                                         {"text": marker})
    finally:
        await engine.dispose()
    assert "no_such_table" in str(caught.value)
    assert marker not in str(caught.value)

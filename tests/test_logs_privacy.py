"""What a young person writes is personal data: it reaches no log — not the gateway's, not
Rasa's, not the action server's — on the everyday path, the crisis path and a handoff."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from bot.logs import DATA_ECHOING_LOGGERS, child_log_level, hold_data_echoing_loggers
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
    for text in (f"hoi {marker}", f"is dit anoniem {marker}",
                 f"ik wil met iemand praten over {marker}",
                 f"ik wil niet meer leven {marker}"):
        assert await say_over_rest(live_gateway.client, sender, text)
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

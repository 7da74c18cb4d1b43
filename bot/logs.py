"""Logging for the gateway and its child processes, at any level without personal data.

What a young person writes must never reach a log, and LOG_LEVEL=DEBUG is what an admin sets
when something is wrong — exactly when it must still hold. Our own code logs ids and counts,
never text. Some libraries do log data: SQLAlchemy's engine logs every statement with its
parameters (a stored message's text) at INFO, aiosqlite and asyncpg at DEBUG; Rasa and the
action SDK at DEBUG log every parsed message ("parse_data_text=…"). So the database
libraries are held at WARNING in our processes (SQLAlchemy's own default), and Rasa and the
action server never run below INFO, whatever LOG_LEVEL asks; the rest follows LOG_LEVEL.
"""

from __future__ import annotations

import logging

# Database libraries whose INFO or DEBUG output carries the parameters of every statement.
DATA_ECHOING_LOGGERS: tuple[str, ...] = ("sqlalchemy", "aiosqlite", "asyncpg")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def at_least(level: str, floor: int) -> str:
    """`level`, or the floor's name where `level` is more verbose than the floor."""
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}")
    return logging.getLevelName(max(number, floor))


def child_log_level(level: str) -> str:
    """LOG_LEVEL for Rasa and the action server: at DEBUG they log message text."""
    return at_least(level, logging.INFO)


def hold_data_echoing_loggers(level: str) -> None:
    """Keep the database libraries at WARNING or above: below it they log statement
    parameters, among them what young people write."""
    for name in DATA_ECHOING_LOGGERS:
        logging.getLogger(name).setLevel(at_least(level, logging.WARNING))


def configure_logging(level: str) -> None:
    """Log at `level` to stderr, with the data-echoing libraries held at WARNING or above."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT)
    hold_data_echoing_loggers(level)

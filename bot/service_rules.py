"""Service rules an admin sets in Beheer → Dienst: the opening hours, holidays, the on-call
webhook for urgent escalations out of hours, and how long transcripts are kept.

.env gives the starting values; what an admin saves is stored in the database and wins over
them. Every gateway process holds the rules in a :class:`LiveSettings` and reads them again
every :data:`REFRESH_INTERVAL_S` (the process that saved them at once), so a change reaches
every process within that time without a restart. The action server asks the gateway for the
hours it tells young people (``GET /api/v1/hours``, actions/hours.py).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql.dml import Insert

from bot.config import ConfigError, Settings, WeeklyHours, parse_exceptions, parse_opening_hours
from bot.store.models import AuditEntry, ServiceSetting, Worker, utcnow

log = logging.getLogger(__name__)

RULE_NAMES = ("opening_hours", "holidays", "oncall_webhook_url", "retention_days")
REFRESH_INTERVAL_S = 30.0
MAX_RETENTION_DAYS = 3650.0
MAX_RULE_CHARS = 2000


class InvalidRule(ValueError):
    """A rule an admin entered cannot be used; `field` names it for the form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ServiceRules:
    """The four rules, as an admin writes them (OPENING_HOURS' and HOLIDAYS' notation)."""

    opening_hours: str
    holidays: str
    oncall_webhook_url: str
    retention_days: float

    @classmethod
    def of(cls, settings: Settings) -> ServiceRules:
        """The rules `settings` hold (from .env, or already with an admin's rules)."""
        return cls(settings.opening_hours_spec, settings.holidays_spec,
                   settings.oncall_webhook_url, settings.retention_days)

    def as_json(self) -> dict[str, Any]:
        """The rules as the API shows them."""
        return {"opening_hours": self.opening_hours, "holidays": self.holidays,
                "oncall_webhook_url": self.oncall_webhook_url,
                "retention_days": self.retention_days}

    def hours(self) -> WeeklyHours:
        """The opening hours with the holidays applied (the rules are valid: read_rules)."""
        return parse_exceptions(self.holidays, parse_opening_hours(self.opening_hours))


def read_rules(values: Mapping[str, Any]) -> ServiceRules:
    """The four rules from an admin's form, all required; InvalidRule names the first bad one."""
    unknown = sorted(set(values) - set(RULE_NAMES))
    if unknown:
        raise InvalidRule(unknown[0], f"unknown field '{unknown[0]}'; the fields are "
                                      f"{', '.join(RULE_NAMES)}")
    for name in RULE_NAMES:
        if name not in values:
            raise InvalidRule(name, f"field '{name}' is missing (send all four rules)")
    opening_hours = _text(values, "opening_hours")
    holidays = _text(values, "holidays")
    try:
        hours = parse_opening_hours(opening_hours)
    except ConfigError as error:
        raise InvalidRule("opening_hours", str(error)) from error
    try:
        parse_exceptions(holidays, hours)
    except ConfigError as error:
        raise InvalidRule("holidays", str(error)) from error
    return ServiceRules(opening_hours, holidays, _webhook_url(values),
                        _retention_days(values["retention_days"]))


def apply_rules(settings: Settings, rules: ServiceRules) -> Settings:
    """`settings` with the rules in place of .env's."""
    return replace(settings, opening_hours=rules.hours(), opening_hours_spec=rules.opening_hours,
                   holidays_spec=rules.holidays, oncall_webhook_url=rules.oncall_webhook_url,
                   retention_days=rules.retention_days)


def merge_stored(stored: Mapping[str, str], fallback: ServiceRules) -> ServiceRules:
    """The stored rules over `fallback`; a stored rule that no longer reads (e.g. written by
    another version) is left out, so one bad row cannot stop the gateway."""
    values: dict[str, Any] = fallback.as_json()
    for name, text in stored.items():
        if name in RULE_NAMES:
            values[name] = text
    for _ in RULE_NAMES:
        try:
            return read_rules(values)
        except InvalidRule as error:
            log.warning("stored service rule %s cannot be used; using .env's", error.field)
            values[error.field] = fallback.as_json()[error.field]
    return fallback


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values[name]
    if not isinstance(value, str):
        raise InvalidRule(name, f"field '{name}' must be text")
    if len(value) > MAX_RULE_CHARS:
        raise InvalidRule(name, f"field '{name}' is longer than {MAX_RULE_CHARS} characters")
    return value.strip()


def _webhook_url(values: Mapping[str, Any]) -> str:
    url = _text(values, "oncall_webhook_url")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace()
                                                                          for c in url):
        raise InvalidRule("oncall_webhook_url",
                          "the on-call webhook must be an http(s) address, or empty")
    return url


def _retention_days(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0 <= value <= MAX_RETENTION_DAYS:
        raise InvalidRule("retention_days", "retention_days must be a number of days from 0 "
                                            f"(keep until erased) to {MAX_RETENTION_DAYS:.0f}")
    return float(value)


@dataclass(frozen=True)
class RulesChange:
    """When the stored rules were last saved, and by whom (None: never, .env's apply)."""

    at: datetime | None
    by: str | None


class LiveSettings:
    """The gateway's settings with the admins' rules applied, kept current from the database.

    Without `sessions` (a test's HandoffService, a tool) it is .env's settings, unchanging.
    """

    def __init__(self, base: Settings, sessions: sessionmaker | None = None) -> None:
        self._base = base
        self._sessions = sessions
        self._current = base
        self._change = RulesChange(None, None)

    @property
    def current(self) -> Settings:
        """The settings in force now."""
        return self._current

    @property
    def defaults(self) -> ServiceRules:
        """The rules .env gives (what applies until an admin saves others)."""
        return ServiceRules.of(self._base)

    @property
    def last_change(self) -> RulesChange:
        """When and by whom the rules in force were saved."""
        return self._change

    async def refresh(self) -> None:
        """Read the stored rules again (another process may have saved new ones)."""
        if self._sessions is None:
            return
        async with self._sessions() as session:
            rows = (await session.execute(
                select(ServiceSetting, Worker.name).outerjoin(
                    Worker, Worker.id == ServiceSetting.updated_by))).all()
        stored = {row.ServiceSetting.name: row.ServiceSetting.value for row in rows}
        latest = max(rows, key=lambda row: row.ServiceSetting.updated_at, default=None)
        self._current = apply_rules(self._base, merge_stored(stored, self.defaults))
        self._change = RulesChange(
            latest.ServiceSetting.updated_at if latest else None, latest.name if latest else None)

    async def save(self, rules: ServiceRules, worker: Worker) -> None:
        """Store the rules (audited) and put them in force in this process at once."""
        if self._sessions is None:
            raise RuntimeError("LiveSettings without a database cannot save rules")
        now = utcnow()
        rows = [{"name": name, "value": str(value), "updated_at": now, "updated_by": worker.id}
                for name, value in rules.as_json().items()]
        async with self._sessions() as session, session.begin():
            await session.execute(_upsert(session.bind.dialect.name, rows))
            session.add(AuditEntry(worker_id=worker.id, action="service_rules"))
        self._current = apply_rules(self._base, rules)
        self._change = RulesChange(now, worker.name)


def _upsert(dialect: str, rows: list[dict[str, Any]]) -> Insert:
    """Insert the rules or overwrite them in one statement: two admins saving at once in two
    processes cannot both insert the same rule (a read-then-write would fail on one)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ServiceSetting).values(rows)
    return statement.on_conflict_do_update(
        index_elements=[ServiceSetting.name],
        set_={column: getattr(statement.excluded, column)
              for column in ("value", "updated_at", "updated_by")})

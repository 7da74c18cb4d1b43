"""All configuration of broekzak in one typed place, read from the environment and .env.

Nothing here runs at import time: call :func:`load_settings` from an entry point and pass
the result on. Every variable is documented in .env.example.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from dotenv import dotenv_values

REPO_ROOT = Path(__file__).resolve().parent.parent

DAY_NAMES = ("ma", "di", "wo", "do", "vr", "za", "zo")
DAY_NAMES_LONG = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Interval:
    """One opening interval on a day, e.g. 14:00–22:00."""

    start: time
    end: time

    def label(self) -> str:
        """Render as '14:00–22:00'."""
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours per weekday (0 = Monday) from OPENING_HOURS, with dated exceptions."""

    days: tuple[tuple[Interval, ...], ...]
    exceptions: tuple[tuple[date, tuple[Interval, ...]], ...] = ()

    def for_weekday(self, weekday: int) -> tuple[Interval, ...]:
        """The regular intervals of one weekday (0 = Monday)."""
        return self.days[weekday]

    def for_date(self, day: date) -> tuple[Interval, ...]:
        """The intervals of a calendar day: a holiday or exception wins over the week."""
        for exception_day, intervals in self.exceptions:
            if exception_day == day:
                return intervals
        return self.days[day.weekday()]


@dataclass(frozen=True)
class Organisation:
    """What the bot says about the organisation behind it."""

    name: str
    description: str
    audience: str
    address: str
    route: str
    website: str


@dataclass(frozen=True)
class CrisisLines:
    """Crisis numbers and sites the bot gives at once (safety.md); local to one country."""

    emergency: str
    suicide_prevention: str
    domestic_violence: str
    children: str
    online_abuse: str


@dataclass(frozen=True)
class WhatsAppSettings:
    """WhatsApp Business Cloud API channel (Meta Graph API)."""

    api_url: str
    access_token: str
    app_secret: str
    verify_token: str
    phone_number_id: str


@dataclass(frozen=True)
class TelegramSettings:
    """Telegram Bot API channel."""

    api_url: str
    bot_token: str
    secret_token: str


WHATSAPP_REQUIRED = ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN",
                     "WHATSAPP_PHONE_NUMBER_ID")
TELEGRAM_REQUIRED = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN")


def _channel_values(get: Callable[[str], str], channel: str,
                    required: tuple[str, ...]) -> dict[str, str] | None:
    """None when a channel is not configured at all; ConfigError when only partly."""
    values = {name: get(name) for name in required}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(required):
        return None
    if missing:
        raise ConfigError(f"the {channel} channel is partly configured; missing: "
                          f"{', '.join(missing)}")
    return values


@dataclass(frozen=True)
class Settings:
    """Every setting of the gateway, the runner and the action server."""

    host: str
    port: int
    public_url: str
    database_url: str
    rasa_url: str
    rasa_port: int
    rasa_token: str
    rasa_timeout_s: float
    actions_host: str
    actions_port: int
    actions_token: str
    gateway_url: str
    handoff_secret: str
    rest_token: str
    webchat_allowed_origins: tuple[str, ...]
    max_message_chars: int
    timezone: str
    opening_hours: WeeklyHours
    organisation: Organisation
    crisis: CrisisLines
    log_level: str
    waiting_notice_minutes: float = 5.0
    urgent_renotify_minutes: float = 5.0
    notify_webhook_urls: tuple[str, ...] = ()
    oncall_webhook_url: str = ""
    notify_secret: str = ""
    session_cookie_secure: str = "auto"
    session_hours: float = 12.0
    safety_patterns_file: Path = field(default=REPO_ROOT / "safety" / "patterns.yml")
    whatsapp: WhatsAppSettings | None = None
    telegram: TelegramSettings | None = None
    platform_timeout_s: float = 10.0
    # Conversations without activity for this many days are deleted (0: kept until erased).
    retention_days: float = 90.0
    # Several gateway processes share live events through Redis pub/sub (empty: one process).
    redis_url: str = ""
    redis_channel: str = "broekzak:live"
    # Where `make train` puts models (and archive/ the ones it replaced): the admins' list.
    model_dir: Path = field(default=REPO_ROOT / "models")
    # The bot's intents an admin can give a message in the NLU inbox come from here.
    domain_file: Path = field(default=REPO_ROOT / "domain.yml")
    # Messages whose winning intent is less sure than this go to the admins' NLU inbox, with
    # those the bot did not understand at all (0: only those).
    nlu_review_below: float = 0.5
    # Messages the bot took for out_of_scope go there too (it may not have been taught them).
    nlu_review_out_of_scope: bool = True
    # OPENING_HOURS and HOLIDAYS as written (opening_hours is what they mean): the admins'
    # form in Beheer starts from them (bot/service_rules.py).
    opening_hours_spec: str = ""
    holidays_spec: str = ""


def parse_opening_hours(spec: str) -> WeeklyHours:
    """Parse 'ma-vr 14:00-22:00; za 12:00-17:00' (Dutch day abbreviations) into weekly hours.

    Several intervals on a day are separated by commas: 'wo 10:00-12:00,14:00-18:00'.
    Days not mentioned are closed. Raises ConfigError with the offending part.
    """
    days: list[list[Interval]] = [[] for _ in DAY_NAMES]
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        match = re.fullmatch(r"([a-z]{2})(?:\s*-\s*([a-z]{2}))?\s+(.+)", part.lower())
        if not match or match.group(1) not in DAY_NAMES:
            raise ConfigError(
                f"OPENING_HOURS: cannot read '{part}' (expected e.g. 'ma-vr 14:00-22:00')"
            )
        first = DAY_NAMES.index(match.group(1))
        last_name = match.group(2) or match.group(1)
        if last_name not in DAY_NAMES:
            raise ConfigError(f"OPENING_HOURS: unknown day '{last_name}' in '{part}'")
        last = DAY_NAMES.index(last_name)
        intervals = [_parse_interval(chunk, part) for chunk in match.group(3).split(",")]
        for day in range(first, last + 1):
            days[day].extend(intervals)
    return WeeklyHours(tuple(tuple(sorted(d, key=lambda i: i.start)) for d in days))


def parse_exceptions(spec: str, hours: WeeklyHours) -> WeeklyHours:
    """Add HOLIDAYS: '2026-12-25; 2026-12-31 14:00-17:00' (a date alone means closed)."""
    exceptions: list[tuple[date, tuple[Interval, ...]]] = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        day_text, _, rest = part.partition(" ")
        try:
            day = date.fromisoformat(day_text)
        except ValueError as error:
            raise ConfigError(f"HOLIDAYS: '{day_text}' is not a date like 2026-12-25") from error
        intervals = tuple(_parse_interval(c, part) for c in rest.split(",")) if rest.strip() else ()
        exceptions.append((day, intervals))
    return WeeklyHours(hours.days, tuple(exceptions))


def _parse_interval(chunk: str, part: str) -> Interval:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", chunk)
    if not match:
        raise ConfigError(f"OPENING_HOURS/HOLIDAYS: cannot read the hours '{chunk.strip()}' "
                          f"in '{part}'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start = time(h1, m1)
        end = time(23, 59) if (h2, m2) == (24, 0) else time(h2, m2)
    except ValueError as error:
        raise ConfigError(f"OPENING_HOURS: impossible time in '{part}'") from error
    if end <= start:
        raise ConfigError(f"OPENING_HOURS: '{chunk.strip()}' ends before it starts")
    return Interval(start, end)


DEFAULTS: dict[str, str] = {
    "GATEWAY_HOST": "127.0.0.1",
    "GATEWAY_PORT": "8000",
    "PUBLIC_URL": "",
    "DATABASE_URL": f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'broekzak.db'}",
    "RASA_PORT": "5005",
    "RASA_URL": "",
    "RASA_TOKEN": "",
    "RASA_TIMEOUT_S": "30",
    "ACTIONS_HOST": "127.0.0.1",
    "ACTIONS_PORT": "5055",
    "ACTIONS_TOKEN": "",
    "GATEWAY_URL": "",
    "HANDOFF_SECRET": "",
    "REST_TOKEN": "",
    "WEBCHAT_ALLOWED_ORIGINS": "",
    "MAX_MESSAGE_CHARS": "4096",
    "TIMEZONE": "Europe/Amsterdam",
    "OPENING_HOURS": "ma-vr 14:00-22:00; za 14:00-18:00",
    "HOLIDAYS": "",
    "WAITING_NOTICE_MINUTES": "5",
    "URGENT_RENOTIFY_MINUTES": "5",
    "NOTIFY_WEBHOOK_URLS": "",
    "ONCALL_WEBHOOK_URL": "",
    "NOTIFY_SECRET": "",
    "SESSION_COOKIE_SECURE": "auto",
    "SESSION_HOURS": "12",
    "SAFETY_PATTERNS_FILE": str(REPO_ROOT / "safety" / "patterns.yml"),
    "WHATSAPP_API_URL": "https://graph.facebook.com/v23.0",
    "WHATSAPP_ACCESS_TOKEN": "",
    "WHATSAPP_APP_SECRET": "",
    "WHATSAPP_VERIFY_TOKEN": "",
    "WHATSAPP_PHONE_NUMBER_ID": "",
    "TELEGRAM_API_URL": "https://api.telegram.org",
    "TELEGRAM_BOT_TOKEN": "",
    "TELEGRAM_SECRET_TOKEN": "",
    "PLATFORM_TIMEOUT_S": "10",
    "RETENTION_DAYS": "90",
    "NLU_REVIEW_BELOW": "0.5",
    "MODEL_DIR": str(REPO_ROOT / "models"),
    "NLU_REVIEW_OUT_OF_SCOPE": "1",
    "REDIS_URL": "",
    "REDIS_CHANNEL": "broekzak:live",
    "ORG_NAME": "Jongerenwerk Broekzak",
    "ORG_DESCRIPTION": (
        "Wij zijn jongerenwerkers en hulpverleners. Je kunt bij ons terecht met alles waar je "
        "mee zit: thuis, school, geld, liefde, je gevoel, of gewoon een vraag."
    ),
    "ORG_AUDIENCE": "jongeren van 12 tot 23 jaar",
    "ORG_ADDRESS": "Voorbeeldstraat 1, 1234 AB Voorbeeldstad",
    "ORG_ROUTE": "Vanaf het station is het 10 minuten lopen, of neem bus 1 tot halte Centrum.",
    "ORG_WEBSITE": "https://www.example.org",
    "CRISIS_EMERGENCY": "112",
    "CRISIS_SUICIDE_PREVENTION": (
        "113 Zelfmoordpreventie: bel 113 of gratis 0800-0113, of chat via 113.nl (24/7)"
    ),
    "CRISIS_DOMESTIC_VIOLENCE": "Veilig Thuis: gratis 0800-2000 (24/7)",
    "CRISIS_CHILDREN": (
        "De Kindertelefoon (tot 18 jaar): gratis 0800-0432, of chat via kindertelefoon.nl"
    ),
    "CRISIS_ONLINE_ABUSE": "Helpwanted.nl (online seksueel misbruik, sextortion)",
    "LOG_LEVEL": "INFO",
}


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None
) -> Settings:
    """Build Settings from defaults, then .env, then the process environment (highest)."""
    values: dict[str, str] = dict(DEFAULTS)
    env_file = dotenv_path if dotenv_path is not None else REPO_ROOT / ".env"
    if env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return settings_from_mapping(values)


def settings_from_mapping(values: Mapping[str, str]) -> Settings:
    """Turn a complete mapping of variable → string into typed Settings."""

    def get(name: str) -> str:
        return values.get(name, DEFAULTS.get(name, "")).strip()

    port = _int(get, "GATEWAY_PORT")
    rasa_port = _int(get, "RASA_PORT")
    actions_port = _int(get, "ACTIONS_PORT")
    host = get("GATEWAY_HOST")
    return Settings(
        host=host,
        port=port,
        public_url=(get("PUBLIC_URL") or f"http://localhost:{port}").rstrip("/"),
        database_url=get("DATABASE_URL"),
        rasa_url=(get("RASA_URL") or f"http://127.0.0.1:{rasa_port}").rstrip("/"),
        rasa_port=rasa_port,
        rasa_token=get("RASA_TOKEN"),
        rasa_timeout_s=_float(get, "RASA_TIMEOUT_S"),
        actions_host=get("ACTIONS_HOST"),
        actions_port=actions_port,
        actions_token=get("ACTIONS_TOKEN"),
        gateway_url=(get("GATEWAY_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
        handoff_secret=get("HANDOFF_SECRET"),
        rest_token=get("REST_TOKEN"),
        webchat_allowed_origins=tuple(
            o.strip().rstrip("/") for o in get("WEBCHAT_ALLOWED_ORIGINS").split(",") if o.strip()
        ),
        max_message_chars=_int(get, "MAX_MESSAGE_CHARS"),
        timezone=get("TIMEZONE"),
        opening_hours=parse_exceptions(get("HOLIDAYS"), parse_opening_hours(get("OPENING_HOURS"))),
        opening_hours_spec=get("OPENING_HOURS"),
        holidays_spec=get("HOLIDAYS"),
        organisation=Organisation(
            name=get("ORG_NAME"),
            description=get("ORG_DESCRIPTION"),
            audience=get("ORG_AUDIENCE"),
            address=get("ORG_ADDRESS"),
            route=get("ORG_ROUTE"),
            website=get("ORG_WEBSITE"),
        ),
        crisis=CrisisLines(
            emergency=get("CRISIS_EMERGENCY"),
            suicide_prevention=get("CRISIS_SUICIDE_PREVENTION"),
            domestic_violence=get("CRISIS_DOMESTIC_VIOLENCE"),
            children=get("CRISIS_CHILDREN"),
            online_abuse=get("CRISIS_ONLINE_ABUSE"),
        ),
        log_level=get("LOG_LEVEL").upper(),
        waiting_notice_minutes=_float(get, "WAITING_NOTICE_MINUTES"),
        urgent_renotify_minutes=_float(get, "URGENT_RENOTIFY_MINUTES"),
        notify_webhook_urls=tuple(
            u.strip() for u in get("NOTIFY_WEBHOOK_URLS").split(",") if u.strip()
        ),
        oncall_webhook_url=get("ONCALL_WEBHOOK_URL"),
        notify_secret=get("NOTIFY_SECRET"),
        session_cookie_secure=get("SESSION_COOKIE_SECURE").lower(),
        session_hours=_float(get, "SESSION_HOURS"),
        safety_patterns_file=_repo_path(get("SAFETY_PATTERNS_FILE")),
        whatsapp=_whatsapp(get),
        telegram=_telegram(get),
        platform_timeout_s=_float(get, "PLATFORM_TIMEOUT_S"),
        retention_days=_retention_days(get),
        nlu_review_below=_fraction(get, "NLU_REVIEW_BELOW"),
        model_dir=_repo_path(get("MODEL_DIR")),
        nlu_review_out_of_scope=_switch(get, "NLU_REVIEW_OUT_OF_SCOPE"),
        redis_url=_redis_url(get("REDIS_URL")),
        redis_channel=get("REDIS_CHANNEL") or DEFAULTS["REDIS_CHANNEL"],
    )


def _whatsapp(get: Callable[[str], str]) -> WhatsAppSettings | None:
    values = _channel_values(get, "WhatsApp", WHATSAPP_REQUIRED)
    if values is None:
        return None
    return WhatsAppSettings(api_url=get("WHATSAPP_API_URL").rstrip("/"),
                            access_token=values["WHATSAPP_ACCESS_TOKEN"],
                            app_secret=values["WHATSAPP_APP_SECRET"],
                            verify_token=values["WHATSAPP_VERIFY_TOKEN"],
                            phone_number_id=values["WHATSAPP_PHONE_NUMBER_ID"])


def _telegram(get: Callable[[str], str]) -> TelegramSettings | None:
    values = _channel_values(get, "Telegram", TELEGRAM_REQUIRED)
    if values is None:
        return None
    secret = values["TELEGRAM_SECRET_TOKEN"]
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError("TELEGRAM_SECRET_TOKEN must be 1-256 characters A-Z, a-z, 0-9, _ or -")
    return TelegramSettings(api_url=get("TELEGRAM_API_URL").rstrip("/"),
                            bot_token=values["TELEGRAM_BOT_TOKEN"], secret_token=secret)


def _retention_days(get: Callable[[str], str]) -> float:
    days = _float(get, "RETENTION_DAYS")
    if days < 0:
        raise ConfigError("RETENTION_DAYS must be 0 (keep until erased) or more days")
    return days


def _switch(get: Callable[[str], str], name: str) -> bool:
    value = get(name).strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise ConfigError(f"{name} must be 1 (on) or 0 (off)")
    return value in ("1", "true", "yes", "on")


def _fraction(get: Callable[[str], str], name: str) -> float:
    value = _float(get, name)
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be a confidence between 0 and 1")
    return value


def _redis_url(raw: str) -> str:
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix:// "
                          "(e.g. redis://127.0.0.1:6379/0), or be empty")
    return raw


def _repo_path(raw: str) -> Path:
    """A path from configuration; relative paths are relative to the repository."""
    path = Path(raw)
    return path if path.is_absolute() else REPO_ROOT / path


def _int(get: Callable[[str], str], name: str) -> int:
    raw = get(name)
    try:
        return int(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must be a whole number, got '{raw}'") from error


def _float(get: Callable[[str], str], name: str) -> float:
    raw = get(name)
    try:
        return float(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must be a number, got '{raw}'") from error

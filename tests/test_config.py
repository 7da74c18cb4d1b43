"""Configuration: opening hours parsing, typed values and clear errors."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, parse_opening_hours, settings_from_mapping
from bot.hours import describe_week, is_open, next_opening

AMS = ZoneInfo("Europe/Amsterdam")


def test_opening_hours_ranges_and_several_intervals() -> None:
    hours = parse_opening_hours("ma-vr 14:00-22:00; wo 10:00-12:00; za 12:00-24:00")
    assert [i.label() for i in hours.for_weekday(2)] == ["10:00–12:00", "14:00–22:00"]
    assert hours.for_weekday(5)[0].end == time(23, 59)
    assert hours.for_weekday(6) == ()
    assert describe_week(hours)[6] == "zondag: gesloten"


@pytest.mark.parametrize("spec", ["maandag 14-22", "ma-xx 14:00-22:00", "ma 22:00-14:00",
                                  "ma 25:00-26:00"])
def test_bad_opening_hours_name_the_variable(spec: str) -> None:
    with pytest.raises(ConfigError, match="OPENING_HOURS"):
        parse_opening_hours(spec)


def test_is_open_and_next_opening() -> None:
    hours = parse_opening_hours("ma-vr 14:00-22:00")
    monday_noon = datetime(2026, 11, 30, 12, 0, tzinfo=AMS)
    assert not is_open(hours, monday_noon)
    assert next_opening(hours, monday_noon) == datetime(2026, 11, 30, 14, 0, tzinfo=AMS)
    assert is_open(hours, monday_noon.replace(hour=15))
    friday_late = datetime(2026, 12, 4, 23, 0, tzinfo=AMS)
    assert next_opening(hours, friday_late) == datetime(2026, 12, 7, 14, 0, tzinfo=AMS)
    assert next_opening(parse_opening_hours(""), monday_noon) is None


def test_numbers_are_checked_and_urls_derived() -> None:
    with pytest.raises(ConfigError, match="GATEWAY_PORT"):
        settings_from_mapping({"GATEWAY_PORT": "achtduizend"})
    settings = settings_from_mapping({"GATEWAY_PORT": "8123", "RASA_PORT": "5123",
                                      "WEBCHAT_ALLOWED_ORIGINS": "https://a.nl/, https://b.nl"})
    assert settings.public_url == "http://localhost:8123"
    assert settings.rasa_url == "http://127.0.0.1:5123"
    assert settings.webchat_allowed_origins == ("https://a.nl", "https://b.nl")


def test_redis_is_off_by_default_and_its_url_is_checked() -> None:
    assert settings_from_mapping({}).redis_url == ""
    with pytest.raises(ConfigError, match="REDIS_URL"):
        settings_from_mapping({"REDIS_URL": "127.0.0.1:6379"})
    settings = settings_from_mapping({"REDIS_URL": "rediss://cache.internal:6380/2"})
    assert settings.redis_url == "rediss://cache.internal:6380/2"
    assert settings.redis_channel == "broekzak:live"


def test_the_nlu_inbox_settings_take_a_confidence_and_a_switch() -> None:
    assert settings_from_mapping({}).nlu_review_below == 0.5
    assert settings_from_mapping({}).nlu_review_out_of_scope is True
    assert settings_from_mapping({"NLU_REVIEW_OUT_OF_SCOPE": "0"}).nlu_review_out_of_scope is False
    assert settings_from_mapping({}).nlu_review_out_of_scope is True
    assert settings_from_mapping({"NLU_REVIEW_BELOW": "0.7"}).nlu_review_below == 0.7
    for name, bad in (("NLU_REVIEW_BELOW", "1.5"), ("NLU_REVIEW_OUT_OF_SCOPE", "misschien")):
        with pytest.raises(ConfigError, match=name):
            settings_from_mapping({name: bad})


def test_retention_is_90_days_by_default_0_keeps_and_negative_is_refused() -> None:
    assert settings_from_mapping({}).retention_days == 90
    assert settings_from_mapping({"RETENTION_DAYS": "0"}).retention_days == 0
    with pytest.raises(ConfigError, match="RETENTION_DAYS"):
        settings_from_mapping({"RETENTION_DAYS": "-1"})


def test_every_setting_is_documented_in_env_example() -> None:
    from bot.config import DEFAULTS, REPO_ROOT

    documented = {
        line.split("=", 1)[0]
        for line in (REPO_ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#") and "=" in line
    }
    assert documented == set(DEFAULTS)


def test_env_example_is_a_valid_configuration() -> None:
    from bot.config import REPO_ROOT, load_settings

    settings = load_settings(environ={}, dotenv_path=REPO_ROOT / ".env.example")
    assert settings.organisation.name == "Jongerenwerk Broekzak"
    assert settings.opening_hours.for_weekday(0)

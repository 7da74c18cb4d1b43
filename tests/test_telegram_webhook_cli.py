"""`make telegram-webhook` against the Telegram fake."""

from __future__ import annotations

from bot.cli_telegram import set_webhook
from tests.conftest import make_settings
from tests.fakes import telegram_api as tg

TOKEN = "123456789:AAtest"


async def test_set_webhook_registers_our_url_and_secret(aiohttp_server) -> None:
    app, fake = tg.create_telegram_fake(TOKEN)
    server = await aiohttp_server(app)
    settings = make_settings(PUBLIC_URL="https://chat.example.org", TELEGRAM_BOT_TOKEN=TOKEN,
                             TELEGRAM_SECRET_TOKEN="s3cret_token",
                             TELEGRAM_API_URL=str(server.make_url("")).rstrip("/"))
    ok, message = await set_webhook(settings)
    assert ok, message
    [body] = fake.bodies("setWebhook")
    assert body["url"] == "https://chat.example.org/webhooks/telegram/webhook"
    assert body["secret_token"] == "s3cret_token"
    assert set(body["allowed_updates"]) == {"message", "callback_query"}


async def test_set_webhook_refuses_plain_http_and_missing_configuration() -> None:
    ok, message = await set_webhook(make_settings(PUBLIC_URL="http://localhost:8000",
                                                  TELEGRAM_BOT_TOKEN=TOKEN,
                                                  TELEGRAM_SECRET_TOKEN="abc"))
    assert not ok and "https" in message
    ok, message = await set_webhook(make_settings())
    assert not ok and "not configured" in message


def test_partly_configured_channels_stop_start_up_naming_what_is_missing() -> None:
    import pytest

    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="WHATSAPP_APP_SECRET"):
        make_settings(WHATSAPP_ACCESS_TOKEN="x", WHATSAPP_VERIFY_TOKEN="v",
                      WHATSAPP_PHONE_NUMBER_ID="1")
    with pytest.raises(ConfigError, match="TELEGRAM_SECRET_TOKEN"):
        make_settings(TELEGRAM_BOT_TOKEN="x")

"""`python -m bot telegram set-webhook`: point Telegram at this gateway, with the secret."""

from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp

from bot.channels.telegram_protocol import TelegramClient
from bot.config import Settings

WEBHOOK_PATH = "/webhooks/telegram/webhook"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `telegram set-webhook`."""
    telegram = commands.add_parser("telegram", help="Telegram channel tools")
    actions = telegram.add_subparsers(dest="telegram_command", required=True)
    hook = actions.add_parser("set-webhook", help="register $PUBLIC_URL/webhooks/telegram/webhook")
    hook.add_argument("--drop-pending", action="store_true",
                      help="drop updates Telegram still holds for the bot")


async def set_webhook(settings: Settings, drop_pending: bool = False) -> tuple[bool, str]:
    """Call setWebhook with our URL and secret token; (ok, what to tell the user)."""
    if settings.telegram is None:
        return False, "Telegram is not configured (TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET_TOKEN)"
    if not settings.public_url.startswith("https://"):
        return False, f"Telegram only calls https webhooks; PUBLIC_URL is {settings.public_url}"
    url = settings.public_url + WEBHOOK_PATH
    async with aiohttp.ClientSession() as http:
        client = TelegramClient(http, settings.telegram.api_url, settings.telegram.bot_token,
                                settings.platform_timeout_s)
        result = await client.set_webhook(url, settings.telegram.secret_token,
                                          drop_pending_updates=drop_pending)
    if result.ok:
        return True, f"Telegram now sends updates to {url}"
    return False, f"setWebhook failed: {result.detail or result.permanent or result.code}"


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Carry out the telegram subcommand."""
    ok, message = asyncio.run(set_webhook(settings, args.drop_pending))
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1

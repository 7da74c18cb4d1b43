"""`python -m bot erase`: delete one young person's conversation on request (AVG).

By conversation id (what the inbox shows) or by channel and platform id (the phone number
a young person gives when they ask by e-mail or phone). Prints what was erased; never the
conversation's content.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp

from bot.config import Settings
from bot.privacy import ConversationInUse, Erased, Privacy
from bot.rasa.client import RasaClient
from bot.store.db import create_engine, session_factory


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `erase`."""
    erase = commands.add_parser("erase", help="delete one young person's conversation now")
    which = erase.add_mutually_exclusive_group(required=True)
    which.add_argument("--conversation", help="conversation id (shown in the inbox)")
    which.add_argument("--user", help="platform id: phone number (WhatsApp), chat id "
                                      "(Telegram), session id (widget); needs --channel")
    erase.add_argument("--channel", choices=("whatsapp", "telegram", "webchat", "rest"))


async def erase(settings: Settings, args: argparse.Namespace) -> tuple[Erased | None, str]:
    """Erase the conversation the arguments name; (result, what to tell the user)."""
    engine = create_engine(settings.database_url)
    try:
        async with aiohttp.ClientSession() as http:
            privacy = Privacy(session_factory(engine), RasaClient(
                http, settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s))
            conversation_id = args.conversation or await privacy.find(args.channel, args.user)
            if conversation_id is None:
                return None, "no conversation of that user on that channel"
            try:
                erased = await privacy.erase(conversation_id, worker_id=None)
            except ConversationInUse as error:
                return None, str(error)
    finally:
        await engine.dispose()
    if erased is None:
        return None, f"no conversation {conversation_id}"
    bot = ("and the bot's memory of it" if erased.bot_memory_cleared else
           "(the bot was unreachable: its in-memory copy goes when Rasa restarts)")
    return erased, f"erased conversation {conversation_id} {bot}"


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Carry out `erase`; exit code 1 when nothing was erased."""
    if args.user is not None and args.channel is None:
        print("error: --user needs --channel", file=sys.stderr)
        return 2
    erased, message = asyncio.run(erase(settings, args))
    print(message if erased is not None else f"error: {message}",
          file=sys.stdout if erased is not None else sys.stderr)
    return 0 if erased is not None else 1

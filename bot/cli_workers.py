"""`python -m bot worker add NAME --role worker|admin`: make an inbox account."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.config import Settings
from bot.inbox.accounts import AccountError, Accounts, NewAccount
from bot.store.db import create_engine, session_factory


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `worker add`."""
    worker = commands.add_parser("worker", help="manage inbox accounts")
    actions = worker.add_subparsers(dest="worker_command", required=True)
    add = actions.add_parser("add", help="make an account; prints its API token last")
    add.add_argument("name")
    add.add_argument("--role", choices=("worker", "admin"), default="worker")
    add.add_argument("--team", default=None)
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input instead of asking")
    add.add_argument("--no-password", action="store_true",
                     help="API token only, no inbox login")


def read_password(args: argparse.Namespace) -> str | None:
    """The new account's password: none, from stdin, or asked twice on the terminal."""
    if args.no_password:
        return None
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Wachtwoord: ")
    if first != getpass.getpass("Nog een keer: "):
        raise AccountError("the passwords differ")
    return first


async def _add(settings: Settings, name: str, role: str, password: str | None,
               team: str | None) -> NewAccount:
    engine = create_engine(settings.database_url)
    try:
        return await Accounts(session_factory(engine)).add(name, role, password, team)
    finally:
        await engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Carry out `worker add`; the API token is the last line of the output."""
    try:
        password = read_password(args)
        account = asyncio.run(_add(settings, args.name, args.role, password, args.team))
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"account '{account.name}' ({account.role}) made. "
          "Its personal API token (shown only now):")
    print(account.api_token)
    return 0

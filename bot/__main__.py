"""Command line of broekzak: `python -m bot run | serve | migrate | worker | erase | nlu-export |
telegram`."""

from __future__ import annotations

import argparse
import sys

from aiohttp import web

from bot import cli_nlu, cli_privacy, cli_telegram, cli_workers
from bot.app import init_app
from bot.config import REPO_ROOT, ConfigError, load_settings
from bot.logs import configure_logging


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run Rasa, the action server and the gateway")
    run.add_argument("--model", default=str(REPO_ROOT / "models"),
                     help="model file or folder (newest model is used)")
    commands.add_parser("serve", help="run only the gateway (Rasa runs elsewhere)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    cli_workers.add_parser(commands)
    cli_privacy.add_parser(commands)
    cli_nlu.add_parser(commands)
    cli_telegram.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    from bot.store.migrate import upgrade

    if args.command == "migrate":
        upgrade(settings.database_url)
        return 0
    if args.command == "worker":
        upgrade(settings.database_url)
        return cli_workers.run(settings, args)
    if args.command == "erase":
        upgrade(settings.database_url)
        return cli_privacy.run(settings, args)
    if args.command == "nlu-export":
        upgrade(settings.database_url)
        return cli_nlu.run(settings, args)
    if args.command == "telegram":
        return cli_telegram.run(settings, args)
    if args.command == "serve":
        upgrade(settings.database_url)
        web.run_app(init_app(settings), host=settings.host, port=settings.port,
                    access_log=None, print=None)
        return 0
    from bot.runner import run

    return run(settings, args.model)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m bot nlu-export`: the examples admins labelled in the NLU inbox, as Rasa
training data, for the next `make train` (docs/nlu-review.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import Settings
from bot.nlu_review.examples import to_rasa_yaml
from bot.nlu_review.inbox import labelled_examples
from bot.store.db import create_engine, session_factory


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `nlu-export`."""
    export = commands.add_parser("nlu-export",
                                 help="write the NLU inbox's labelled examples as Rasa YAML")
    export.add_argument("--out", type=Path, default=None,
                        help="file to write (e.g. data/nlu/labelled.yml); default: stdout")


async def labelled(settings: Settings) -> list[tuple[str, str]]:
    """(intent, example) of everything labelled so far."""
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            return await labelled_examples(session)
    finally:
        await engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Write the file (or stdout); say on stderr how many examples went in."""
    examples = asyncio.run(labelled(settings))
    data = to_rasa_yaml(examples)
    if args.out is None:
        sys.stdout.write(data)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(data, encoding="utf-8")
    where = f" to {args.out}" if args.out is not None else ""
    print(f"exported {len(examples)} labelled example(s){where}", file=sys.stderr)
    return 0

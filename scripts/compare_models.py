"""Compare a newly trained model with the one it would replace, on the held-out test split:
`make compare [CANDIDATE=models/current.tar.gz] [BASELINE=models/archive/…]`.

Before an admin switches the bot to a new model (docs/retraining.md): macro-F1 and accuracy
of both, F1 per intent with what got better or worse, and how many test messages changed
from right to wrong and back. The test split is never trained on. Counts only: the test
messages themselves are not printed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import REPO_ROOT
from scripts.eval_cv import as_understood
from scripts.eval_models import EvaluationError, load_examples, parse_texts, top_intents
from scripts.metrics import accuracy, macro_f1, per_intent_scores
from scripts.tables import markdown_table

# An intent's F1 moving less than this is noise on a test split of this size.
NOTABLE_CHANGE = 0.05


@dataclass(frozen=True)
class Comparison:
    """Two models' answers on the same test messages."""

    labels: list[str]  # the expected intents
    baseline: list[str]  # answers, nlu_fallback as out_of_scope
    candidate: list[str]

    def changes(self) -> list[tuple[str, float, float, int]]:
        """Per intent (baseline F1, candidate F1, test messages); biggest change first."""
        intents = sorted(set(self.labels))
        before = per_intent_scores(self.labels, self.baseline, intents)
        after = per_intent_scores(self.labels, self.candidate, intents)
        rows = [(i, before[i].f1, after[i].f1, before[i].support) for i in intents]
        return sorted(rows, key=lambda row: (-abs(row[2] - row[1]), row[0]))

    def rows(self) -> list[list[str]]:
        """The per-intent table's rows."""
        return [[intent, f"{old:.3f}", f"{new:.3f}", f"{new - old:+.3f}", str(support)]
                for intent, old, new, support in self.changes()]

    def moved(self) -> tuple[int, int]:
        """(messages right before and wrong now, wrong before and right now)."""
        pairs = list(zip(self.labels, self.baseline, self.candidate, strict=True))
        return (sum(b == t != c for t, b, c in pairs), sum(c == t != b for t, b, c in pairs))

    def notable(self, better: bool) -> list[str]:
        """Intents whose F1 rose (or fell) by at least NOTABLE_CHANGE."""
        sign = 1 if better else -1
        return [intent for intent, old, new, _ in self.changes()
                if sign * (new - old) >= NOTABLE_CHANGE]

    def report(self, baseline_name: str, candidate_name: str) -> str:
        """The comparison as markdown."""
        lost, won = self.moved()
        better, worse = self.notable(True), self.notable(False)
        summary = [
            f"# {candidate_name} against {baseline_name}",
            "",
            f"Held-out test split, {len(self.labels)} messages "
            "(`nlu_fallback` counts as `out_of_scope`).",
            "",
            markdown_table(["", baseline_name, candidate_name], [
                ["macro-F1", f"{macro_f1(self.labels, self.baseline):.3f}",
                 f"{macro_f1(self.labels, self.candidate):.3f}"],
                ["accuracy", f"{accuracy(self.labels, self.baseline):.3f}",
                 f"{accuracy(self.labels, self.candidate):.3f}"]]),
            "",
            f"- right before, wrong now: {lost} messages; wrong before, right now: {won}",
            f"- better by {NOTABLE_CHANGE} F1 or more: {', '.join(better) or 'none'}",
            f"- worse by {NOTABLE_CHANGE} F1 or more: {', '.join(worse) or 'none'}",
            "",
            "## F1 per intent, biggest change first",
            "",
            markdown_table(["intent", baseline_name, candidate_name, "change", "messages"],
                           self.rows()),
        ]
        return "\n".join(summary) + "\n"


async def answers(model: Path, texts: Sequence[str]) -> list[str]:
    """The model's answers to the texts, as the evaluation scores them."""
    return as_understood([top_intents(parse)[0] for parse in await parse_texts(model, texts)])


def newest_archived(folder: Path) -> Path | None:
    """The model `make train` replaced last."""
    archived = sorted((folder / "archive").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return archived[-1] if archived else None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidate", type=Path, default=REPO_ROOT / "models" / "current.tar.gz",
                        help="the new model (%(default)s)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="the model to compare with (default: the newest in models/archive)")
    parser.add_argument("--test", default=str(REPO_ROOT / "tests" / "nlu_test"),
                        help="held-out test data (%(default)s)")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the comparison; exit code 1 when a model or the test data is missing."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    baseline = args.baseline or newest_archived(args.candidate.parent)
    for label, path in (("candidate", args.candidate), ("baseline", baseline)):
        if path is None or not Path(path).is_file():
            print(f"error: no {label} model at {path or 'models/archive/'}", file=sys.stderr)
            return 1
    assert baseline is not None
    try:
        examples = load_examples(args.test)
    except EvaluationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    texts = [e.text for e in examples]
    comparison = Comparison([e.intent for e in examples],
                            asyncio.run(answers(baseline, texts)),
                            asyncio.run(answers(args.candidate, texts)))
    report = comparison.report(_name(baseline), _name(args.candidate))
    print(report)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 0


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name == "archive" else path.name


if __name__ == "__main__":
    sys.exit(main())

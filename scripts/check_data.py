"""Check NLU training data before it goes in: `make check-data [FILE=data/nlu/new.yml]`.

Whoever adds training examples (an engineer, or an admin turning reviewed fallbacks and
safety detections into data) runs this first. Every example of FILE (default: all of
data/nlu) is checked for:

- an intent the domain does not know;
- a repeat of another training example (compared as `make evaluate` compares: lower case,
  punctuation and emoji dropped), or the same text under two intents;
- a copy or near-copy of a held-out line (test split, crisis hard cases): training on it
  would make the evaluation's figures a lie. Only the line in FILE is shown, never the
  held-out line, so the held-out data stays unseen by whoever writes training data;
- a non-crisis example that trips the crisis safety net: either the example is a crisis,
  or a pattern in safety/patterns.yml is too wide.

Exit status 1 when anything is found.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.config import REPO_ROOT
from bot.safety.net import SafetyNet
from scripts.eval_crisis import load_safety_net
from scripts.eval_models import EvaluationError, Example, load_examples
from scripts.metrics import CRISIS_INTENTS, comparable_text

# Two texts this alike (difflib's ratio of their comparable forms) count as near-copies.
NEAR_COPY_RATIO = 0.85
HELD_OUT = ("tests/nlu_test", "tests/crisis_hard_cases.yml")


@dataclass(frozen=True)
class Problem:
    """One finding on one example (1-based position in the checked data)."""

    position: int
    example: Example
    reason: str


def near_copy(text: str, others: Iterable[str], ratio: float = NEAR_COPY_RATIO) -> bool:
    """Whether a comparable text is (nearly) one of the others."""
    for other in others:
        # The length bound and the quick ratios are cheap upper bounds: most pairs stop there.
        if abs(len(other) - len(text)) > len(text) * (1 - ratio) + 2:
            continue
        matcher = difflib.SequenceMatcher(None, text, other)
        if matcher.real_quick_ratio() >= ratio and matcher.quick_ratio() >= ratio \
                and matcher.ratio() >= ratio:
            return True
    return False


def find_problems(checked: Sequence[Example], rest: Sequence[Example], held_out: Sequence[str],
                  intents: set[str], net: SafetyNet) -> list[Problem]:
    """Everything wrong with the checked examples, given the rest of the training data."""
    problems: list[Problem] = []
    known = {comparable_text(e.text): e.intent for e in rest}
    held = sorted({comparable_text(text) for text in held_out} - {""})
    seen: dict[str, str] = {}
    for position, example in enumerate(checked, start=1):
        text = comparable_text(example.text)

        def report(reason: str, example: Example = example, position: int = position) -> None:
            problems.append(Problem(position, example, reason))

        if example.intent not in intents:
            report(f"intent {example.intent!r} is not in domain.yml")
        earlier = known.get(text, seen.get(text)) if text else None
        if earlier == example.intent:
            report("repeats another training example")
        elif earlier is not None:
            report(f"the same text is also an example of {earlier}")
        if text:
            seen[text] = example.intent
        if text and near_copy(text, held):
            report("is (nearly) a held-out evaluation line: rewrite or drop it")
        if example.intent not in CRISIS_INTENTS and (hit := net.check(example.text)):
            report(f"a non-crisis example trips the safety net ({hit.pattern_id})")
    return problems


def domain_intents(path: Path = REPO_ROOT / "domain.yml") -> set[str]:
    """The intents the domain declares."""
    domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {next(iter(i)) if isinstance(i, dict) else str(i) for i in domain.get("intents", [])}


def main(argv: Sequence[str] | None = None) -> int:
    """Check the file (or all training data) and print what is wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="an NLU file to check (default: all of data/nlu)")
    parser.add_argument("--data", default=str(REPO_ROOT / "data" / "nlu"))
    args = parser.parse_args(argv)
    try:
        if args.file:
            checked = load_examples(args.file)
            target = Path(args.file).resolve()
            rest = [e for path in sorted(Path(args.data).rglob("*.yml"))
                    if path.resolve() != target
                    for e in load_examples(str(path), allow_none=True)]
        else:
            checked, rest = load_examples(args.data), []
        held_out = [e.text for path in HELD_OUT for e in load_examples(str(REPO_ROOT / path))]
    except EvaluationError as error:
        print(f"check-data: {error}", file=sys.stderr)
        return 2
    problems = find_problems(checked, rest, held_out, domain_intents(), load_safety_net())
    for problem in problems:
        print(f"#{problem.position} [{problem.example.intent}] {problem.example.text!r}: "
              f"{problem.reason}")
    print(f"{len(checked)} examples checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

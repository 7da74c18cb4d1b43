"""Score pipeline variants on single cross-validation folds, the quick way to compare them.

`make evaluate` runs five folds for every system (about 35 minutes). Ranking a config change
needs less: one or two of the harness's own folds (same seed, same split), each trained with
the real pipeline. Usage:

    python -m scripts.eval_fold --fold 1 config.yml /tmp/variant.yml

prints the macro-F1 (and accuracy) each config scores on the held-out part of that fold.
A variant that wins here still has to win in `make evaluate` (all folds, the test split and
the robustness set) before it goes into config.yml.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterable, Sequence

from scripts.eval_cv import as_understood, stratified_folds, training_part
from scripts.eval_models import EvaluationError, Example, Vocabulary, load_training_data
from scripts.eval_systems import System, fit_predict
from scripts.evaluate import quiet_logging, seed_everything
from scripts.metrics import accuracy, macro_f1

logger = logging.getLogger("broekzak.evaluate")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.eval_fold",
        description="Macro-F1 of Rasa configs on single folds of make evaluate's split.",
    )
    parser.add_argument("configs", nargs="+", help="Rasa config files to compare")
    parser.add_argument("--fold", type=int, action="append",
                        help="fold number, 1-based; repeat for several (default: 1)")
    parser.add_argument("--folds", type=int, default=5, help="folds in the split (%(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (%(default)s)")
    parser.add_argument("--train", default="data/nlu", help="training NLU data (%(default)s)")
    return parser.parse_args(argv)


def held_out_indices(labels: Sequence[str], fold: int, args: argparse.Namespace) -> list[int]:
    """The examples of fold `fold` (1-based) in the harness's split (`args.folds`, `args.seed`)."""
    splits = stratified_folds(labels, args.folds, args.seed)
    if not 1 <= fold <= len(splits):
        raise EvaluationError(f"fold must be between 1 and {len(splits)}, not {fold}")
    return list(splits[fold - 1])


def score_fold(config: str, fold: int, examples: Sequence[Example], vocabulary: Vocabulary,
               args: argparse.Namespace) -> tuple[float, float]:
    """Macro-F1 and accuracy of `config` trained without fold `fold` and scored on it."""
    labels = [e.intent for e in examples]
    held_out = held_out_indices(labels, fold, args)
    seed_everything(args.seed)
    result = fit_predict(System(config, config), training_part(examples, held_out),
                         [examples[i].text for i in held_out], args.seed, vocabulary)
    truth = [labels[i] for i in held_out]
    predicted = as_understood(result.deployed)
    return macro_f1(truth, predicted), accuracy(truth, predicted)


Scores = Iterable[tuple[str, int, float, float]]


def print_scores(scores: Callable[[], Scores]) -> int:
    """Print one line per (name, fold, macro-F1, accuracy) as they come; exit status 2 with
    the message on an EvaluationError."""
    quiet_logging()
    try:
        for name, fold, f1, share_right in scores():
            print(f"{name}\tfold {fold}\tmacro-F1 {f1:.4f}\taccuracy {share_right:.4f}",
                  flush=True)
    except EvaluationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Print one line per config and fold."""
    args = parse_args(argv)

    def scores() -> Scores:
        examples, vocabulary = load_training_data(args.train)
        for config in args.configs:
            for fold in args.fold or [1]:
                yield (config, fold, *score_fold(config, fold, examples, vocabulary, args))

    return print_scores(scores)


if __name__ == "__main__":
    sys.exit(main())

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
from collections.abc import Sequence

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


def score_fold(config: str, fold: int, examples: Sequence[Example], vocabulary: Vocabulary,
               args: argparse.Namespace) -> tuple[float, float]:
    """Macro-F1 and accuracy of `config` trained without fold `fold` and scored on it."""
    labels = [e.intent for e in examples]
    splits = stratified_folds(labels, args.folds, args.seed)
    if not 1 <= fold <= len(splits):
        raise EvaluationError(f"fold must be between 1 and {len(splits)}, not {fold}")
    held_out = splits[fold - 1]
    seed_everything(args.seed)
    result = fit_predict(System(config, config), training_part(examples, held_out),
                         [examples[i].text for i in held_out], args.seed, vocabulary)
    truth = [labels[i] for i in held_out]
    predicted = as_understood(result.deployed)
    return macro_f1(truth, predicted), accuracy(truth, predicted)


def main(argv: Sequence[str] | None = None) -> int:
    """Print one line per config and fold."""
    args = parse_args(argv)
    quiet_logging()
    try:
        examples, vocabulary = load_training_data(args.train)
        for config in args.configs:
            for fold in args.fold or [1]:
                f1, share_right = score_fold(config, fold, examples, vocabulary, args)
                print(f"{config}\tfold {fold}\tmacro-F1 {f1:.4f}\taccuracy {share_right:.4f}",
                      flush=True)
    except EvaluationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

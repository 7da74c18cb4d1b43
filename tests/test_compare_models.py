"""`make compare` (scripts/compare_models.py): a new model against the one it replaces, per
intent, on the held-out test split — with the real trained model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.compare_models import Comparison, main
from scripts.eval_models import Example
from scripts.eval_systems import write_nlu_file
from tests.conftest import MODEL


def test_the_comparison_counts_what_moved_and_names_what_got_better_or_worse() -> None:
    labels = ["greet", "greet", "ask_cost", "ask_cost", "thank"]
    before = ["greet", "thank", "greet", "ask_cost", "thank"]
    after = ["greet", "greet", "ask_cost", "ask_cost", "greet"]
    comparison = Comparison(labels, before, after)

    assert comparison.moved() == (1, 2)  # thank lost; the second greet and ask_cost won
    assert comparison.notable(better=True) == ["ask_cost", "greet"]
    assert comparison.notable(better=False) == ["thank"]
    report = comparison.report("archive/oud.tar.gz", "current.tar.gz")
    assert "right before, wrong now: 1 messages; wrong before, right now: 2" in report
    assert "| thank | 0.667 | 0.000 | -0.667 | 1 |" in report


def test_a_model_compared_with_itself_changes_nothing(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    archived = tmp_path / "models" / "archive" / "model-20261101-090000.tar.gz"
    archived.parent.mkdir(parents=True)
    shutil.copy(MODEL, archived)
    test = tmp_path / "test.yml"
    write_nlu_file([Example("hoi", "greet"), Example("kost het geld", "ask_cost"),
                    Example("is dit anoniem", "ask_anonymous"),
                    Example("wanneer zijn jullie er", "ask_opening_hours")], test)
    out = tmp_path / "report.md"

    assert main(["--candidate", str(MODEL), "--baseline", str(archived), "--test", str(test),
                 "--out", str(out)]) == 0

    report = out.read_text()
    assert report in capsys.readouterr().out
    assert "# current.tar.gz against archive/model-20261101-090000.tar.gz" in report
    assert "right before, wrong now: 0 messages; wrong before, right now: 0" in report
    assert "better by 0.05 F1 or more: none" in report
    assert "worse by 0.05 F1 or more: none" in report
    assert "kost het geld" not in report  # counts, not the test messages
    assert main(["--candidate", str(tmp_path / "nieuw.tar.gz"), "--baseline", str(archived),
                 "--test", str(test)]) == 1

"""Every relative link in the README and docs/ points at a file that exists and, when it names
a section, at a heading that file has — docs are split and renamed as the project grows, and
a dead anchor only shows when a reader clicks it."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]

FENCED_CODE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.MULTILINE)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache  # one read per document, however many links point at it
def anchors_of(document: Path) -> frozenset[str]:
    text = FENCED_CODE.sub("", document.read_text(encoding="utf-8"))
    seen: Counter[str] = Counter()
    anchors = set()
    for heading in HEADING.findall(text):
        slug = github_slug(heading)
        # GitHub numbers repeated headings: the second "Figures" is #figures-1.
        anchors.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return frozenset(anchors)


def relative_links(document: Path) -> list[str]:
    text = FENCED_CODE.sub("", document.read_text(encoding="utf-8"))
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


def test_the_slug_follows_github() -> None:
    assert github_slug("The linear SVM (2026-12-04)") == "the-linear-svm-2026-12-04"
    assert github_slug("Guard confidence, swept") == "guard-confidence-swept"
    assert github_slug("`make evaluate` figures") == "make-evaluate-figures"


def test_repeated_headings_get_numbered_anchors(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text("# Figures\n\n## Figures\n\n```\n# not a heading\n```\n", encoding="utf-8")
    assert anchors_of(document) == {"figures", "figures-1"}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_resolves(document: Path) -> None:
    broken = []
    for target in relative_links(document):
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors_of(linked):
            broken.append(f"{target}: no such section")
    assert not broken, f"{document.name}: {broken}"

"""The robustness set for `make evaluate`: deterministic, label-preserving, really perturbed."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scripts.robustness import (
    DUTCH_TO_ENGLISH,
    EMOJI,
    ENGLISH_FILLERS,
    PERTURBATIONS,
    PerturbedExample,
    perturb,
    robustness_set,
)

TEST_SPLIT = Path(__file__).parent / "nlu_test" / "test_split.yml"

EXAMPLES: list[tuple[str, str]] = [
    ("hoi", "greet"),
    ("hallo hallo", "greet"),
    ("ik weet niet wat ik moet doen met mijn ouders", "family"),
    ("Echt heel bang voor morgen", "anxiety"),
    ("kan ik met iemand praten?", "request_human"),
    ("ik ben 15 en zit op school", "inform"),
    ("ok", "affirm"),
    ("👌", "affirm"),
    ("❤️", "thank"),
    ("tijd om te pitten", "goodbye"),
]
ENGLISH_WORDS = frozenset(
    word for phrase in (*DUTCH_TO_ENGLISH.values(), *ENGLISH_FILLERS) for word in phrase.split()
)
DUTCH_WORDS = frozenset(word for phrase in DUTCH_TO_ENGLISH for word in phrase.split())


def load_test_split() -> list[tuple[str, str]]:
    """(text, intent) pairs of the NLU test split, read without Rasa."""
    data = yaml.safe_load(TEST_SPLIT.read_text(encoding="utf-8"))
    return [
        (line[2:].strip(), block["intent"])
        for block in data["nlu"]
        if "intent" in block
        for line in block["examples"].splitlines()
        if line.startswith("- ")
    ]


def by_perturbation(items: list[PerturbedExample], perturbation: str) -> list[PerturbedExample]:
    return [item for item in items if item.perturbation == perturbation]


def has_letters(text: str) -> bool:
    return any(character.isalpha() for character in text)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance where swapping two adjacent characters counts as one edit (OSA)."""
    rows = [list(range(len(b) + 1))] + [[i] + [0] * len(b) for i in range(1, len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


def strip_emoji(text: str) -> str:
    return re.sub("|".join(map(re.escape, EMOJI)), "", text)


def emoji_count(text: str) -> int:
    return sum(text.count(emoji) for emoji in EMOJI)


# --------------------------------------------------------------------------------------------
# the set as a whole


def test_one_item_per_example_and_perturbation() -> None:
    items = robustness_set(EXAMPLES)
    assert len(items) == len(EXAMPLES) * len(PERTURBATIONS)
    for perturbation in PERTURBATIONS:
        group = by_perturbation(items, perturbation)
        assert [(item.original, item.intent) for item in group] == EXAMPLES


def test_labels_and_originals_are_kept() -> None:
    for item in robustness_set(EXAMPLES):
        assert (item.original, item.intent) in EXAMPLES
        assert item.perturbation in PERTURBATIONS


def test_same_seed_gives_the_same_set() -> None:
    assert robustness_set(EXAMPLES, seed=7) == robustness_set(EXAMPLES, seed=7)


def test_another_seed_gives_another_set() -> None:
    assert robustness_set(EXAMPLES, seed=1) != robustness_set(EXAMPLES, seed=2)


def test_an_item_does_not_depend_on_the_other_examples() -> None:
    forwards = robustness_set(EXAMPLES)
    backwards = robustness_set(EXAMPLES[::-1])
    alone = robustness_set(EXAMPLES[3:4])
    assert sorted(forwards, key=repr) == sorted(backwards, key=repr)
    assert set(alone) <= set(forwards)


def test_the_set_does_not_depend_on_the_hash_seed() -> None:
    code = (
        f"from scripts.robustness import robustness_set\nprint(repr(robustness_set({EXAMPLES!r})))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent.parent,
            env={"PYTHONHASHSEED": hash_seed, "PYTHONIOENCODING": "utf-8"},
        ).stdout
        for hash_seed in ("1", "2")
    }
    assert outputs == {repr(robustness_set(EXAMPLES)) + "\n"}


def test_every_real_test_example_is_changed_unless_nothing_can_change() -> None:
    examples = load_test_split()
    assert len(examples) > 100
    for item in robustness_set(examples):
        assert item.text
        one_word_without_spaces = (
            item.perturbation == "no_spaces" and len(item.original.split()) == 1
        )
        assert (item.text == item.original) == one_word_without_spaces, item


# --------------------------------------------------------------------------------------------
# each perturbation's defining property


def test_typos_stay_within_one_edit_per_eight_letters() -> None:
    for item in by_perturbation(robustness_set(load_test_split() + EXAMPLES), "typos"):
        if not has_letters(item.original):
            continue
        letters = sum(character.isalpha() for character in item.original)
        assert 1 <= edit_distance(item.original, item.text) <= max(1, letters // 8), item


def test_typos_leave_digits_and_emoji_alone() -> None:
    original = "ik ben 15 😭 en echt verdrietig 🙏"
    for seed in range(30):
        text = perturb(original, "typos", random.Random(seed))
        assert re.sub(r"[^\W\d_]", "", text) == re.sub(r"[^\W\d_]", "", original)


def test_typos_only_touch_words_of_three_letters_or_more() -> None:
    for seed in range(30):
        text = perturb("ik ga nu naar huis", "typos", random.Random(seed))
        assert text.split()[:3] == ["ik", "ga", "nu"]


def test_no_spaces_has_no_spaces() -> None:
    for item in by_perturbation(robustness_set(EXAMPLES), "no_spaces"):
        assert " " not in item.text
        assert item.text == item.original.replace(" ", "")


def test_repeated_letters_make_a_run_of_three() -> None:
    for item in by_perturbation(robustness_set(load_test_split() + EXAMPLES), "repeated_letters"):
        if has_letters(item.original):
            assert re.search(r"([^\W\d_])\1\1", item.text), item
            assert item.text.replace(" ", "") != item.original.replace(" ", "")


def test_repeated_letters_stretch_the_end_or_the_last_vowel() -> None:
    seen = {perturb("help", "repeated_letters", random.Random(seed)) for seed in range(40)}
    assert seen <= {"help" + "p" * n for n in (2, 3, 4)} | {"h" + "e" * n + "lp" for n in (3, 4, 5)}
    assert "helppp" in seen
    assert {perturb("hoi", "repeated_letters", random.Random(seed)) for seed in range(20)} <= {
        "hoiii",
        "hoiiii",
        "hoiiiii",
    }


def test_emoji_adds_one_or_two_emoji() -> None:
    for item in by_perturbation(robustness_set(EXAMPLES), "emoji"):
        added = emoji_count(item.text) - emoji_count(item.original)
        assert added in (1, 2), item
        assert strip_emoji(item.text).split() == strip_emoji(item.original).split()


def test_english_contains_an_english_word() -> None:
    for item in by_perturbation(robustness_set(load_test_split() + EXAMPLES), "english"):
        words = set(re.findall(r"\w+", item.text.lower()))
        assert words & ENGLISH_WORDS, item


def test_english_replaces_dutch_words_keeping_their_case() -> None:
    text = perturb("Echt", "english", random.Random(0))
    assert text == "Really"
    text = perturb("weet ik niet", "english", random.Random(0))
    assert text == "idk"


def test_english_appends_a_filler_when_no_word_is_known() -> None:
    text = perturb("tijd om te pitten", "english", random.Random(0))
    head, filler = text.rsplit(" ", 1)
    assert head == "tijd om te pitten"
    assert filler in ENGLISH_FILLERS


def test_the_dictionary_never_maps_a_word_to_itself() -> None:
    for dutch, english in DUTCH_TO_ENGLISH.items():
        assert dutch.lower() != english.lower()


@pytest.mark.parametrize(
    ("text", "symbol"),
    [("👌", "👌"), ("❤️", "❤️"), ("👨‍👩‍👧", "👨‍👩‍👧"), ("🇳🇱", "🇳🇱"), ("👍🏽", "👍🏽"), ("112!", "!")],
)
def test_text_without_letters_gets_its_last_symbol_repeated(text: str, symbol: str) -> None:
    # A new emoji or filler could change the meaning; the same symbol typed again does not.
    assert perturb(text, "typos", random.Random(0)) == text + symbol
    stretched = {perturb(text, "repeated_letters", random.Random(seed)) for seed in range(20)}
    assert stretched == {text + symbol * times for times in (2, 3, 4)}


def test_unknown_perturbation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturb("hoi", "leet", random.Random(0))


@pytest.mark.parametrize("perturbation", PERTURBATIONS)
@pytest.mark.parametrize("text", ["", "   "])
def test_blank_text_is_returned_unchanged(text: str, perturbation: str) -> None:
    assert perturb(text, perturbation, random.Random(0)) == text


# --------------------------------------------------------------------------------------------
# any input

DUTCHISH = st.one_of(
    st.lists(
        st.sampled_from([*DUTCH_WORDS, "hoi", "ik", "ben", "15", "😭", "❤️", "ij", "één", "a"]),
        min_size=1,
    ).map(" ".join),
    st.text(alphabet="aeiouyklmnpstéë IJ1 2😭❤️👨‍👩‍👧!?\n\t", min_size=1),
    st.text(min_size=1),
)


@given(DUTCHISH, st.sampled_from(PERTURBATIONS), st.integers())
def test_perturb_never_raises_or_empties(text: str, perturbation: str, seed: int) -> None:
    perturbed = perturb(text, perturbation, random.Random(seed))
    assert perturbed
    visible = bool(text.strip())
    has_whitespace = any(character.isspace() for character in text)
    if visible and (perturbation != "no_spaces" or has_whitespace):
        assert perturbed != text
    letters = sum(character.isalpha() for character in text)
    if perturbation == "typos" and letters:
        assert 1 <= edit_distance(text, perturbed) <= max(1, letters // 8)

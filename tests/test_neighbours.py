"""Nearest-neighbour features (nlu/neighbours.py) against a brute-force reading."""

from __future__ import annotations

import numpy as np
import pytest

from nlu import neighbours
from nlu.neighbours import Array, neighbour_similarities, unit_rows


def brute_force(queries: Array, memory: Array, labels: Array, classes: int,
                k: int, leave_one_out: bool) -> Array:
    out = np.zeros((len(queries), classes))
    for i, query in enumerate(queries):
        for c in range(classes):
            similarities = sorted(
                (float(query @ memory[j]) for j in range(len(memory))
                 if labels[j] == c and not (leave_one_out and i == j)),
                reverse=True)
            out[i, c] = np.mean(similarities[:k]) if similarities else 0.0
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("leave_one_out", [False, True])
def test_matches_brute_force_in_any_chunking(
    seed: int, leave_one_out: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    memory = unit_rows(rng.normal(size=(23, 5)))
    # Class 2 has a single example, class 3 none: fewer than k neighbours.
    labels = np.array([0] * 12 + [1] * 10 + [2])
    queries = memory if leave_one_out else unit_rows(rng.normal(size=(9, 5)))
    expected = brute_force(queries, memory, labels, 4, 3, leave_one_out)
    monkeypatch.setattr(neighbours, "CHUNK", 4)  # several chunks, the last one short
    result = neighbour_similarities(queries, memory, labels, 4, 3, leave_one_out)
    assert result == pytest.approx(expected, abs=1e-5)
    assert not result[:, 3].any()


def test_leaving_one_out_hides_each_example_from_itself() -> None:
    memory = unit_rows(np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))
    labels = np.array([0, 1, 1])
    seen = neighbour_similarities(memory, memory, labels, 2, 1)
    hidden = neighbour_similarities(memory, memory, labels, 2, 1, leave_one_out=True)
    assert seen[:, 0] == pytest.approx([1.0, 0.0, 0.6])
    assert seen[1:, 1] == pytest.approx([1.0, 1.0])
    # Without itself, the second example's nearest of its class is the third (0.8).
    assert hidden[1:, 1] == pytest.approx([0.8, 0.8])
    assert hidden[0, 0] == 0.0  # the only example of its class


def test_unit_rows_leaves_a_zero_row_zero() -> None:
    rows = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert rows.tolist() == [pytest.approx([0.6, 0.8]), [0.0, 0.0]]
    assert rows.dtype == np.float32


def test_refuses_nonsense() -> None:
    memory = unit_rows(np.eye(3))
    with pytest.raises(ValueError, match="k must be"):
        neighbour_similarities(memory, memory, np.array([0, 1, 1]), 2, 0)
    with pytest.raises(ValueError, match="leave_one_out"):
        neighbour_similarities(memory[:2], memory, np.array([0, 1, 1]), 2, 1, True)

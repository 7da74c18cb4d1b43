"""Nearest-neighbour features: how close a message's sentence embedding comes to each intent.

A linear model over the e5 embedding draws one flat boundary per intent through a space
where a single intent is often several islands (a topic said as a question, as a story, as
slang). The mean cosine similarity of a message's k nearest training examples of each
intent measures the distance to the nearest island instead, which a linear model cannot
compute from the embedding itself. The classifier gets these per-intent similarities as one
more block of features beside the n-grams and the embedding (docs/nlu-evaluation.md
measures what they add).

While training, every training example's own similarities are computed without itself
(leave-one-out): with itself among its neighbours every example would look like a perfect
match of its own intent, and the model would learn to trust the block far more than it
deserves on a message it has never seen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

# Rows of the similarity matrix computed at once: bounds memory to CHUNK × training examples
# (about 55 MB at 13,650 examples) however many messages are scored.
CHUNK = 1024


def unit_rows(matrix: Array) -> Array:
    """Rows scaled to length 1 (all-zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def neighbour_similarities(
    queries: Array,
    memory: Array,
    memory_labels: Array,
    classes: int,
    k: int,
    leave_one_out: bool = False,
) -> Array:
    """For each query row, per class, the mean cosine similarity of its `k` most similar
    memory rows of that class (fewer when the class has fewer).

    `queries` and `memory` must have unit rows (`unit_rows`); `memory_labels` holds each
    memory row's class index (0 .. classes-1). With `leave_one_out`, the queries are the
    memory itself and each row's similarity to itself is left out.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if leave_one_out and queries.shape[0] != memory.shape[0]:
        raise ValueError("leave_one_out needs the memory as the queries")
    members = [np.flatnonzero(memory_labels == c) for c in range(classes)]
    result = np.zeros((queries.shape[0], classes), dtype=np.float32)
    for start in range(0, queries.shape[0], CHUNK):
        similarity = queries[start:start + CHUNK] @ memory.T
        if leave_one_out:
            rows = np.arange(similarity.shape[0])
            similarity[rows, rows + start] = -np.inf
        for c, columns in enumerate(members):
            take = min(k, len(columns))
            if take == 0:
                continue
            nearest = -np.partition(-similarity[:, columns], take - 1, axis=1)[:, :take]
            # Left out, a row's own similarity is -inf: average its other neighbours only
            # (a class of one example has none: 0).
            finite = np.isfinite(nearest)
            result[start:start + CHUNK, c] = (np.where(finite, nearest, 0).sum(1)
                                              / np.maximum(finite.sum(1), 1))
    return result

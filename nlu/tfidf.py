"""Sublinear TF-IDF over blocks of sparse counts, for the linear intent classifier.

Each sparse featurizer (words and word pairs, character n-grams) gives one block of
columns. Normalised as one, the character n-grams (dozens a message) would drown the
handful of words, so each block can be L2-normalised on its own, weighted, and then the
blocks normalised together (nlu/linear_classifier.py, `sparse_norm: per_featurizer`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse

Array = npt.NDArray[Any]


def l2_normalise_rows(matrix: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
    """Scale every non-zero row of a sparse matrix to unit length."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return scipy.sparse.csr_matrix(scipy.sparse.diags(1.0 / norms) @ matrix)


def smooth_idf(sparse: scipy.sparse.csr_matrix) -> Array:
    """scikit-learn's smoothed inverse document frequency of every column."""
    documents = sparse.shape[0]
    frequency = np.bincount(sparse.indices, minlength=sparse.shape[1])
    return np.log((1 + documents) / (1 + frequency)) + 1.0


def weighted_blocks(
    sparse: scipy.sparse.csr_matrix,
    idf: Array,
    block_sizes: Array | None,
    block_weights: Sequence[float],
) -> scipy.sparse.csr_matrix:
    """Sublinear TF-IDF, each block (`block_sizes` columns wide, in order) L2-normalised on
    its own and scaled by its weight, then the blocks together; one block without sizes."""
    weighted = sparse.copy().astype(np.float64)
    weighted.data = np.log1p(np.abs(weighted.data))  # sublinear term frequency
    weighted = scipy.sparse.csr_matrix(weighted.multiply(idf))
    if block_sizes is None or len(block_sizes) < 2:
        return l2_normalise_rows(weighted)
    edges = np.concatenate([[0], np.cumsum(block_sizes)])
    blocks = [l2_normalise_rows(weighted[:, start:stop]) * weight
              for (start, stop), weight in zip(itertools.pairwise(edges), block_weights,
                                               strict=True)]
    return l2_normalise_rows(scipy.sparse.hstack(blocks).tocsr())

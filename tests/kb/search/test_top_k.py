"""The candidates' top-k by partial sort picks exactly what a full sort of the allowed rows does:
best first, ties by row, rows without a score or outside the filter never."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.search.service import _top


def _sorted_top(scores: np.ndarray, mask: np.ndarray, limit: int) -> list[int]:
    rows = [r for r in range(len(scores)) if mask[r] and scores[r] > 0]
    return sorted(rows, key=lambda r: (-scores[r], r))[:limit]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.24, 0.25, 0.3, 0.5, 0.51, 0.9, 1.0]),
                min_size=0, max_size=400),
       st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=0, max_value=300))
def test_partial_sort_equals_a_full_sort(values, seed, limit):
    scores = np.asarray(values, dtype=np.float64)
    mask = np.random.default_rng(seed).random(len(scores)) < 0.7
    rows, picked = _top(scores, mask, limit)
    assert rows.tolist() == _sorted_top(scores, mask, limit)
    assert np.allclose(picked, scores[rows])


def test_the_best_row_filtered_out_does_not_hide_the_allowed_ones():
    scores = np.zeros(1000)
    scores[0] = 1.0  # the best row, but the filter excludes it
    scores[1:300] = np.linspace(0.1, 0.3, 299)  # every allowed row is below half of it
    mask = np.ones(1000, dtype=bool)
    mask[0] = False
    rows, _ = _top(scores, mask, 200)
    assert rows.tolist() == _sorted_top(scores, mask, 200)
    assert len(rows) == 200

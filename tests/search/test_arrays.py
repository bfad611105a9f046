"""search/arrays.py gives what np.unique gives (values, counts, inverse), for any integer array."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from search.arrays import unique, unique_counts, unique_inverse

INTS = arrays(np.int64, st.integers(0, 300), elements=st.integers(-2**62, 2**62))
FEW = arrays(np.int64, st.integers(0, 300), elements=st.integers(-3, 3))


@given(st.one_of(INTS, FEW))
def test_the_same_as_np_unique(x):
    assert np.array_equal(unique(x), np.unique(x))
    values, counts = unique_counts(x)
    expected_values, expected_counts = np.unique(x, return_counts=True)
    assert np.array_equal(values, expected_values) and np.array_equal(counts, expected_counts)
    values, inverse = unique_inverse(x)
    assert np.array_equal(values, np.unique(x)) and np.array_equal(values[inverse], x)

"""Median blur: the Numba kernel against cv2.medianBlur and against the naive oracle.

A median is an order statistic, so the output must be identical for every dtype, ksize and
shape; the selection networks behind ksize 3 and 5 are also checked exhaustively.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import imgkit
from imgkit.kernels import median

from conftest import EDGE_SHAPES, at_4k, channels_of, photo, random_image
from naive import nonlinear

KSIZES = [1, 3, 5, 7, 9, 15]
DTYPES = [np.uint8, np.uint16, np.float32]


def ksizes_for(dtype):
    """OpenCV's limits: 3 and 5 for every dtype, larger windows for uint8 only."""
    return KSIZES if dtype == np.uint8 else [k for k in KSIZES if k <= 5]


def assert_identical(image, ksize):
    result = imgkit.median_blur(image, ksize)
    expected = imgkit.median_blur(image, ksize, backend="opencv")
    # cv2 returns an H×W×1 input as H×W; imgkit keeps the input's shape.
    assert result.shape == image.shape and result.dtype == image.dtype
    np.testing.assert_array_equal(result, expected.reshape(result.shape))


# ------------------------------------------------------------------------- the networks

def sorted_column_cases(k):
    """Every k × k window of 0s and 1s whose columns are sorted, as the network sees it:
    row r of the result holds rank r of every column, the columns of a case ``n`` apart."""
    cases = list(itertools.product(range(k + 1), repeat=k))     # number of 0s per column
    n = len(cases)
    columns = np.ones((k, k * n), np.uint8)
    for i, zeros in enumerate(cases):
        for c, z in enumerate(zeros):
            columns[:z, c * n + i] = 0
    return cases, columns, n


@pytest.mark.parametrize("k", [3, 5])
def test_network_selects_the_median_of_every_01_window(k):
    """0-1 principle: a comparator network selects the median of any input iff it does so
    for every input of 0s and 1s (here: every window with sorted columns)."""
    cases, columns, n = sorted_column_cases(k)
    out = np.empty(n, np.uint8)
    if k == 3:
        median._median9_of_columns(columns[0], columns[1], columns[2], out, n)
    else:
        median._median25_of_columns(columns, out, n)
    zeros = np.array([sum(case) for case in cases])
    expected = (zeros <= k * k // 2).astype(np.uint8)            # median is 0 iff zeros are the majority
    np.testing.assert_array_equal(out, expected)


# ------------------------------------------------------------------------- photos

@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_photos_identical(photo_name, gray):
    image = photo(photo_name, gray)
    for ksize in KSIZES:
        assert_identical(image, ksize)
    for dtype in (np.uint16, np.float32):
        scaled = image.astype(dtype) * (257 if dtype == np.uint16 else np.float32(1 / 255))
        for ksize in (3, 5):
            assert_identical(scaled, ksize)


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_4k_photo_identical(gray):
    image = at_4k(photo("astronaut.png", gray))
    for ksize in (3, 5, 15):
        assert_identical(image, ksize)


# ------------------------------------------------------------------------- random images

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("channels", [0, 1, 3, 4])
@pytest.mark.parametrize("shape", EDGE_SHAPES, ids=str)
def test_random_identical(shape, channels, dtype):
    image = channels_of(shape, channels, dtype, seed=sum(shape) + channels)
    for ksize in ksizes_for(dtype):
        assert_identical(image, ksize)


@pytest.mark.parametrize("ksize", [3, 5, 7, 25])
def test_large_uint8_histogram_path_identical(ksize):
    """A band boundary, a window taller than the image, and long runs of one coarse bin."""
    image = random_image((97, 131, 3), np.uint8, seed=ksize)
    image[40:60] //= 16                                            # many values in one coarse bin
    assert_identical(image, ksize)
    assert_identical(image[:, :7], ksize)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (9, 12), (16, 17)], ids=str)
def test_matches_naive(shape, dtype):
    image = random_image(shape + (3,), dtype, seed=7)
    for ksize in ksizes_for(dtype):
        np.testing.assert_array_equal(imgkit.median_blur(image, ksize), nonlinear.median_blur(image, ksize))


def test_float32_extremes_and_ties():
    image = np.array([[0.0, -0.0, 1e-30, -np.inf, np.inf],
                      [3.4e38, -3.4e38, 1.0, 1.0, 1.0],
                      [2.0, 2.0, 2.0, 0.5, 0.25]], np.float32)
    for ksize in (3, 5):
        assert_identical(image, ksize)


# ------------------------------------------------------------------------- properties

images = st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([1, 3])).flatmap(
    lambda s: arrays(np.uint8, s))


@settings(max_examples=40, deadline=None)
@given(images, st.sampled_from([3, 5, 7]))
def test_output_values_come_from_the_window(image, ksize):
    """Every output value occurs in its (replicate-padded) window."""
    result = imgkit.median_blur(image, ksize)
    r = ksize // 2
    padded = np.pad(image, ((r, r), (r, r), (0, 0)), mode="edge")
    for y, x, c in itertools.product(*map(range, image.shape)):
        assert result[y, x, c] in padded[y:y + ksize, x:x + ksize, c]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 20), st.integers(1, 20), st.sampled_from(DTYPES), st.integers(0, 255),
       st.sampled_from([1, 3, 5]))
def test_constant_image_stays_constant(h, w, dtype, value, ksize):
    image = np.full((h, w), value, dtype)
    np.testing.assert_array_equal(imgkit.median_blur(image, ksize), image)

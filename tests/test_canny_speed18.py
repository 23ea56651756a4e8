"""Canny's int16 path (aperture 3, L1: issue 18): the rules it rewrites, checked where they can
go wrong: the direction test done with a ``mulhi``, the channel chosen by a packed key on
ties, and an output written by the suppression and the floods with no final pass."""

import cv2
import numpy as np
import pytest
from numba import njit

import imgkit
from imgkit.kernels import canny as kernels

from conftest import random_image


@njit(cache=False)
def _sectors(u, v):
    out = np.empty(u.size, np.int16)
    for i in range(u.size):
        out[i] = kernels._sector(u[i], v[i])
    return out


def test_sector_is_opencvs_integer_rule_for_every_gradient():
    """Every (dx, dy) aperture 3 can make (|dx|, |dy| ≤ 1020): the int16 test with t =
    ⌊|dx|·TG22 / 2^15⌋ sorts it as OpenCV's ``|dy|·2^15 < |dx|·TG22`` and
    ``|dy|·2^15 > |dx|·(TG22 + 2^16)`` do (all but (0, 0), whose magnitude is never a maximum)."""
    u, v = np.meshgrid(np.arange(-1020, 1021), np.arange(-1020, 1021))
    u, v = u.ravel().astype(np.int16), v.ravel().astype(np.int16)
    ax, ay = np.abs(u.astype(np.int64)), np.abs(v.astype(np.int64)) << 15
    expected = np.where(ay < ax * kernels.TG22, kernels.HORIZONTAL,
                        np.where(ay > ax * (kernels.TG22 + (1 << 16)), kernels.VERTICAL,
                                 np.where((u < 0) == (v < 0), kernels.DIAGONAL_SAME, kernels.DIAGONAL_OPPOSITE)))
    got = _sectors(u, v)
    zero = (u == 0) & (v == 0)
    np.testing.assert_array_equal(got[~zero], expected[~zero])


@pytest.mark.parametrize("seed", range(4))
def test_colour_ties_go_to_the_first_channel(seed):
    """Channels of two levels only: their magnitudes tie at most pixels, often in different
    directions, so the channel taken on a tie (the first, as OpenCV) decides the edges."""
    rng = np.random.default_rng(seed)
    image = (rng.integers(0, 2, (61, 83, 3)) * 40).astype(np.uint8)
    for low, high in [(30, 90), (100, 200), (0, 40)]:
        np.testing.assert_array_equal(imgkit.canny(image, low, high, sigma=0), cv2.Canny(image, low, high))


def test_transposed_channels_tie_across_directions():
    """Channel 1 is channel 0 transposed: on the diagonal their magnitudes tie with the
    directions swapped (horizontal against vertical)."""
    base = cv2.GaussianBlur(random_image((96, 96), np.uint8, 7), (5, 5), 0)
    image = np.dstack([base, base.T.copy(), np.zeros_like(base)])
    for low, high in [(10, 40), (40, 120)]:
        np.testing.assert_array_equal(imgkit.canny(image, low, high, sigma=0), cv2.Canny(image, low, high))


def test_every_output_pixel_is_written(monkeypatch):
    """No final pass: the suppression writes every row (0 or 255) and the floods add the rest.
    An output buffer full of garbage must not show through."""
    cases = []
    for channels in (1, 3):
        shape = (45, 70, channels) if channels == 3 else (45, 70)
        image = cv2.GaussianBlur(random_image(shape, np.uint8, channels), (3, 3), 0).reshape(shape)
        for aperture, l2 in [(3, False), (3, True), (5, False)]:
            low, high = (20, 60) if aperture == 3 else (200, 600)
            cases.append((image, low, high, aperture, l2))
            imgkit.canny(image, low, high, sigma=0, aperture=aperture, l2=l2)     # compiled before the patch
    real_empty = np.empty

    def dirty_empty(shape, dtype=float, *args, **kwargs):
        array = real_empty(shape, dtype, *args, **kwargs)
        if np.dtype(dtype) == np.uint8:
            array.fill(77)
        return array

    monkeypatch.setattr(np, "empty", dirty_empty)
    for image, low, high, aperture, l2 in cases:
        result = imgkit.canny(image, low, high, sigma=0, aperture=aperture, l2=l2)
        np.testing.assert_array_equal(result, cv2.Canny(image, low, high, apertureSize=aperture, L2gradient=l2))


@pytest.mark.parametrize("low, high", [(-5, -1), (0, 0), (2040, 2040), (2039, 2041), (32767, 40000),
                                       (2.0 ** 31, 2.0 ** 31)])
def test_thresholds_clamped_to_int16_keep_their_meaning(low, high):
    """The int16 path clamps the thresholds to -1…32767; magnitudes are 0–2040, so every
    comparison keeps its outcome, at the edges of that range too."""
    image = np.zeros((20, 24), np.uint8)
    image[:, 12:] = 255                        # |dx| + |dy| = 1020 on the step
    image[5:8, 3:6] = 255                      # corners: both gradients at once
    for picture in (image, random_image((33, 47), np.uint8, 3)):
        np.testing.assert_array_equal(imgkit.canny(picture, low, high, sigma=0),
                                      imgkit.canny(picture, low, high, sigma=0, backend="opencv"))


def test_strips_of_one_row_are_still_joined(monkeypatch):
    """The joining flood is skipped only when one strip ran (no strip began after row 0):
    images split into strips of a row or two are still joined."""
    import numba
    monkeypatch.setattr(kernels, "MIN_VALUES_PER_STRIP", 8)
    threads = numba.get_num_threads()
    numba.set_num_threads(max(2, threads) if numba.config.NUMBA_NUM_THREADS >= 2 else 1)
    try:
        for seed, shape in enumerate([(2, 300), (3, 200), (2, 150, 3), (5, 90)]):
            image = cv2.GaussianBlur(random_image(shape, np.uint8, seed), (3, 3), 0).reshape(shape)
            for low, high in [(5, 300), (20, 500)]:
                np.testing.assert_array_equal(imgkit.canny(image, low, high, sigma=0), cv2.Canny(image, low, high))
    finally:
        numba.set_num_threads(threads)

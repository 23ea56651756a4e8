"""Gaussian blur: the Numba kernel against cv2.GaussianBlur and against the naive oracle.

uint8 and uint16 must be identical to OpenCV (its fixed-point path); float32 within 1e-5
relative (measured: about 6e-7).
"""

import cv2
import numpy as np
import pytest

import imgkit
from imgkit.kernels import gaussian
from imgkit.options import BORDERS

from conftest import EDGE_SHAPES, assert_matches, at_4k, channels_of, photo
from naive import linear

# (sigma, sigma_y, ksize): from sigma, anisotropic, and ksize with sigma 0 (the fixed
# tables for 3/5/7/9 and the formula beyond)
CASES = [(0.5, None, None), (1.0, None, None), (1.1, None, None), (2.0, None, None),
         (3.7, None, None), (1.5, 0.7, None), (0, None, 3), (0, None, 5), (0, None, 9),
         (0, None, 11), (2.0, None, 5)]


def reference(image, sigma, sigma_y=None, ksize=None, border="reflect101"):
    return imgkit.gaussian_blur(image, sigma, sigma_y=sigma_y, ksize=ksize, border=border, backend="opencv")


# ------------------------------------------------------------------------- kernel taps

@pytest.mark.parametrize("ksize", [1, 3, 5, 7, 9, 11, 13, 25, 51])
@pytest.mark.parametrize("sigma", [0.0, 0.3, 0.5, 0.8, 1.0, 1.1, 1.37, 2.0, 3.7, 8.0, 25.0])
def test_kernel_is_opencvs_to_the_bit(ksize, sigma):
    np.testing.assert_array_equal(gaussian.gaussian_kernel(ksize, sigma),
                                  cv2.getGaussianKernel(ksize, sigma, cv2.CV_64F).ravel())


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("ksize, sigma", [(3, 0), (5, 1.0), (13, 2.0), (23, 3.7), (7, 0.2)])
def test_fixed_point_taps_sum_to_one_and_match_the_oracle(ksize, sigma, bits):
    kernel = gaussian.gaussian_kernel(ksize, sigma)
    taps = gaussian.fixed_point_taps(kernel, bits)
    assert taps.sum() == 1 << bits
    assert (taps >= 0).all() and (taps == taps[::-1]).all()
    assert list(taps) == linear.quantise_ed(kernel, bits)


def test_softfloat_exp_is_close_to_exp():
    xs = -np.linspace(0, 40, 2001)
    ours = np.array([gaussian.softfloat_exp(x) for x in xs])
    np.testing.assert_allclose(ours, np.exp(xs), rtol=1e-14)   # a few ulps


# ------------------------------------------------------------------------- photos

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_photos_identical(photo_name, gray, dtype):
    image = photo(photo_name, gray)
    if dtype == np.uint16:
        image = image.astype(np.uint16) * 257 + (image > 128)   # spread over the 16-bit range
    for sigma, sigma_y, ksize in [(1.0, None, None), (2.0, None, None), (3.7, 1.1, None)]:
        assert_matches(imgkit.gaussian_blur(image, sigma, sigma_y=sigma_y, ksize=ksize),
                       reference(image, sigma, sigma_y, ksize))


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_4k_photo_identical(gray):
    image = at_4k(photo("astronaut.png", gray))
    for border in ("reflect101", "constant"):
        assert_matches(imgkit.gaussian_blur(image, 2.0, border=border),
                       reference(image, 2.0, border=border))


def test_float32_photo_close():
    image = photo("coffee.png").astype(np.float32)
    for sigma in (0.5, 2.0, 3.7):
        result = imgkit.gaussian_blur(image, sigma)
        expected = reference(image, sigma)
        assert_matches(result, expected)
        relative = np.abs(result.astype(np.float64) - expected) / np.maximum(np.abs(expected), 1)
        assert relative.max() < 2e-6


# ------------------------------------------------------------------------- random images, every border

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("border", list(BORDERS))
def test_edge_shapes_every_border(border, dtype):
    seed = 0
    for shape in EDGE_SHAPES + [(40, 57)]:
        for channels in (0, 1, 3, 4):
            seed += 1
            image = channels_of(shape, channels, dtype, seed)
            for sigma, sigma_y, ksize in CASES:
                assert_matches(
                    imgkit.gaussian_blur(image, sigma, sigma_y=sigma_y, ksize=ksize, border=border),
                    reference(image, sigma, sigma_y, ksize, border))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_naive_oracle(dtype):
    from imgkit.ops.blur import gaussian_ksize
    seed = 100
    for shape in [(1, 1), (1, 6), (5, 1), (4, 7), (9, 6)]:
        for channels in (0, 3):
            seed += 1
            image = channels_of(shape, channels, dtype, seed)
            for name, border in BORDERS.items():
                for sigma, sigma_y in [(0.8, 0.8), (1.3, 0.6)]:
                    kx, ky = gaussian_ksize(sigma, dtype), gaussian_ksize(sigma_y, dtype)
                    expected = linear.gaussian_blur(image, gaussian.gaussian_kernel(kx, sigma),
                                                    gaussian.gaussian_kernel(ky, sigma_y), border)
                    assert_matches(imgkit.gaussian_blur(image, sigma, sigma_y=sigma_y, border=name),
                                   expected)

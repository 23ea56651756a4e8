"""Box blur: the Numba kernel against cv2.blur and against the naive oracle.

uint8 and uint16 must be identical to OpenCV, including its rounding quirks (the upward bias
of power-of-two areas, float32 division for large areas with a double-precision row tail);
float32 within 1e-5 relative (measured: identical).
"""

import cv2
import numpy as np
import pytest

import imgkit
from imgkit.kernels import box
from imgkit.options import BORDERS

from conftest import EDGE_SHAPES, assert_matches, at_4k, channels_of, photo, random_image
from naive import linear

KSIZES = [1, 2, 3, 4, 5, 8, 16, 17]      # 16: area 256, the last on the ushort path; 17: 289


def reference(image, ksize, border="reflect101"):
    return imgkit.box_blur(image, ksize, border=border, backend="opencv")


# ------------------------------------------------------------------------- the division rule

@pytest.mark.parametrize("area", [k * k for k in range(2, 17)] + [7, 255, 256])
def test_division_offset(area):
    """uint8 sums: round half up, but one more for powers of two (OpenCV's ((s+dd)·ds)>>23)."""
    power_of_two = area & (area - 1) == 0
    assert box.division_offset(area) == area // 2 + (1 if power_of_two else 0)


# ------------------------------------------------------------------------- photos

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_photos_identical(photo_name, gray, dtype):
    image = photo(photo_name, gray)
    if dtype == np.uint16:
        image = image.astype(np.uint16) * 257 + (image > 128)
    for ksize in (3, 4, 5, 16, 17):
        assert_matches(imgkit.box_blur(image, ksize), reference(image, ksize))


@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
def test_4k_photo_identical(gray):
    image = at_4k(photo("chelsea.png", gray))
    for ksize, border in [(5, "reflect101"), (4, "replicate"), (17, "constant")]:
        assert_matches(imgkit.box_blur(image, ksize, border=border), reference(image, ksize, border))


def test_float32_photo_close():
    image = photo("coffee.png").astype(np.float32)
    for ksize in (3, 8, 17):
        result = imgkit.box_blur(image, ksize)
        expected = reference(image, ksize)
        assert_matches(result, expected)
        relative = np.abs(result.astype(np.float64) - expected) / np.maximum(np.abs(expected), 1)
        assert relative.max() < 1e-6


# ------------------------------------------------------------------------- random images, every border

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("border", list(BORDERS))
def test_edge_shapes_every_border(border, dtype):
    seed = 0
    for shape in EDGE_SHAPES + [(40, 57)]:
        for channels in (0, 1, 3, 4):
            seed += 1
            image = channels_of(shape, channels, dtype, seed)
            for ksize in KSIZES:
                assert_matches(imgkit.box_blur(image, ksize, border=border),
                               reference(image, ksize, border))


@pytest.mark.parametrize("border", ["reflect101", "wrap"])
def test_uint16_large_window_rounding(border):
    """Areas over 256 divide in float32, but the last W·C mod 8 values of a row in double:
    full-range uint16 sums exceed float32's precision, so both rules are visible."""
    for width in (61, 64, 203):
        for channels in (0, 3):
            image = channels_of((48, width), channels, np.uint16, width + channels)
            for ksize in (17, 18):
                assert_matches(imgkit.box_blur(image, ksize, border=border),
                               reference(image, ksize, border))


def test_uint8_ties_of_even_areas():
    """Sums exactly halfway between two outputs, for areas on both sides of 256."""
    rng = np.random.default_rng(3)
    for ksize in (2, 4, 6, 16, 18, 20):
        image = (200 + (rng.random((50, 45, 3)) < 0.5)).astype(np.uint8)
        assert_matches(imgkit.box_blur(image, ksize), reference(image, ksize))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_rectangular_windows(dtype):
    """The kernel takes kx ≠ ky (cv2.blur does). 1×2 windows over two 255s reach 256:
    OpenCV saturates it in its vector loop and wraps it to 0 in its scalar row tail."""
    rng = np.random.default_rng(11)
    for kx, ky in [(2, 1), (1, 2), (3, 5), (4, 1), (16, 17), (1, 24)]:
        for width, channels in [(13, 3), (16, 4), (21, 1)]:
            image = random_image((30, width, channels), dtype, kx * ky + width)
            image[rng.random(image.shape) < 0.3] = np.iinfo(dtype).max
            for border in (BORDERS["reflect101"], BORDERS["constant"]):
                expected = cv2.blur(image, (kx, ky), borderType=border).reshape(image.shape)
                np.testing.assert_array_equal(box.box_blur(image, kx, ky, border), expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_naive_oracle(dtype):
    seed = 100
    for shape in [(1, 1), (1, 6), (5, 1), (4, 7), (9, 6)]:
        for channels in (0, 3):
            seed += 1
            image = channels_of(shape, channels, dtype, seed)
            for name, border in BORDERS.items():
                for ksize in (1, 2, 3, 4, 5):
                    assert_matches(imgkit.box_blur(image, ksize, border=name),
                                   linear.box_blur(image, ksize, border))

"""Issue 18: gray uint8 area shrinking by non-integer factors sums its taps pass by pass, each
pass gathering 16 source pixels as 32-bit words (``simd.load_u32``). Still ``cv2.resize`` bit
for bit at every row width around the vector loop's cuts and the word tail, never a read past
the image, and the gathers really are emitted."""

import cv2
import numpy as np
import pytest

from gathers import assert_no_read_past_the_image, needs_avx512, zmm_gathers
from imgkit.kernels.resize import resize_area

WIDTHS = (1, 2, 3, 4, 5, 15, 16, 17, 31, 33, 64, 65, 97)
FACTORS = (0.3, 0.37, 0.45, 0.61, 0.73, 0.9)


def test_every_width_matches_opencv():
    rng = np.random.default_rng(18)
    for width in WIDTHS:
        for height in (1, 7, 23):
            image = rng.integers(0, 256, (height, width, 1), np.uint8)
            for f in FACTORS:
                if round(width * f) == 0 or round(height * f) == 0:
                    continue
                expected = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA).reshape(
                    round(height * f), round(width * f), 1)
                result = resize_area(image, expected.shape[1], expected.shape[0], inv_scale=(f, f))
                np.testing.assert_array_equal(result, expected, err_msg=f"{width}×{height}, x{f}")


def test_photo_at_4k_matches_opencv():
    from imgkit.bench import bench_image
    image = bench_image((3840, 2160), 1)
    for f in (0.37, 0.73):
        expected = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        result = resize_area(image[:, :, None], expected.shape[1], expected.shape[0], inv_scale=(f, f))
        np.testing.assert_array_equal(result[..., 0], expected, err_msg=f"x{f}")


def test_no_read_past_the_image():
    """A word read for the last pixels of the last row (up to 3 bytes beyond) would crash the child."""
    assert_no_read_past_the_image("resize_area", ((61, 31, 0.73), (64, 60, 0.37), (50, 81, 0.3), (7, 3, 0.61)))


@needs_avx512
def test_passes_gather_16_lanes(tmp_path):
    setup = """
        import numpy as np
        from imgkit.kernels.resize import resize_area, _area_gray_u8_rows
        resize_area(np.zeros((40, 40, 1), np.uint8), 15, 15)
    """
    assert zmm_gathers(setup, "_area_gray_u8_rows", tmp_path)[1] >= 2     # the first pass and the others


def test_kept_tables_follow_the_geometry_dtype_and_channels():
    """The tables are kept per geometry: a size from a factor (fx) and the same size given as
    a size map differently, and gray uint8 (tap by tap), gray uint16 (flat) and BGR (padded
    per pixel) of one geometry each get their own."""
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (101, 149, 3), np.uint8)
    gray = image[:, :, :1].copy()
    for _ in range(2):                     # the second round reads the kept tables
        for planes in (gray, gray.astype(np.uint16) * 257, image):
            by_factor = cv2.resize(planes, None, fx=0.63, fy=0.63, interpolation=cv2.INTER_AREA)
            h, w = by_factor.shape[:2]
            by_size = cv2.resize(planes, (w, h), interpolation=cv2.INTER_AREA)
            assert not np.array_equal(by_factor, by_size)
            np.testing.assert_array_equal(resize_area(planes, w, h, inv_scale=(0.63, 0.63)).reshape(by_factor.shape),
                                          by_factor)
            np.testing.assert_array_equal(resize_area(planes, w, h).reshape(by_size.shape), by_size)

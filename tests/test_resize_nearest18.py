"""Issue 18: nearest resize reads 1- and 3-byte pixels as 32-bit words gathered 16 at a time
(``simd.load_u32``) and keeps its tables per geometry. Still ``cv2.resize`` bit for bit at every
row width around the vector loop's cuts and the word tail, for every pixel size, never a read
past the image, and the gathers really are emitted."""

import cv2
import numpy as np
import pytest

from gathers import assert_no_read_past_the_image, assert_resize_matches_opencv, needs_avx512, zmm_gathers
from imgkit.kernels.resize import resize_nearest

WIDTHS = (1, 2, 3, 4, 5, 15, 16, 17, 31, 33, 64, 65)
FACTORS = (0.3, 0.37, 0.5, 1 / 3, 0.73, 1.6, 2.3, 3.0)     # 0.3: gray pixels 4 apart, a word each


@pytest.mark.parametrize("dtype, channels", [(np.uint8, 1), (np.uint8, 3), (np.uint8, 4),
                                             (np.uint16, 1), (np.uint16, 3), (np.float32, 3)])
def test_every_width_matches_opencv(dtype, channels):
    assert_resize_matches_opencv(resize_nearest, cv2.INTER_NEAREST, [(dtype, channels)], WIDTHS, FACTORS)


def test_no_read_past_the_image():
    """A word read for the last pixels of the last row (up to 3 bytes beyond) would crash the child."""
    assert_no_read_past_the_image("resize_nearest", ((61, 20, 2.3), (64, 20, 0.73), (50, 27, 0.37), (7, 3, 3.0),
                                                     (40, 9, 0.5), (63, 21, 0.3)), channels=(1, 3))


@needs_avx512
def test_rows_gather_16_lanes(tmp_path):
    """``vpgatherdd`` on zmm registers in the gray and the BGR loop."""
    setup = """
        import numpy as np
        from imgkit.kernels.resize import resize_nearest, _nearest_rows
        resize_nearest(np.zeros((8, 8, 1), np.uint8), 5, 5)
    """
    assert zmm_gathers(setup, "_nearest_rows", tmp_path)[1] >= 2


def test_kept_tables_follow_the_geometry_and_pixel_size():
    """The tables are kept per geometry: a size from a factor (fx) and the same size given as
    a size map differently, and gray uint8 and uint16 (1 and 2 bytes a pixel) do not share them."""
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (101, 149, 1), np.uint8)
    for _ in range(2):                     # the second round reads the kept tables
        by_factor = cv2.resize(image, None, fx=0.63, fy=0.63, interpolation=cv2.INTER_NEAREST)
        h, w = by_factor.shape[:2]
        by_size = cv2.resize(image, (w, h), interpolation=cv2.INTER_NEAREST)
        assert not np.array_equal(by_factor, by_size)
        np.testing.assert_array_equal(resize_nearest(image, w, h, inv_scale=(0.63, 0.63))[..., 0], by_factor)
        np.testing.assert_array_equal(resize_nearest(image, w, h)[..., 0], by_size)
        wide = image.astype(np.uint16) * 257
        np.testing.assert_array_equal(resize_nearest(wide, w, h)[..., 0], by_size.astype(np.uint16) * 257)

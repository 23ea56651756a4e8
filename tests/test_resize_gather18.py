"""Issue 18: uint8 bilinear rows read their taps as 32-bit words gathered 16 at a time
(``simd.load_u32``). Still ``cv2.resize`` bit for bit at every row width around the vector
loop's cuts, never a read past the image, and the gathers really are emitted."""

import cv2
import numpy as np
import pytest

from gathers import assert_no_read_past_the_image, needs_avx512, zmm_gathers
from imgkit.kernels.resize import resize_area, resize_linear

# widths around the 16-lane loop's remainders and the gray tail (a word would pass the row end)
WIDTHS = (1, 2, 3, 4, 5, 15, 16, 17, 31, 33, 64, 65)
FACTORS = (0.37, 0.73, 1.6, 2.3, 3.0)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("interp", ["linear", "area"])
def test_every_width_matches_opencv(channels, interp):
    rng = np.random.default_rng(18)
    flag, kernel = {"linear": (cv2.INTER_LINEAR, resize_linear), "area": (cv2.INTER_AREA, resize_area)}[interp]
    for width in WIDTHS:
        image = rng.integers(0, 256, (7, width, channels), np.uint8)
        for f in FACTORS:
            if (interp == "area" and f < 1) or round(width * f) == 0:
                continue                  # shrinking by area is another kernel; no empty sizes
            expected = cv2.resize(image, None, fx=f, fy=f, interpolation=flag).reshape(
                round(7 * f), round(width * f), channels)
            result = kernel(image, expected.shape[1], expected.shape[0], inv_scale=(f, f))
            np.testing.assert_array_equal(result, expected, err_msg=f"width {width}, x{f}")


def test_no_read_past_the_image():
    """A word read past the last row (gray's last taps, 2 bytes beyond) would crash the child."""
    assert_no_read_past_the_image("resize_linear", ((61, 31, 2.3), (64, 64, 1.6), (50, 81, 0.73), (7, 3, 3.0)))


@needs_avx512
def test_horizontal_pass_gathers_16_lanes(tmp_path):
    """``vpgatherdd`` on zmm registers: a frozen 32-bit index, 512-bit vectors, and the row's
    stores kept apart from its reads (else LLVM leaves the loop scalar)."""
    setup = """
        import numpy as np
        from imgkit.kernels.resize import _horizontal_fixed
        for c in (1, 3):
            src = np.zeros(400 * c, np.uint8)
            xo = (np.arange(148) * 2 * c).astype(np.uint32)
            a = np.ones(148, np.int32)
            e = np.empty(0, np.uint32), np.empty(0, np.uint8), np.empty(0, np.int16)
            _horizontal_fixed(src, xo, a, a, 140, c, *e, np.empty(148 * c, np.int32))
    """
    _, wide = zmm_gathers(setup, "_horizontal_fixed", tmp_path)
    assert wide >= 3        # gray: one word per pixel; BGR: two


def test_kept_tables_follow_the_geometry_and_dtype():
    """The bilinear tables are kept per geometry: a size from a factor (fx) and the same size
    given as a size map differently, and uint8 (11-bit weights) and float32 do not share them."""
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (101, 149, 3), np.uint8)
    for _ in range(2):                     # the second round reads the kept tables
        by_factor = cv2.resize(image, None, fx=0.63, fy=0.63, interpolation=cv2.INTER_LINEAR)
        h, w = by_factor.shape[:2]
        by_size = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
        assert not np.array_equal(by_factor, by_size)
        np.testing.assert_array_equal(resize_linear(image, w, h, inv_scale=(0.63, 0.63)), by_factor)
        np.testing.assert_array_equal(resize_linear(image, w, h), by_size)
        as_float = image.astype(np.float32)
        ipp = cv2.ipp.useIPP()
        cv2.ipp.setUseIPP(False)            # OpenCV's native float32 path, as the kernel
        try:
            expected = cv2.resize(as_float, (w, h), interpolation=cv2.INTER_LINEAR)
        finally:
            cv2.ipp.setUseIPP(ipp)
        np.testing.assert_allclose(resize_linear(as_float, w, h), expected, rtol=0, atol=1e-4)
        np.testing.assert_array_equal(resize_linear(as_float, w, h, eight_bit=True), by_size)

"""Issue 18's faster colour kernels: the 8-bit HSV division tables computed per pixel in float32."""

import numpy as np

from imgkit.kernels.colour import HSV_SHIFT, HUE_NUMERATOR, HUE_RANGE, SATURATION_NUMERATOR


def test_float32_quotients_rounded_are_opencvs_division_tables():
    # OpenCV's tables (color_hsv.simd.hpp): saturate_cast<int>((255 << 12) / (double)v) and
    # saturate_cast<int>((180 << 12) / (6. * d)), rounded half to even
    divisors = np.arange(1, 256)
    saturation = np.rint((255 << HSV_SHIFT) / divisors.astype(np.float64))
    hue = np.rint((HUE_RANGE << HSV_SHIFT) / (6.0 * divisors))
    as_float32 = divisors.astype(np.float32)
    np.testing.assert_array_equal(np.rint(np.float32(SATURATION_NUMERATOR) / as_float32), saturation)
    np.testing.assert_array_equal(np.rint(np.float32(HUE_NUMERATOR) / as_float32), hue)


def test_histograms_in_four_parts_count_every_pixel_once():
    # pixel counts that are not a multiple of 4 leave a tail outside the unrolled loop
    from imgkit.kernels.colour import histograms
    rng = np.random.default_rng(18)
    for shape in [(1, 1, 1), (3, 5, 1), (7, 9, 3), (13, 11, 4), (64, 65, 3)]:
        planes = rng.integers(0, 256, shape, dtype=np.uint8)
        expected = [np.bincount(planes[:, :, c].ravel(), minlength=256) for c in range(shape[2])]
        np.testing.assert_array_equal(histograms(planes), expected)

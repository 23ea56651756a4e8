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

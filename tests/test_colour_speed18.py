"""Issue 18's faster colour kernels: the 8-bit HSV division tables computed per pixel in float32."""

import cv2
import numba
import numpy as np
import pytest

import imgkit
from conftest import photo
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


@pytest.fixture
def two_threads():
    """Numba at two threads (as the bench), restored afterwards."""
    before = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    yield numba.get_num_threads()
    numba.set_num_threads(before)


@pytest.mark.parametrize("shape", [(723, 1001), (723, 1001, 3), (2, 393217)])
@pytest.mark.parametrize("levels, invert", [(None, False), (None, True), ("otsu", False)])
def test_a_large_threshold_split_among_threads_matches_opencv(two_threads, shape, levels, invert):
    # large enough for the prange strips (levels of one value, and per channel with Otsu), with
    # heights that leave a short last strip, and one of 2 rows
    image = cv2.resize(photo("chelsea.png"), shape[1::-1], interpolation=cv2.INTER_LINEAR)
    image = image if len(shape) == 3 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if levels == "otsu":
        ours = imgkit.threshold(image, method="otsu")
        planes = cv2.split(image) if image.ndim == 3 else [image]
        expected = cv2.merge([cv2.threshold(plane, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1] for plane in planes])
    else:
        ours = imgkit.threshold(image, value=99.5, maximum=200, invert=invert)
        expected = cv2.threshold(image, 99, 200, cv2.THRESH_BINARY_INV if invert else cv2.THRESH_BINARY)[1]
    np.testing.assert_array_equal(ours, expected.reshape(image.shape))


def test_a_4k_threshold_runs_on_numbas_threads(two_threads, monkeypatch):
    # it ran on the calling thread alone, at 1.6–1.9× cv2.threshold's time (issue 18's bench)
    from imgkit.kernels import colour
    calls = []
    strips = colour._threshold_uniform_strips
    monkeypatch.setattr(colour, "_threshold_uniform_strips", lambda *args: calls.append(args[-1]) or strips(*args))
    image = np.zeros((2160, 3840), np.uint8)
    imgkit.threshold(image, value=127)
    imgkit.threshold(np.zeros((31, 17), np.uint8), value=127)       # small: one thread, no prange
    assert calls == ([2] if two_threads == 2 else [])


@pytest.mark.parametrize("to, code, dtype", [("hsv", cv2.COLOR_BGR2HSV, "uint8"),
                                             ("ycrcb", cv2.COLOR_BGR2YCrCb, "uint8"),
                                             ("ycrcb", cv2.COLOR_BGR2YCrCb, "uint16")])
def test_gray_to_hsv_and_ycrcb_as_opencv_through_bgr(to, code, dtype):
    # every 8-bit level, and 16-bit levels from 0 to 65535 (cv2's HSV has no 16-bit)
    top = np.iinfo(dtype).max
    gray = np.linspace(0, top, 256 * 129, dtype=np.float64).round().astype(dtype).reshape(256, 129)
    gray[0, :4] = (0, 1, top - 1, top)
    expected = cv2.cvtColor(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), code)
    np.testing.assert_array_equal(imgkit.convert(gray, to=to), expected)
    np.testing.assert_array_equal(imgkit.convert(np.ascontiguousarray(gray[::2, 1:]), to=to), expected[::2, 1:])


@pytest.mark.parametrize("to", ["hsv", "ycrcb"])
def test_gray_to_hsv_and_ycrcb_makes_no_bgr_image(to, monkeypatch):
    # gray -> BGR -> HSV was three passes over memory, at 1.18-1.28x OpenCV's time (issue 18's bench)
    from imgkit.kernels import colour

    def no_bgr(planes):
        raise AssertionError("made a BGR image")
    monkeypatch.setattr(colour, "to_bgr", no_bgr)
    assert imgkit.convert(np.arange(12, dtype=np.uint8).reshape(3, 4), to=to).shape == (3, 4, 3)

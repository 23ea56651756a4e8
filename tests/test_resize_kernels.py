"""Resize kernels (nearest, linear, area) against cv2.resize.

uint8: identical in every mode. uint16: identical, except LINEAR, which OpenCV hands to IPP by
default (float coordinates of its own: ±3 of 65535 at most); the native path
(``cv2.ipp.setUseIPP(False)``) is identical. float32: within 1e-4 relative (the IPP path again).
"""

import math

import cv2
import numpy as np
import pytest

from imgkit.kernels.resize import _area_table, resize_area, resize_linear, resize_nearest

from conftest import PHOTO_NAMES, assert_matches, at_4k, photo, random_image

KERNELS = {
    "nearest": (resize_nearest, cv2.INTER_NEAREST),
    "linear": (resize_linear, cv2.INTER_LINEAR),
    "area": (resize_area, cv2.INTER_AREA),
}

# (src W, H) → (dst w, h): integer and non-integer shrinks and enlargements, mixed axes,
# prime sizes, outputs of 1×1 and 1×N, one-pixel sources.
SIZES = [
    ((96, 64), (48, 32)),       # 2×: LINEAR takes the AREA path
    ((96, 64), (32, 21)),       # 3× (the rows not quite)
    ((96, 60), (32, 20)),       # 3×
    ((96, 64), (24, 16)),       # 4×
    ((96, 64), (48, 16)),       # 2× by 4×
    ((96, 64), (64, 43)),       # 1.5×
    ((70, 50), (100, 72)),      # 0.7×
    ((100, 60), (40, 24)),      # 2.5×
    ((40, 30), (80, 60)),       # enlarge 2×
    ((40, 30), (100, 75)),      # enlarge 2.5×
    ((97, 61), (13, 7)),        # primes, shrink
    ((97, 61), (211, 149)),     # primes, enlarge
    ((60, 40), (30, 80)),       # shrink one axis, enlarge the other
    ((33, 17), (1, 1)),
    ((33, 17), (9, 1)),
    ((33, 17), (1, 9)),
    ((1, 1), (5, 3)),
    ((7, 1), (3, 4)),
]


@pytest.fixture
def native_opencv():
    """OpenCV without IPP, for the paths IPP replaces (uint16 and float32 LINEAR)."""
    cv2.ipp.setUseIPP(False)
    yield
    cv2.ipp.setUseIPP(True)


def reference(image, out_w, out_h, mode):
    result = cv2.resize(image, (out_w, out_h), interpolation=KERNELS[mode][1])
    return result.reshape(out_h, out_w, -1)


def run(image, out_w, out_h, mode):
    planes = image.reshape(image.shape[0], image.shape[1], -1)
    return KERNELS[mode][0](np.ascontiguousarray(planes), out_w, out_h)


def ipp_tolerance(dtype, mode):
    """Largest difference to cv2 with IPP on (see the module docstring)."""
    return 3 if dtype == np.uint16 and mode == "linear" else 0


# ------------------------------------------------------------------------- random images

@pytest.mark.parametrize("mode", list(KERNELS))
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_random_identical(mode, dtype, channels, native_opencv):
    for seed, ((W, H), (w, h)) in enumerate(SIZES):
        image = random_image((H, W, channels), dtype, seed)
        np.testing.assert_array_equal(run(image, w, h, mode), reference(image, w, h, mode))


@pytest.mark.parametrize("mode", list(KERNELS))
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_random_float32_within_tolerance(mode, channels, native_opencv):
    for seed, ((W, H), (w, h)) in enumerate(SIZES):
        image = random_image((H, W, channels), np.float32, seed)
        assert_matches(run(image, w, h, mode), reference(image, w, h, mode), rtol=1e-4)


@pytest.mark.parametrize("mode", list(KERNELS))
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_random_with_ipp(mode, dtype):
    for seed, ((W, H), (w, h)) in enumerate(SIZES):
        image = random_image((H, W, 3), dtype, seed)
        diff = np.abs(run(image, w, h, mode).astype(np.int64) - reference(image, w, h, mode))
        assert diff.max() <= ipp_tolerance(dtype, mode)


# ------------------------------------------------------------------------- photos

@pytest.mark.parametrize("mode", list(KERNELS))
@pytest.mark.parametrize("gray", [True, False], ids=["gray", "colour"])
@pytest.mark.parametrize("factor", [0.5, 0.37, 1.7])
def test_photos_identical(photo_name, gray, mode, factor):
    image = photo(photo_name, gray)
    h, w = (max(1, round(n * factor)) for n in image.shape[:2])
    assert_matches(run(image, w, h, mode), reference(image, w, h, mode))


@pytest.mark.parametrize("mode", list(KERNELS))
def test_4k_to_1080p(mode):
    image = at_4k(photo(PHOTO_NAMES[0]))
    assert_matches(run(image, 1920, 1080, mode), reference(image, 1920, 1080, mode))


def test_4k_bgra_area_non_integer():
    image = cv2.cvtColor(at_4k(photo(PHOTO_NAMES[1])), cv2.COLOR_BGR2BGRA)
    assert_matches(run(image, 1366, 768, "area"), reference(image, 1366, 768, "area"))


# ------------------------------------------------------------------------- the area table

def naive_area_table(src, dst, scale):
    """OpenCV's ``computeResizeAreaTab``, line by line."""
    cells, sources, alphas = [], [], []
    for d in range(dst):
        fs1 = d * scale
        fs2 = fs1 + scale
        cell = min(scale, src - fs1)
        s2 = min(math.floor(fs2), src - 1)
        s1 = min(math.ceil(fs1), s2)
        entries = []
        if s1 - fs1 > 1e-3:
            entries.append((s1 - 1, (s1 - fs1) / cell))
        entries += [(s, 1.0 / cell) for s in range(s1, s2)]
        if fs2 - s2 > 1e-3:
            entries.append((s2, min(min(fs2 - s2, 1.0), cell) / cell))
        for s, a in entries:
            cells.append(d), sources.append(s), alphas.append(a)
    starts = np.searchsorted(np.array(cells), np.arange(dst + 1))
    return np.array(sources), np.array(alphas, np.float32), starts


@pytest.mark.parametrize("src", [1, 2, 5, 17, 97, 211, 2160, 3840])
def test_area_table(src):
    for dst in sorted({1, 2, 3, src // 3, src // 2, src - 1, 768, 1366} & set(range(1, src))):
        scale = 1.0 / (dst / src)
        for ours, naive in zip(_area_table(src, dst, scale), naive_area_table(src, dst, scale)):
            np.testing.assert_array_equal(ours, naive)


# ------------------------------------------------------------------------- argument checks

def test_rejects_empty_output():
    with pytest.raises(ValueError, match="at least 1×1"):
        resize_linear(np.zeros((4, 4, 1), np.uint8), 0, 3)


@pytest.mark.parametrize("mode", list(KERNELS))
def test_same_size_is_a_copy(mode):
    image = random_image((5, 7, 3), np.uint8)
    result = KERNELS[mode][0](image, 7, 5)
    assert np.array_equal(result, image) and result is not image

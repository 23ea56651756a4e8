"""convert (cv2.cvtColor) and threshold (cv2.threshold): the kernels against OpenCV, on every
8-bit colour, on 16-bit and float32 images and on edge sizes; against the float64 oracles of
tests/naive/colour.py; and the invariants (gray → bgr → gray, thresholds monotone in the level)."""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import imgkit
from conftest import EDGE_SHAPES, channels_of, photo, random_image
from imgkit.ops.colour import otsu_levels
from naive import colour as naive

CODES = {"gray": cv2.COLOR_BGR2GRAY, "hsv": cv2.COLOR_BGR2HSV, "lab": cv2.COLOR_BGR2Lab,
         "ycrcb": cv2.COLOR_BGR2YCrCb}


@pytest.fixture(scope="module")
def every_colour():
    """All 2^24 8-bit BGR colours, as a 4096 × 4096 image."""
    codes = np.arange(1 << 24, dtype=np.uint32)
    return np.stack([codes >> 16, (codes >> 8) & 255, codes & 255], axis=-1).astype(np.uint8).reshape(4096, 4096, 3)


@pytest.mark.parametrize("to", sorted(CODES))
def test_every_8bit_colour_is_converted_as_opencv_does(every_colour, to):
    ours = imgkit.convert(every_colour, to=to)
    theirs = cv2.cvtColor(every_colour, CODES[to])
    assert ours.dtype == np.uint8 and ours.shape == theirs.shape
    assert np.count_nonzero(ours != theirs) == 0


@pytest.mark.parametrize("to", ["gray", "ycrcb"])
def test_16bit_is_converted_as_opencv_does(to):
    image = random_image((257, 131, 3), np.uint16, seed=3)
    np.testing.assert_array_equal(imgkit.convert(image, to=to), cv2.cvtColor(image, CODES[to]))


@pytest.mark.parametrize("to", ["gray", "hsv", "ycrcb"])
@pytest.mark.parametrize("scale", [1.0, 255.0])
def test_float32_is_within_the_declared_tolerance_of_opencv(to, scale):
    image = (random_image((129, 67, 3), np.float32, seed=4) / 255 * scale).astype(np.float32)
    ours, theirs = imgkit.convert(image, to=to), cv2.cvtColor(image, CODES[to])
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    relative = np.abs(ours.astype(np.float64) - theirs).max() / max(1.0, np.abs(theirs).max())
    assert relative <= imgkit.convert.operation.tolerance.relative


@pytest.mark.parametrize("shape", EDGE_SHAPES)
@pytest.mark.parametrize("channels", [0, 1, 3, 4])
@pytest.mark.parametrize("to", ["gray", "bgr", "hsv", "lab", "ycrcb"])
def test_edge_sizes_and_channel_counts_match_the_reference(shape, channels, to):
    image = channels_of(shape, channels, np.uint8, seed=5)
    ours = imgkit.convert(image, to=to)
    theirs = imgkit.convert(image, to=to, backend="opencv")
    assert ours.shape == theirs.shape == shape + (() if to == "gray" else (3,))
    np.testing.assert_array_equal(ours, theirs)


def test_gray_to_bgr_replicates_and_bgra_loses_its_alpha():
    image = random_image((9, 11, 4), np.uint8, seed=6)
    np.testing.assert_array_equal(imgkit.convert(image, to="bgr"), image[:, :, :3])
    gray = image[:, :, 0]
    np.testing.assert_array_equal(imgkit.convert(gray, to="bgr"), np.repeat(gray[:, :, None], 3, axis=2))
    np.testing.assert_array_equal(imgkit.convert(image, to="gray"), cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY))


def test_the_result_is_never_the_input_itself():
    image = random_image((5, 6, 3), np.uint8)
    assert not np.shares_memory(imgkit.convert(image, to="bgr"), image)
    assert not np.shares_memory(imgkit.convert(image[:, :, 0], to="gray"), image)


def test_refusals_name_the_reason():
    with pytest.raises(TypeError, match="uint8, float32, got uint16"):
        imgkit.convert(random_image((4, 4, 3), np.uint16), to="hsv")
    with pytest.raises(TypeError, match="uint8, got float32"):
        imgkit.convert(random_image((4, 4, 3), np.float32), to="lab")
    with pytest.raises(ValueError, match="got 2"):
        imgkit.convert(random_image((4, 4, 2), np.uint8), to="gray")
    with pytest.raises(ValueError, match="to must be one of"):
        imgkit.convert(random_image((4, 4, 3), np.uint8), to="xyz")


# ---------------------------------------------------------------- against the float64 oracles

def test_8bit_results_are_the_textbook_values_rounded(every_colour):
    """Bounds measured on all 2^24 colours (gray 0.503, YCrCb 0.85, hue 1.28°, saturation 0.52,
    Lab 2.67): OpenCV's fixed-point coefficients and Lab's 2040-step tables stray that far."""
    image = every_colour[::4]             # 2^22 colours: every blue and green, a quarter of the reds
    assert np.abs(imgkit.convert(image, to="gray") - naive.gray(image)).max() <= 0.51
    assert np.abs(imgkit.convert(image, to="ycrcb") - naive.ycrcb(image, 128).clip(0, 255)).max() <= 0.86
    ours, truth = imgkit.convert(image, to="hsv").astype(np.float64), naive.hsv(image)
    hue = np.abs(ours[..., 0] * 2 - truth[..., 0])
    assert np.minimum(hue, 360 - hue).max() <= 1.3
    assert np.abs(ours[..., 1] - truth[..., 1] * 255).max() <= 0.53
    assert np.array_equal(ours[..., 2], truth[..., 2])
    assert np.abs(imgkit.convert(image, to="lab") - naive.lab(image).clip(0, 255)).max() <= 2.7


def test_float32_results_are_the_textbook_values():
    image = random_image((64, 48, 3), np.float32, seed=7) / 255
    np.testing.assert_allclose(imgkit.convert(image, to="gray"), naive.gray(image), atol=1e-6)
    np.testing.assert_allclose(imgkit.convert(image, to="ycrcb"), naive.ycrcb(image, 0.5), atol=1e-6)
    # hue: OpenCV's float32 60/(spread + FLT_EPSILON), up to 1e-5 of the 360° range on small spreads
    np.testing.assert_allclose(imgkit.convert(image, to="hsv"), naive.hsv(image), atol=360 * 1e-5)


# ---------------------------------------------------------------- invariants

@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_gray_to_bgr_to_gray_is_the_identity_on_8bit(height, width, seed):
    gray = random_image((height, width), np.uint8, seed=seed)
    np.testing.assert_array_equal(imgkit.convert(imgkit.convert(gray, to="bgr"), to="gray"), gray)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["uint8", "uint16", "float32"]), st.floats(-10, 70000), st.floats(-10, 70000),
       st.integers(0, 2**32 - 1))
def test_a_higher_level_never_sets_more_pixels(dtype, first, second, seed):
    image = random_image((13, 17, 3), dtype, seed=seed)
    low, high = sorted((first, second))
    assert (imgkit.threshold(image, value=high) <= imgkit.threshold(image, value=low)).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 255), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_hsv_value_is_the_largest_channel(mix, channels, seed):
    image = random_image((7, 9, 3), np.uint8, seed=seed)
    image[:, :, :channels] = mix
    np.testing.assert_array_equal(imgkit.convert(image, to="hsv")[..., 2], image.max(axis=2))


# ---------------------------------------------------------------- threshold

@pytest.mark.parametrize("dtype, value, top", [("uint8", 127, 255), ("uint8", 99.9, 254.5), ("uint8", -1, 7),
                                               ("uint8", 255, 300), ("uint16", 40000.5, 65535),
                                               ("uint16", 1e30, 3), ("float32", 127.3, 1.0),
                                               ("float32", 199.99999999, 0.1)])
@pytest.mark.parametrize("invert", [False, True])
def test_binary_thresholds_match_opencv(dtype, value, top, invert):
    image = random_image((61, 37, 3), dtype, seed=8)
    image[0, :3] = 200                      # a value at float32(199.99999999) exactly
    kind = cv2.THRESH_BINARY_INV if invert else cv2.THRESH_BINARY
    theirs = cv2.threshold(image, value, top, kind)[1]
    ours = imgkit.threshold(image, value=value, maximum=top, invert=invert)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_default_level_and_top_follow_the_bit_depth():
    for dtype, level, top in (("uint8", 127, 255), ("uint16", 32767, 65535), ("float32", 0.5, 1.0)):
        image = random_image((31, 29), dtype, seed=9)
        if dtype == "float32":
            image /= 255
        np.testing.assert_array_equal(imgkit.threshold(image), cv2.threshold(image, level, top, cv2.THRESH_BINARY)[1])


def _random_histogram_images(count):
    rng = np.random.default_rng(10)
    for index in range(count):
        size = int(rng.integers(1, 4000))
        if index % 3 == 0:
            values = rng.integers(0, 256, size)
        elif index % 3 == 1:
            values = rng.normal(rng.uniform(0, 255), rng.uniform(1, 80), size)
        else:
            values = np.concatenate([rng.normal(60, 20, size), rng.normal(180, 30, size)])
        yield np.clip(values, 0, 255).astype(np.uint8).reshape(-1, 1)


def test_otsu_chooses_opencvs_level_on_any_histogram():
    images = [np.full((5, 5), 7, np.uint8), np.zeros((1, 1), np.uint8), photo("camera.png", gray=True),
              *_random_histogram_images(200)]
    for image in images:
        level = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
        assert otsu_levels(image) == [level]
        np.testing.assert_array_equal(imgkit.threshold(image, method="otsu"),
                                      cv2.threshold(image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1])


def test_otsus_level_maximises_the_between_class_variance():
    for image in _random_histogram_images(60):
        variances = naive.between_class_variance(image)
        (level,) = otsu_levels(image)
        assert variances[int(level)] >= variances.max() * (1 - 1e-12)


def test_otsu_on_colour_thresholds_each_channel_at_its_own_level():
    image = photo("chelsea.png")
    levels = otsu_levels(image)
    assert levels == [cv2.threshold(np.ascontiguousarray(image[:, :, c]), 0, 255,
                                    cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0] for c in range(3)]
    assert len(set(levels)) == 3
    expected = np.stack([naive.threshold(image[:, :, c], levels[c], 255) for c in range(3)], axis=-1)
    np.testing.assert_array_equal(imgkit.threshold(image, method="otsu"), expected)


def test_otsu_refuses_what_it_cannot_take():
    with pytest.raises(TypeError, match="uint8, got uint16"):
        imgkit.threshold(random_image((4, 4), np.uint16), method="otsu")
    with pytest.raises(ValueError, match="value is not used by method otsu"):
        imgkit.threshold(random_image((4, 4), np.uint8), method="otsu", value=3)


def test_threshold_declares_a_binary_result():
    assert imgkit.threshold.operation.binary and not imgkit.convert.operation.binary


def test_a_first_conversion_compiles_only_its_own_kernel(tmp_path):
    """Each conversion is a kernel of its own: ``gray`` on an empty cache compiles the gray kernel
    (once, for uint8) and none of the others."""
    import os
    import subprocess
    import sys
    script = ("import numpy as np, imgkit\nfrom imgkit.kernels import colour as k\n"
              "imgkit.convert(np.zeros((8, 9, 3), np.uint8), to='gray')\n"
              "print(*(len(f.signatures) for f in (k._gray_fixed, k._gray_float, k._hsv_fixed, k._lab_fixed, "
              "k._ycrcb_fixed, k._threshold_rows, k.histograms)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0", "0", "0", "0", "0", "0"]


@pytest.mark.parametrize("dtype", ["uint8", ">u2", "float32"])
def test_gray_to_gray_is_a_native_contiguous_copy(dtype):
    gray = np.arange(6 * 10, dtype=dtype).reshape(6, 10)[::2, 1:]
    result = imgkit.convert(gray, to="gray")
    np.testing.assert_array_equal(result, gray)
    assert result.flags.c_contiguous and result.flags.writeable and result.dtype.isnative
    assert not np.shares_memory(result, gray)

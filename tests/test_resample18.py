"""Issue 18, resample kernels: anti-aliased float resizing is value-preserving (as Pillow's mode
"F"), and the reworked CUBIC/LANCZOS4 passes agree with cv2.resize at the bench's factors."""

import cv2
import numpy as np
import pytest
from PIL import Image

import imgkit
from conftest import channels_of, photo
from imgkit.kernels.resample import resize_antialias, resize_cubic, resize_lanczos

FILTERS = {"linear": Image.BILINEAR, "cubic": Image.BICUBIC, "lanczos": Image.LANCZOS}
FLT_MAX = float(np.finfo(np.float32).max)
# (source W, H) → (out W, H): shrinking and enlarging, odd and even, by integer and other factors
SIZES = [((64, 48), (31, 17)), ((64, 48), (32, 24)), ((37, 29), (111, 58)), ((37, 29), (80, 61)),
         ((101, 7), (13, 3)), ((5, 4), (17, 13)), ((120, 90), (37, 89)), ((9, 200), (24, 3))]
FLAT_VALUES = [1.0, 0.1, 255.0, 1e-30, 3.4e38, FLT_MAX, -2.5]


def pillow_f(planes, size, filter):
    """Pillow's Image.resize in mode "F", one channel at a time."""
    return np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(planes[:, :, c]), "F").resize(size, FILTERS[filter]))
                     for c in range(planes.shape[2])], axis=2)


@pytest.mark.parametrize("filter", FILTERS)
@pytest.mark.parametrize("src, size", SIZES)
def test_flat_float32_stays_flat(src, size, filter):
    """The taps of every output sum to exactly 1 in float64: a flat image comes back exactly flat
    (float32 sums gave 0.9999994–1.0000008 for 1.0, and inf or NaN near FLT_MAX)."""
    for value in FLAT_VALUES:
        planes = np.full((src[1], src[0], 3), value, np.float32)
        result = resize_antialias(planes, *size, filter)
        assert result.shape == (size[1], size[0], 3) and result.dtype == np.float32
        np.testing.assert_array_equal(result, planes[0, 0, 0], err_msg=f"flat {value}")


@pytest.mark.parametrize("filter", FILTERS)
def test_flat_through_the_public_api(filter):
    image = np.ones((75, 101), np.float32)
    for scale in (0.37, 0.5, 1.6, 2.3):
        result = imgkit.resize(image, scale=scale, interp=filter, antialias=True)
        np.testing.assert_array_equal(result, 1.0)


@pytest.mark.parametrize("filter", FILTERS)
def test_finite_near_flt_max(filter):
    """Negative lobes overshoot a step from 0 to FLT_MAX: the sums are clamped to the float32
    range in both passes, never inf or NaN."""
    planes = np.zeros((40, 40, 1), np.float32)
    planes[::3, :] = FLT_MAX
    planes[:, ::5] = -FLT_MAX
    planes[7:20, 11:30] = FLT_MAX
    for size in [(17, 23), (40, 91), (97, 13)]:
        result = resize_antialias(planes, *size, filter)
        assert np.isfinite(result).all()
        assert np.abs(result).max() <= FLT_MAX


@pytest.mark.parametrize("filter", FILTERS)
@pytest.mark.parametrize("src, size", SIZES)
def test_float32_as_pillow(src, size, filter):
    """Pillow's mode "F" sums in float64 with float32 between the passes: the same arithmetic in
    the same order agrees within SPEC §5's 1e-6 relative (float32 sums strayed ~1e-5)."""
    planes = channels_of((src[1], src[0]), 3, np.float32, seed=src[0])
    planes = planes * np.float32(1e3) + np.float32(1e4)      # values where float32 sums lose digits
    np.testing.assert_allclose(resize_antialias(planes, *size, filter), pillow_f(planes, size, filter),
                               rtol=1e-6, atol=0)


@pytest.mark.parametrize("filter", FILTERS)
def test_photo_float32_and_uint16_as_pillow(filter):
    image = photo("coffee.png", gray=True)
    H, W = image.shape
    for size in [(W * 3 // 7, H // 2 + 1), (W * 2 + 1, H * 3 // 2)]:
        f32 = (image.astype(np.float32) / 255)[:, :, None]
        np.testing.assert_allclose(resize_antialias(f32, *size, filter), pillow_f(f32, size, filter), rtol=1e-6, atol=1e-7)
        u16 = (image.astype(np.uint16) * 257)[:, :, None]
        expected = np.clip(np.rint(pillow_f(u16.astype(np.float32), size, filter)), 0, 65535)
        assert np.abs(resize_antialias(u16, *size, filter).astype(np.int64) - expected).max() == 0


# (source W, H) → (out W, H): uint8 LANCZOS4 (always) and CUBIC (shrinking vertically) run their
# vertical pass first, 32 output rows at a time (partial blocks, strips, left/right padding, 1×1, 1×N)
SHRINKS = [((3840, 2160), (1421, 799)), ((1920, 1080), (960, 540)), ((1001, 757), (731, 553)),
           ((97, 89), (1, 1)), ((40, 30), (7, 1)), ((9, 40), (23, 17)), ((64, 33), (64, 32)), ((5, 300), (3, 17)),
           ((37, 29), (111, 58)), ((300, 5), (7, 9))]


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("src, size", SHRINKS)
def test_lanczos_u8_vertical_first_identical(src, size, channels):
    """Summing the integer taps vertical-first is exact: identical to cv2.resize LANCZOS4 (a
    wrong transposition, border padding or partial block would show as large differences)."""
    image = channels_of((src[1], src[0]), channels, np.uint8, seed=src[0] + channels)
    planes = image if channels > 1 else image[:, :, :1]
    expected = cv2.resize(image if channels > 1 else image[:, :, 0], size, interpolation=cv2.INTER_LANCZOS4)
    np.testing.assert_array_equal(resize_lanczos(np.ascontiguousarray(planes), *size), expected.reshape(size[1], size[0], -1))


@pytest.mark.parametrize("factor", [0.37, 0.5, 0.73])
def test_lanczos_u8_photo_at_bench_factors(factor):
    image = photo("rocket.jpg")
    big = cv2.resize(image, (1920, 1080), interpolation=cv2.INTER_CUBIC)
    size = (round(1920 * factor), round(1080 * factor))
    np.testing.assert_array_equal(resize_lanczos(big, *size), cv2.resize(big, size, interpolation=cv2.INTER_LANCZOS4))


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("src, size", SHRINKS)
def test_cubic_u8_vertical_first_as_ipp(src, size, channels):
    """uint8 CUBIC (IPP's float arithmetic) summed vertical-first: within one level of cv2.resize
    everywhere (a misplaced column or row would differ by far more)."""
    image = channels_of((src[1], src[0]), channels, np.uint8, seed=src[1] + channels)
    expected = cv2.resize(image if channels > 1 else image[:, :, 0], size, interpolation=cv2.INTER_CUBIC)
    result = resize_cubic(np.ascontiguousarray(image), *size)
    assert np.abs(result.astype(int) - expected.reshape(result.shape)).max() <= 1


@pytest.mark.parametrize("factor", [0.37, 0.5, 0.73])
def test_cubic_u8_photo_at_bench_factors(factor):
    """On a photo, IPP's CUBIC is matched on ≥ 99.99 % of pixels, ±1 elsewhere."""
    big = cv2.resize(photo("coffee.png"), (1920, 1080), interpolation=cv2.INTER_CUBIC)
    size = (round(1920 * factor), round(1080 * factor))
    diff = np.abs(resize_cubic(big, *size).astype(int) - cv2.resize(big, size, interpolation=cv2.INTER_CUBIC))
    assert diff.max() <= 1 and np.mean(diff == 0) >= 0.9999

"""Issue 18 on AMD: the horizontal pass of uint8 CUBIC (IPP-like) summed from 16-byte windows of
the padded row (``simd.window_taps``: a ``vpshufb`` per tap, no gather) gives the lines of the
float32 path it replaces, bit for bit, on ragged widths, with one window per 4 values or, where
their taps spread wider (gray past ~x0.27, BGR past x0.5), two (``simd.window_taps_split``); its
windows stay inside the padded row; and the bench's geometries really take it."""

import llvmlite.binding as ll
import numpy as np
import pytest

from gathers import assert_no_read_past_the_image
from imgkit.kernels import resample
from imgkit.kernels.resample import NO_CUBIC_WINDOWS, resize_cubic

needs_avx512bw = pytest.mark.skipif(not ll.get_host_cpu_features().get("avx512bw", False),
                                    reason="needs AVX-512BW")

WIDTHS = (5, 6, 11, 16, 17, 21, 43, 64, 131, 200)
FACTORS = (1.07, 1.3, 1.6, 2.3, 3.7, 0.73, 0.5, 0.37, 0.26, 0.2)    # shrinking: only horizontally


def _tables(width, out_w, factor, channels):
    """The window tables of a width, and the padded row's length in bytes."""
    first, weights = resample.opencv_axis(width, out_w, resample.cubic_weights, 4, factor)
    base, wx, phase_base, left, padded_px = resample.cubic_column_table(first, weights, width)
    return resample._cubic_windows(base, wx, channels, left, width * channels, padded_px * channels), padded_px * channels


def _resized(images):
    out = []
    for image in images:
        for f in FACTORS:
            h, w = image.shape[:2]
            out.append(resize_cubic(image, max(1, round(w * f)), h + 3, inv_scale=(f, (h + 3) / h)))
            out.append(resize_cubic(image, max(1, round(w * f)), h - 2, inv_scale=(f, (h - 2) / h)))
    return out


@needs_avx512bw
def test_windows_match_the_float32_rows(monkeypatch):
    rng = np.random.default_rng(18)
    images = [rng.integers(0, 256, (7, width, channels), np.uint8) for channels in (1, 2, 3, 4) for width in WIDTHS]
    resample._cubic_u8_tables.cache_clear()
    with_windows = _resized(images)
    monkeypatch.setattr(resample, "_cubic_windows", lambda *args: NO_CUBIC_WINDOWS)
    resample._cubic_u8_tables.cache_clear()
    try:
        without = _resized(images)
    finally:
        resample._cubic_u8_tables.cache_clear()
    for a, b in zip(with_windows[::2], without[::2]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(with_windows[1::2], without[1::2]):     # vs the vertical-first sums: other roundings
        assert np.abs(a.astype(int) - b).max() <= 1


def test_windows_stay_inside_their_rows():
    """Every window ends inside the padded row (at the ends) or the source row (the ``inner``
    blocks), every tap inside its window; the ends' windows read only padded bytes written."""
    used, split = 0, set()
    for channels in (1, 3, 4):
        for width in WIDTHS + (1, 2, 3):
            for f in FACTORS:
                out_w = max(1, round(width * f))
                (starts, picks, weights, inner, head, tail), padded_bytes = _tables(width, out_w, f, channels)
                if starts.size == 0:
                    continue
                used += 1
                blocks = weights.size // 64
                per_block = starts.size // blocks           # 4 windows, or 8 when split
                assert per_block in (4, 8) and starts.size == per_block * blocks
                assert picks.size == 16 * per_block * blocks
                assert blocks * 16 >= out_w * channels
                split.add(per_block == 8)
                if per_block == 8:      # each value read from exactly one of its two windows
                    by_register = picks.reshape(blocks, 2, 16, 4)[..., 0]
                    assert ((by_register[:, 0] < 128) != (by_register[:, 1] < 128)).all()
                lo, hi = inner
                by_block = starts.reshape(blocks, -1).astype(np.int64)
                assert by_block[lo:hi].size == 0 or by_block[lo:hi].max() + 16 <= width * channels
                ends = np.concatenate((by_block[:lo].ravel(), by_block[hi:].ravel()))
                assert ends.size == 0 or ends.max() + 16 <= padded_bytes
                assert all(s + 16 <= head or s >= tail for s in ends)
                firsts = picks.reshape(-1, 4)
                assert (firsts[:, 1:] == 128).all()
                assert int(firsts[firsts[:, 0] < 128, 0].max()) + 3 * channels <= 15
    assert (used > 0 and split == {False, True}) or not resample.compiles_for("avx512bw")


def test_no_read_past_the_image():
    """The inner windows read the source row: the last row's would fault past the page."""
    assert_no_read_past_the_image("resize_cubic", ((45, 20, 2.3), (40, 20, 1.6), (131, 7, 1.3), (17, 5, 1.07),
                                                   (16, 4, 3.7), (131, 7, 0.37), (200, 5, 0.2), (43, 8, 0.26)),
                                  channels=(1, 3, 4), module="resample")


@needs_avx512bw
def test_bench_geometries_use_windows():
    """1080p x1.6 and x2.3, gray and BGR, and the 4K shrinks take the windows: one per 4 values
    but for BGR x0.37 (its taps spread past a window: two, ``window_taps_split``) and gray
    x0.2; an integer enlargement keeps its phases."""
    for channels in (1, 3):
        for f in (1.6, 2.3):
            assert _tables(1920, round(1920 * f), f, channels)[0][0].size > 0
        for f in (0.37, 0.5, 0.73, 0.2):
            (starts, _, weights, *_), _ = _tables(3840, round(3840 * f), f, channels)
            split = channels == 3 and f == 0.37 or f == 0.2
            assert starts.size == (8 if split else 4) * (weights.size // 64) > 0
    assert resample._cubic_u8_tables(1920, 1080, 3840, 2160, 3, 2.0, 2.0)[2] is NO_CUBIC_WINDOWS


@needs_avx512bw
def test_split_windows_are_used_in_the_match():
    """The ragged shapes of ``test_windows_match_the_float32_rows`` take both kinds of tables."""
    kinds = set()
    for channels in (1, 2, 3, 4):
        for width in WIDTHS:
            for f in FACTORS:
                (starts, _, weights, *_), _ = _tables(width, max(1, round(width * f)), f, channels)
                if starts.size:
                    kinds.add(starts.size // (weights.size // 64))
    assert kinds == {4, 8}

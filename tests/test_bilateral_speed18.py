"""Bilateral uint8 in register blocks (issue 18): every way a row is cut into blocks still gives
OpenCV's own result bit for bit.

The kernel filters a row in blocks of ``_BLOCK1`` (gray) or ``_BLOCK3`` (BGR) pixels; a last,
partial block is computed whole into a scratch row (the padded band has spare columns on the
right) and only its real pixels copied. For 1-channel radius 2, OpenCV sums the taps of its SIMD
blocks in another order than its scalar tail, so a row is also split at ``block_end`` (a multiple
of 4 × OpenCV's lanes, which need not be a multiple of ``_BLOCK1``). These widths hit each of
those cuts: below one block, one block exactly, one block plus one pixel, and around the SIMD
boundary.
"""

import numpy as np
import pytest

import imgkit
from imgkit.kernels import bilateral

from test_bilateral import native, require_identity  # noqa: F401  (fixture)
from conftest import channels_of

BLOCKS = sorted({bilateral._BLOCK1, bilateral._BLOCK3, 4 * bilateral.simd_lanes()})
WIDTHS = sorted({1, 2, 15} | {b + d for b in BLOCKS for d in (-1, 0, 1)} | {2 * b + 1 for b in BLOCKS})


@pytest.mark.parametrize("channels", [0, 3])
@pytest.mark.parametrize("border", ["reflect101", "constant"])
def test_every_block_cut_matches_opencv(native, channels, border):  # noqa: F811
    require_identity("identical", np.uint8)
    for width in WIDTHS:
        image = channels_of((9, width), channels, np.uint8, seed=width)
        for d, sigma_color, sigma_space in [(3, 50.0, 5.0), (5, 20.0, 3.0), (9, 75.0, 75.0)]:
            result = imgkit.bilateral_filter(image, d, sigma_color, sigma_space, border=border)
            expected = imgkit.bilateral_filter(image, d, sigma_color, sigma_space, border=border,
                                               backend="opencv").reshape(result.shape)
            np.testing.assert_array_equal(result, expected, err_msg=f"width {width}, d {d}")


def test_spare_columns_do_not_leak_into_the_next_row():
    """The spare zero columns right of a row are read by a last block only for pixels that are
    thrown away: a flat image stays flat at every width, however its last block is cut."""
    for width in WIDTHS:
        for channels in (0, 3):
            image = np.full((5, width, 3) if channels else (5, width), 200, np.uint8)
            np.testing.assert_array_equal(imgkit.bilateral_filter(image, 9, 75.0, 75.0), image)


def test_a_first_call_compiles_the_blocks_of_its_channel_count_only(tmp_path):
    """The uint8 kernel is made per channel count, so that a first BGR call (fresh process, empty
    Numba cache) compiles the colour blocks and not the gray ones (~0.7 s of compilation)."""
    from test_compile_scope import compiled
    counts = compiled(tmp_path, "from imgkit.kernels import bilateral\n"
                                "bilateral.bilateral_filter(planes, 4, 75.0, 75.0, 4)\n"
                                "compiled(bilateral._span_colour, bilateral._span_gray)\n"
                                "print(bilateral._bilateral_u8.cache_info().currsize)")
    assert counts == ["1", "0", "1"]

"""Issue 18 on AMD: uint8 bilinear rows summed from 16-byte windows of the source row
(``simd.window_sums``: ``vpshufb`` + ``vpmaddwd``) instead of gathers. ``cv2.resize`` bit for
bit on both paths (windows, and the gathers left to CPUs without AVX-512BW and to shrinks whose
taps do not fit a window), never a read past the image, and the windows really are used."""

import cv2
import llvmlite.binding as ll
import numpy as np
import pytest

from gathers import assert_no_read_past_the_image, assert_resize_matches_opencv
from imgkit.kernels import resize
from imgkit.kernels.resize import NO_BILINEAR_WINDOWS, resize_linear

needs_avx512bw = pytest.mark.skipif(not ll.get_host_cpu_features().get("avx512bw", False),
                                    reason="needs AVX-512BW")

WIDTHS = (5, 6, 16, 17, 21, 43, 64, 131, 200)
FACTORS = (0.2, 0.26, 0.37, 0.5001, 0.73, 1.6, 2.3)      # 0.2 and 0.26: too far apart for a window


def _matches_opencv():
    assert_resize_matches_opencv(resize_linear, cv2.INTER_LINEAR, [(np.uint8, c) for c in (1, 2, 3, 4)], WIDTHS,
                                 FACTORS)


def test_windows_match_opencv():
    _matches_opencv()


def test_gathers_match_opencv_without_byte_shuffles(monkeypatch):
    monkeypatch.setattr(resize, "compiles_for", lambda feature: False)
    resize._bilinear_tables.cache_clear()
    try:
        _matches_opencv()
    finally:
        resize._bilinear_tables.cache_clear()


def test_no_read_past_the_image():
    """Windows end at the row's end at most: the last row's would fault past the page."""
    assert_no_read_past_the_image("resize_linear", ((45, 30, 2.3), (40, 30, 1.6), (50, 27, 0.73), (131, 7, 0.37),
                                                    (6, 5, 1.6)), channels=(1, 3))


@needs_avx512bw
def test_bench_geometries_use_windows():
    """4K gray and BGR at x0.37 and x0.73 take the windows; a 5× shrink of BGR cannot."""
    for channels in (1, 3):
        for f in (0.37, 0.73):
            tables = resize._bilinear_tables(3840, 2160, round(3840 * f), round(2160 * f), channels, False, True,
                                             False, f, f)
            assert tables[4][0].size > 0
    assert resize._bilinear_tables(3840, 2160, 768, 432, 3, False, True, False, 0.2, 0.2)[4] is NO_BILINEAR_WINDOWS


@needs_avx512bw
def test_window_sums_compile_to_byte_shuffles(tmp_path):
    import os
    import subprocess
    import sys
    script = (
        "import numpy as np\n"
        "from imgkit.kernels.resize import _horizontal_fixed, _bilinear_windows\n"
        "xo = (np.arange(148) * 6).astype(np.uint32)\n"
        "a = np.full(148, 1024, np.int32)\n"
        "windows = _bilinear_windows(xo, a, a, 140, 3, 1200)\n"
        "_horizontal_fixed(np.zeros(1200, np.uint8), xo, a, a, 140, 3, *windows,\n"
        "                  np.empty(444, np.int32))\n"
        "asm = _horizontal_fixed.inspect_asm(_horizontal_fixed.signatures[0]).splitlines()\n"
        "print(sum('vpshufb' in l and 'zmm' in l for l in asm), sum('vpmaddwd' in l and 'zmm' in l for l in asm))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    shuffles, madds = map(int, done.stdout.split())
    assert shuffles >= 1 and madds >= 1

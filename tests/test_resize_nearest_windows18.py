"""Issue 18 on AMD: nearest rows copied a group of pixels at a time from 16-byte windows of the
source row (``simd.window_bytes``: ``pshufb``) instead of gathered. ``cv2.resize`` bit for bit
on both paths (windows, and the gathers or byte loops left to CPUs without SSSE3), for 1- to
16-byte pixels, and the windows really are used where they fit."""

import cv2
import numpy as np
import pytest

from gathers import assert_resize_matches_opencv
from imgkit.kernels import resize
from imgkit.kernels.resize import NO_NEAREST_WINDOWS, resize_nearest

WIDTHS = (3, 5, 6, 16, 17, 21, 43, 64, 131, 200)
FACTORS = (0.2, 0.37, 0.5, 0.5001, 0.73, 1.6, 2.3)
KINDS = ((np.uint8, 1), (np.uint8, 3), (np.uint8, 4), (np.uint16, 1), (np.uint16, 3), (np.float32, 3),
         (np.float32, 4))      # 1, 3, 4, 2, 6, 12 and 16 bytes a pixel


def _matches_opencv():
    assert_resize_matches_opencv(resize_nearest, cv2.INTER_NEAREST, KINDS, WIDTHS, FACTORS)


def test_windows_match_opencv():
    _matches_opencv()


def test_without_windows_match_opencv(monkeypatch):
    monkeypatch.setattr(resize, "compiles_for", lambda feature: False)
    resize._nearest_tables.cache_clear()
    try:
        _matches_opencv()
    finally:
        resize._nearest_tables.cache_clear()


@pytest.mark.skipif(not resize.compiles_for("ssse3"), reason="needs SSSE3")
def test_bench_geometries_use_windows():
    """4K gray and BGR at x0.37 and x0.73 take the windows (6, 11 gray pixels a group; 2, 3
    BGR); an integer shrink of gray keeps its strided loop."""
    for pixel, groups in ((1, (6, 11)), (3, (2, 3))):
        for f, group in zip((0.37, 0.73), groups):
            windows = resize._nearest_tables(3840, 2160, round(3840 * f), round(2160 * f), pixel, f, f)[5]
            assert windows[2] == group
    assert resize._nearest_tables(3840, 2160, 1920, 1080, 1, 0.5, 0.5)[5] is NO_NEAREST_WINDOWS


def test_kernels_compile_without_the_instructions(tmp_path):
    """Where Numba compiles for a CPU without SSSE3 or AVX-512BW (ARM, or another CPU named),
    the row kernels still compile: a trap in place of the shuffles, which their empty window
    tables never reach; and they still match OpenCV."""
    import os
    import subprocess
    import sys
    script = (
        "import cv2, numpy as np\n"
        "from imgkit.kernels import resize, simd\n"
        "simd.compiles_for = resize.compiles_for = lambda feature: False\n"
        "image = np.random.default_rng(1).integers(0, 256, (40, 90, 3), np.uint8)\n"
        "for interp, kernel in ((cv2.INTER_NEAREST, resize.resize_nearest), (cv2.INTER_LINEAR, resize.resize_linear)):\n"
        "    expected = cv2.resize(image, None, fx=0.73, fy=0.73, interpolation=interp)\n"
        "    assert np.array_equal(kernel(image, 66, 29, inv_scale=(0.73, 0.73)), expected)\n"
        "asm = resize._nearest_rows.inspect_asm(resize._nearest_rows.signatures[0])\n"
        "asm += resize._horizontal_fixed.inspect_asm(resize._horizontal_fixed.signatures[0])\n"
        "print(asm.count('vpmaddwd'), asm.count('ud2'))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    madds, traps = map(int, done.stdout.split())      # (LLVM's own shuffles may use pshufb)
    assert madds == 0 and traps >= 2

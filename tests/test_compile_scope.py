"""A first call compiles the code it runs, not every variant of its kernel (issue 16: first
compile in seconds). Each check runs one call in a fresh process on an empty Numba cache and
counts what was compiled there."""

import os
import subprocess
import sys

SETUP = """
import numpy as np
from imgkit.kernels import canny, derivatives, gaussian, separable
planes = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
def compiled(*functions):
    print(*(len(f.signatures) for f in functions))
"""


def compiled(tmp_path, call):
    """What ``call`` (Python run after SETUP) prints, in a new process whose Numba cache is empty."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    done = subprocess.run([sys.executable, "-c", SETUP + call], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_canny_compiles_each_flood_function_once_and_one_strip_kernel(tmp_path):
    # a literal 0 passed on to a jitted callee compiled it once for Literal[int](0) and once for
    # int64: _flood four times, _hysteresis four, the suppression twice (aperture 3, L1: _suppress_l1)
    counts = compiled(tmp_path, "canny.canny(planes, 50, 150)\n"
                                "compiled(canny._flood, canny._hysteresis, canny._suppress_l1, "
                                "canny._push_edges)\nprint(canny.edge_strip.cache_info().currsize)")
    assert counts == ["1", "1", "1", "1", "1"]


def test_canny_compiles_its_small_int16_helpers_once_not_at_each_call_site(tmp_path):
    # inline="always" made Numba type and lower _sector and _abs16 again at each of their call
    # sites (sixteen copies in a colour call, ~0.4 s of a first `imgkit canny`); compiled once as
    # functions, they are still inlined by LLVM
    counts = compiled(tmp_path, "canny.canny(planes, 50, 150)\ncompiled(canny._sector, canny._abs16)")
    assert counts == ["1", "1"]


def test_canny_compiles_no_library_array_filling(tmp_path):
    # np.zeros and a slice assignment in the strip kernel compiled ~0.3 s of Numba's library code
    # (np.zeros, its zero fill): the magnitude ring is zeroed by loops instead
    names = compiled(tmp_path, "from numba.core import event\n"
                               "names = []\n"
                               "class Names(event.Listener):\n"
                               "    def on_start(self, ev): names.append(ev.data['dispatcher'].py_func.__qualname__)\n"
                               "    def on_end(self, ev): pass\n"
                               "event.register('numba:compile', Names())\n"
                               "canny.canny(planes, 50, 150)\n"
                               "print(*names)")
    assert any(name.startswith(("edge_strip.", "_strip_l1.")) for name in names)     # the strip kernel was compiled
    assert not [name for name in names if "zeros" in name or "fill" in name]


def test_a_sobel_magnitude_compiles_only_the_passes_of_its_taps(tmp_path):
    # [1, 2, 1] is summed in pairs and [-1, 0, 1] in differences: the tap-by-tap passes and the
    # other combinations are never compiled
    counts = compiled(tmp_path, "derivatives.combined(planes, derivatives.derivative_taps('sobel', 1, 0), "
                                "derivatives.derivative_taps('sobel', 0, 1), derivatives.MAGNITUDE, 4)\n"
                                "compiled(separable.vertical_pairs, separable.horizontal_pairs, "
                                "derivatives._vertical_differences, derivatives._horizontal_differences, "
                                "separable.vertical_taps, separable.horizontal_taps)")
    assert counts == ["1", "1", "1", "1", "0", "0"]


def test_a_gaussian_blur_compiles_only_the_paired_passes(tmp_path):
    counts = compiled(tmp_path, "gaussian.gaussian_blur(planes, 7, 7, 1.0, 1.0, 4)\n"
                                "compiled(separable.vertical_pairs, separable.horizontal_pairs, "
                                "separable.vertical_taps, separable.horizontal_taps)")
    assert counts == ["1", "1", "0", "0"]

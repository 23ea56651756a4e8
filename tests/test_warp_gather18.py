"""The uint8 linear and cubic warps load their taps as 8-byte words (issue 18): no word is read
past the image's last byte (a cubic BGR warp of a 2-row image read past it: small images now take
the general kernels), and the linear loads are scalar, not gathers. Each check runs in a child process: a read past
an unreadable page crashes it; a fresh ``NUMBA_CACHE_DIR`` lets ``inspect_asm`` see the code."""

import os
import subprocess
import sys


AT_A_PAGE_END = """
import ctypes, mmap
import numpy as np
from imgkit.kernels.geometry import warp
page = mmap.PAGESIZE
buf = mmap.mmap(-1, 2 * page)
base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
assert ctypes.CDLL(None).mprotect(ctypes.c_void_p(base + page), page, 0) == 0   # PROT_NONE
for c in (1, 3):
    for w, h in ((37, 23), (5, 4), (64, 2)):
        n = w * h * c
        image = np.frombuffer(buf, np.uint8, n, page - n).reshape(h, w, c)
        image[...] = np.arange(n, dtype=np.uint8).reshape(h, w, c)
        for border in (0, 1, 2, 3, 4):
            # a slight shift and turn: the last row's and column's pixels are taps
            for interp in ("linear", "cubic"):
                warp(image, (1.0, 0.01, 0.3, -0.01, 1.0, 0.6), w, h, interp, border)
print("ok")
"""


def test_uint8_warps_read_no_byte_past_the_image():
    done = subprocess.run([sys.executable, "-c", AT_A_PAGE_END], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_linear_uint8_taps_are_loads_not_gathers(tmp_path):
    script = """
import numpy as np
from imgkit.kernels import geometry
for c, kernel in ((1, geometry._linear_gray), (3, geometry._linear_bgr)):
    geometry.warp(np.zeros((40, 50, c), np.uint8), (1.0, 0.1, 0.3, -0.1, 1.0, 0.6), 50, 40, "linear", 0)
    asm = kernel.inspect_asm(kernel.signatures[0])
    print(sum("gather" in l for l in asm.splitlines()))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0", "0"]      # scalar loads into a buffer, as OpenCV (gathers: slower on Zen)

"""Checks shared by the gathering kernels' tests (issue 18): a resize kernel against ``cv2.resize``
on random images of every width and factor, a resize whose image ends where an unreadable page
begins, and the count of 16-lane gathers in a kernel's machine code. The last two each run
in a child process: a read past the page crashes it, and a fresh ``NUMBA_CACHE_DIR`` lets
``inspect_asm`` see code that a cached load would not have."""

import os
import subprocess
import sys
import textwrap

import cv2
import llvmlite.binding as ll
import numpy as np
import pytest

needs_avx512 = pytest.mark.skipif(not ll.get_host_cpu_features().get("avx512f", False), reason="needs AVX-512")

AT_A_PAGE_END = """
import ctypes, mmap
import numpy as np
from imgkit.kernels.{module} import {kernel} as kernel
page = mmap.PAGESIZE
buf = mmap.mmap(-1, 2 * page)
base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
assert ctypes.CDLL(None).mprotect(ctypes.c_void_p(base + page), page, 0) == 0   # PROT_NONE
for c in {channels}:
    for w, h, f in {cases}:
        n = w * h * c
        image = np.frombuffer(buf, np.uint8, n, page - n).reshape(h, w, c)
        image[...] = np.arange(n, dtype=np.uint8).reshape(h, w, c)
        kernel(image, round(w * f), round(h * f), inv_scale=(f, f))
print("ok")
"""


def assert_resize_matches_opencv(kernel, interpolation, kinds, widths, factors):
    """``kernel(image, width, height, inv_scale=(f, f))`` equals ``cv2.resize(image, None, fx=f,
    fy=f, interpolation=interpolation)`` bit for bit on a random 9-row image of each ``(dtype,
    channels)`` in ``kinds`` and each width, at each factor that leaves a pixel."""
    rng = np.random.default_rng(18)
    for dtype, channels in kinds:
        for width in widths:
            image = rng.integers(0, 256, (9, width, channels)).astype(dtype)
            for f in factors:
                if round(width * f) == 0:
                    continue
                expected = cv2.resize(image, None, fx=f, fy=f, interpolation=interpolation).reshape(
                    round(9 * f), round(width * f), channels)
                result = kernel(image, expected.shape[1], expected.shape[0], inv_scale=(f, f))
                np.testing.assert_array_equal(result, expected,
                                              err_msg=f"{np.dtype(dtype).name}×{channels}, width {width}, x{f}")


def assert_no_read_past_the_image(kernel, cases, channels=(1,), module="resize"):
    """``imgkit.kernels.<module>.<kernel>`` on uint8 images of ``(width, height, factor)`` ``cases``
    whose last byte is the last readable one: a word read past it crashes the child."""
    script = AT_A_PAGE_END.format(module=module, kernel=kernel, cases=tuple(cases), channels=tuple(channels))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def zmm_gathers(setup, function, tmp_path):
    """``(all vpgatherdd, those on zmm)`` in the first signature of ``function`` (an expression)
    after ``setup`` (code that compiles it) ran on an empty cache."""
    script = textwrap.dedent(setup) + textwrap.dedent(f"""
        f = {function}
        asm = f.inspect_asm(f.signatures[0])
        print(asm.count("vpgatherdd"), sum("vpgatherdd" in l and "zmm" in l for l in asm.splitlines()))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    return tuple(map(int, done.stdout.split()))
